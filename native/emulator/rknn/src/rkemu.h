/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the npu4j RKNN emulator (librknnrt.so).
 *
 * The library is built with -fvisibility=hidden; the public headers are
 * included between "visibility push(default)" and "pop", so every function
 * rknn_api.h and npu4j_rknn_emulator.h declare (and only those) is exported.
 *
 * Threading: one process-wide mutex (rk.lock) guards the context registry
 * and the NPU cores. Each context has its own mutex, held for the whole of a
 * call on that context (a run included), so one context is used by one
 * thread at a time as the runtime requires, while contexts made with
 * rknn_dup_context run in parallel on different cores.
 */
#ifndef NPU4J_RKNN_RKEMU_H
#define NPU4J_RKNN_RKEMU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include "npu4j_rknn_emulator.h"
#include "rknn_api.h"
#include "rknn_matmul_api.h"
#pragma GCC visibility pop

#include "emu_alloc.h"

#define RK_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The version string the Java side reads from the file before loading it
 * (the vendor library carries "librknnrt version: 2.3.2 (<commit>@<date>)"). */
#define RK_VERSION_STRING "librknnrt version: 2.3.2 (npu4j emulator)"
#define RK_API_VERSION "2.3.2 (npu4j emulator)"
#define RK_DRV_VERSION "0.9.8 (npu4j emulator, no NPU)"
#define RK_MAGIC_LINE "npu4j-emulator-model rknn 1"

#define RK_MAX_TENSORS 12
#define RK_NAME_MAX 64

/* ---------------------------------------------------------------- logging */

/* Errors always go to stderr as "E RKNN: ..." (as the runtime prints them);
 * RKNN_LOG_LEVEL >= 3 adds info lines. Returns code. */
int rk_fail(int code, const char *fn, const char *fmt, ...) RK_PRINTF(3, 4);
void rk_info(const char *fmt, ...) RK_PRINTF(1, 2);

/* ---------------------------------------------------------------- platforms */

typedef enum { RK_RK3588, RK_RK3576, RK_PLATFORMS } rk_platform;
const char *rk_platform_name(rk_platform p);
/* All cores of a platform as a mask (RK3588 0x7, RK3576 0x3; rknpu 0.9.8). */
uint32_t rk_platform_cores(rk_platform p);
/* NPU4J_EMULATOR_RKNN_PLATFORM (rk3588 or rk3576), default rk3588. */
rk_platform rk_env_platform(void);
double rk_env_speed(void); /* NPU4J_EMULATOR_SPEED, default 1 */

/* ---------------------------------------------------------------- models */

typedef enum { RK_IDENTITY, RK_YOLO, RK_VLM, RK_CLASSIFIER } rk_compute;

struct rk_tensor {
    char name[RK_NAME_MAX];
    uint32_t n_dims;
    uint32_t dims[4];
    rknn_tensor_type type;
    rknn_tensor_format fmt;
    rknn_tensor_qnt_type qnt;
    int32_t zp;
    float scale;
};

struct rk_desc {
    int refs; /* guarded by rk.lock */
    char name[128];
    char custom[256];
    rk_compute compute;
    int size;     /* image side (yolo, vlm, classifier) */
    int classes;  /* yolo, classifier */
    bool score_sum;
    int tokens, embed; /* vlm */
    double time_ms[RK_PLATFORMS]; /* < 0: not published */
    int time_cores;               /* the core count the figures were measured on */
    uint32_t weight_bytes, internal_bytes;
    int nin, nout;
    struct rk_tensor in[1];
    struct rk_tensor out[RK_MAX_TENSORS];
};

/* Parses a descriptor (RK_MAGIC_LINE first). Returns RKNN_SUCC or an error
 * with the reason in why; a real .rknn file is refused by name. */
int rk_desc_parse(const char *text, size_t len, struct rk_desc **out, char *why, size_t whylen);
void rk_desc_unref(struct rk_desc *d);

size_t rk_type_size(rknn_tensor_type t);
const char *rk_type_name(rknn_tensor_type t);
const char *rk_fmt_name(rknn_tensor_format f);
uint32_t rk_tensor_elems(const struct rk_tensor *t);
size_t rk_tensor_bytes(const struct rk_tensor *t);

