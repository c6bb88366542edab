/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI (libaxcl_rt.so, AXCL 3.x,
 * pinned to 3.10.x): base types, generic error ids and the error-code scheme.
 * Written from the published facts of the ABI: symbol names, signatures,
 * struct field order, enum and error-code values. Plain C11 so that both gcc
 * and jextract (libclang in C mode) parse it.
 *
 * Error codes: 0x80000000 | (module & 0x7F) << 24 | AX_ID_AXCL << 16 | sub << 8 | id.
 * The function-like AXCL_DEF_*_ERR macros build them for C code; every named
 * code is also given as a plain int literal so that jextract turns it into a
 * Java constant (the probe checks each literal against the macros).
 */
#ifndef NPU4J_AXCL_BASE_H
#define NPU4J_AXCL_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NPU4J_AXCL_ABI_MAJOR 3
#define NPU4J_AXCL_ABI_MINOR 10

#define NO_TIMEOUT (-1)
#define AXCL_MAX_DEVICE_COUNT 256

typedef int32_t axclError;
typedef void *axclrtContext;
typedef void *axclrtStream;
typedef void *axclrtEvent;

/* Generic error ids (the low 8 bits of a code); AXCL_SUCC is the only success value. */
typedef enum {
    AXCL_SUCC = 0x00,
    AXCL_FAIL = 0x01,
    AXCL_ERR_UNKNOWN = AXCL_FAIL,
    AXCL_ERR_NULL_POINTER = 0x02,
    AXCL_ERR_ILLEGAL_PARAM = 0x03,
    AXCL_ERR_UNSUPPORT = 0x04,
    AXCL_ERR_TIMEOUT = 0x05,
    AXCL_ERR_BUSY = 0x06,
    AXCL_ERR_NO_MEMORY = 0x07,
    AXCL_ERR_ENCODE = 0x08,
    AXCL_ERR_DECODE = 0x09,
    AXCL_ERR_UNEXPECT_RESPONSE = 0x0A,
    AXCL_ERR_OPEN = 0x0B,
    AXCL_ERR_EXECUTE_FAIL = 0x0C,
    AXCL_ERR_BUTT = 0x7F
} AXCL_ERROR_E;

#define AX_ID_AXCL 0x30

/* Modules (bits 30..24). */
#define AXCL_RUNTIME 0x00
#define AXCL_NATIVE 0x01
#define AXCL_LITE 0x02

/* Sub-modules of the runtime (bits 15..8). */
#define AXCL_RUNTIME_DEVICE 0x01
#define AXCL_RUNTIME_CONTEXT 0x02
#define AXCL_RUNTIME_STREAM 0x03
#define AXCL_RUNTIME_TASK 0x04
#define AXCL_RUNTIME_MEMORY 0x05
#define AXCL_RUNTIME_CONFIG 0x06
#define AXCL_RUNTIME_ENGINE 0x07
#define AXCL_RUNTIME_SYSLOG 0x08
#define AXCL_RUNTIME_SYSCTRL 0x09
#define AXCL_RUNTIME_LATENCY 0x0A
#define AXCL_RUNTIME_P2P 0x0B
#define AXCL_RUNTIME_USRWORK 0x0C

/* Code builders for C callers (not extracted by jextract). */
#define AXCL_DEF_ERR(module, sub, errid)                                                  \
    ((axclError)(0x80000000u | ((uint32_t)((module) & 0x7F) << 24) |                    \
                 ((uint32_t)AX_ID_AXCL << 16) | ((uint32_t)(sub) << 8) | (uint32_t)(errid)))
#define AXCL_DEF_RUNTIME_ERR(sub, errid) AXCL_DEF_ERR(AXCL_RUNTIME, (sub), (errid))
#define AXCL_DEF_NATIVE_ERR(sub, errid) AXCL_DEF_ERR(AXCL_NATIVE, (sub), (errid))
#define AXCL_DEF_LITE_ERR(sub, errid) AXCL_DEF_ERR(AXCL_LITE, (sub), (errid))

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_BASE_H */
