/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: engine (.axmodel) types.
 */
#ifndef NPU4J_AXCL_RT_ENGINE_TYPE_H
#define NPU4J_AXCL_RT_ENGINE_TYPE_H

#include "axcl_rt_type.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AXCL_DEF_ENGINE_ERR(e) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_ENGINE, (e))

#define AXCL_ERR_ENGINE_NULL_POINTER (-2144336126)      /* 0x80300702 */
#define AXCL_ERR_ENGINE_ILLEGAL_PARAM (-2144336125)     /* 0x80300703 */
#define AXCL_ERR_ENGINE_AXCL_UNSUPPORTED (-2144336124)  /* 0x80300704 */
#define AXCL_ERR_ENGINE_ENCODE (-2144336120)            /* 0x80300708 */
#define AXCL_ERR_ENGINE_DECODE (-2144336119)            /* 0x80300709 */
#define AXCL_ERR_ENGINE_UNEXPECT_RESPONSE (-2144336118) /* 0x8030070A */
#define AXCL_ERR_ENGINE_EXECUTE_FAIL (-2144336116)      /* 0x8030070C */
#define AXCL_ERR_ENGINE_INVALID_INDEX (-2144335999)     /* 0x80300781 */

#define AXCLRT_ENGINE_MAX_DIM_CNT 32

/* Opaque handles. */
typedef void *axclrtEngineIOInfo;
typedef void *axclrtEngineIO;

/* NPU core affinity mask (bit N = core N). */
typedef uint32_t axclrtEngineSet;

typedef enum axclrtEngineModelKind {
    AXCL_MODEL_TYPE_1CORE = 0,
    AXCL_MODEL_TYPE_2CORE = 1,
    AXCL_MODEL_TYPE_3CORE = 2
} axclrtEngineModelKind;

typedef enum axclrtEngineVNpuKind {
    AXCL_VNPU_DISABLE = 0,
    AXCL_VNPU_ENABLE = 1,
    AXCL_VNPU_BIG_LITTLE = 2,
    AXCL_VNPU_LITTLE_BIG = 3
} axclrtEngineVNpuKind;

typedef enum axclrtEngineDataType {
    AXCL_DATA_TYPE_NONE = 0,
    AXCL_DATA_TYPE_INT4 = 1,
    AXCL_DATA_TYPE_UINT4 = 2,
    AXCL_DATA_TYPE_INT8 = 3,
    AXCL_DATA_TYPE_UINT8 = 4,
    AXCL_DATA_TYPE_INT16 = 5,
    AXCL_DATA_TYPE_UINT16 = 6,
    AXCL_DATA_TYPE_INT32 = 7,
    AXCL_DATA_TYPE_UINT32 = 8,
    AXCL_DATA_TYPE_INT64 = 9,
    AXCL_DATA_TYPE_UINT64 = 10,
    AXCL_DATA_TYPE_FP4 = 11,
    AXCL_DATA_TYPE_FP8 = 12,
    AXCL_DATA_TYPE_FP16 = 13,
    AXCL_DATA_TYPE_BF16 = 14,
    AXCL_DATA_TYPE_FP32 = 15,
    AXCL_DATA_TYPE_FP64 = 16
} axclrtEngineDataType;

typedef enum axclrtEngineDataLayout {
    AXCL_DATA_LAYOUT_NONE = 0,
    AXCL_DATA_LAYOUT_NHWC = 1,
    AXCL_DATA_LAYOUT_NCHW = 2
} axclrtEngineDataLayout;

typedef struct axclrtEngineIODims {
    int32_t dimCount;
    int32_t dims[AXCLRT_ENGINE_MAX_DIM_CNT];
} axclrtEngineIODims;

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_ENGINE_TYPE_H */