/* The attribute queries: normal, native (NC1HWC2 for 4-d outputs) and native NHWC. */
enum rk_attr_kind { RK_ATTR_NORMAL, RK_ATTR_NATIVE, RK_ATTR_NATIVE_NHWC };
void rk_attr_fill(const struct rk_tensor *t, uint32_t index, bool input, enum rk_attr_kind kind,
                  rknn_tensor_attr *a);
/* C2 of the native layout of a tensor type (the runtime reports it in dims[4]). */
uint32_t rk_native_c2(rknn_tensor_type t);

/* ---------------------------------------------------------------- compute and conversion */

/* Runs the model on its canonical input (uint8 NHWC RGB [1,H,W,3], or the
 * identity's [1,H,W,C]) into canonical outputs (model type, NCHW for 4-d). */
int rk_compute_run(const struct rk_desc *d, const uint8_t *in, uint8_t *const *out, char *why, size_t whylen);

/* A user's view of a tensor: layout, element type, row stride (pixels) of NHWC inputs. */
struct rk_view {
    rknn_tensor_format fmt;
    rknn_tensor_type type;
    uint32_t c2;       /* NC1HWC2 */
    uint32_t w_stride; /* NHWC input rows, 0 = width */
};
/* Bytes a view of tensor t takes. */
size_t rk_view_bytes(const struct rk_tensor *t, const struct rk_view *v);
/* User input in view v -> canonical input bytes; 0, or -1 with why. */
int rk_input_import(const struct rk_tensor *t, const struct rk_view *v, const void *src, uint8_t *canon, char *why,
                    size_t whylen);
/* Canonical output -> user buffer in view v; 0, or -1 with why. */
int rk_output_export(const struct rk_tensor *t, const struct rk_view *v, const uint8_t *canon, void *dst, char *why,
                     size_t whylen);

/* ---------------------------------------------------------------- contexts */

struct rk_mem {
    rknn_tensor_mem pub; /* handed out: the caller sees &pub */
    uint32_t magic;
    rknn_context owner;
    bool owns_buffer;
    struct rk_mem *next;
};

struct rk_binding {
    struct rk_mem *mem; /* NULL: not bound */
    struct rk_view view;
};

struct rk_outbuf {
    void *buf;
    struct rk_outbuf *next;
};

struct rk_ctx {
    rknn_context id;
    pthread_mutex_t lock; /* one call at a time on this context */
    struct rk_desc *desc;
    uint32_t flags;
    uint32_t core_mask; /* rknn_core_mask as set */
    int batch_core_num;
    bool input_set, has_output;
    uint8_t *canon_in;
    uint8_t *canon_out[RK_MAX_TENSORS];
    struct rk_binding in_mem[1], out_mem[RK_MAX_TENSORS];
    struct rk_outbuf *outbufs;
    int64_t last_run_us;
    char *perf_detail;
    bool closing;
    int users; /* calls in progress (guarded by rk.lock) */
    pthread_cond_t idle;
    struct rk_ctx *next;
};

struct rk_mm; /* a matmul context (matmul.c) */

struct rk_state {
    pthread_mutex_t lock;
    pthread_cond_t cores_free;
    uint32_t cores_busy;
    struct rk_ctx *contexts;
    struct rk_mem *mems;
    struct rk_mm *matmuls;
    rknn_context next_id;
    uint64_t runs;
    long live_contexts, live_mems, live_outputs, live_matmuls;
    bool banner_done;
};
extern struct rk_state rk;

/* Looks a context up and marks it in use (NULL when unknown or closing). */
struct rk_ctx *rk_ctx_acquire(rknn_context id);
void rk_ctx_release(struct rk_ctx *c);
/* Whether id is a live matmul context (called with rk.lock held). */
bool rk_mm_known(rknn_context id);
/* Unbinds a memory being destroyed from every matmul context (rk.lock held). */
void rk_mm_unbind(const struct rk_mem *mem);
/* A live tensor memory (NULL for a pointer the emulator never handed out). */
struct rk_mem *rk_mem_find(const rknn_tensor_mem *m);
/* Takes NPU cores for a run (mask 0: any one free core), waiting while they are busy. */
uint32_t rk_cores_take(uint32_t mask, rk_platform p);
void rk_cores_give(uint32_t taken);
void rk_sleep_ns(double ns);
uint64_t rk_now_ns(void);

#endif /* NPU4J_RKNN_RKEMU_H */
