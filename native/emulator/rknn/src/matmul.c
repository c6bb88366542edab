/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The matmul API of the emulated RKNN runtime (rknn_matmul_api.h): C = A x B
 * computed on the host, exactly (integer sums in 32 bits, float16 products
 * summed in float32).
 *
 * Emulated: the types FLOAT16 x FLOAT16 -> FLOAT32 / FLOAT16, INT8 x INT8 ->
 * INT32 / INT8 (per-layer quantisation), A and C in the normal layout, B in the
 * normal or the RK3588/RK3576 native layout ([N/subN, K/subK, subN, subK],
 * subN x subK = 32 x 32 for int8, 16 x 32 for float16; one segment, so K up to
 * 8192 on RK3588 and 4096 on RK3576), the per-SoC alignment limits (K a
 * multiple of 32; N of 32 for int8, of 16 for float16; K <= 10240), dynamic M,
 * core masks as rknn_set_core_mask. Other types and layouts are refused with
 * RKNN_ERR_PARAM_INVALID saying they are not emulated. A run takes no emulated
 * NPU time (no published figures).
 *
 * Matmul contexts share the id space of rknn_context (rknn_create_mem accepts
 * them) and live in their own registry.
 */
#include "rkemu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_float.h"

#define MM_K_MAX 10240

struct rk_mm {
    rknn_matmul_ctx id;
    pthread_mutex_t lock; /* one call at a time */
    rknn_matmul_info info;
    int nshapes;
    rknn_matmul_shape *shapes;  /* nshapes; NULL for a fixed shape */
    rknn_matmul_io_attr *attrs; /* one per shape (one for a fixed shape) */
    int cur;
    struct rk_mem *mem[3]; /* A, B, C */
    uint32_t core_mask;
    float scale[3];
    int32_t zp[3];
    bool closing;
    int users; /* guarded by rk.lock */
    pthread_cond_t idle;
    struct rk_mm *next;
};

static const char *const TENSOR_NAMES[3] = {"A", "B", "C"};

static bool int8_type(rknn_matmul_type t) {
    return t == RKNN_INT8_MM_INT8_TO_INT32 || t == RKNN_INT8_MM_INT8_TO_INT8;
}

static bool emulated_type(rknn_matmul_type t) {
    return int8_type(t) || t == RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32 || t == RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT16;
}

static rknn_tensor_type c_type(rknn_matmul_type t) {
    switch (t) {
    case RKNN_INT8_MM_INT8_TO_INT32: return RKNN_TENSOR_INT32;
    case RKNN_INT8_MM_INT8_TO_INT8: return RKNN_TENSOR_INT8;
    case RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32: return RKNN_TENSOR_FLOAT32;
    default: return RKNN_TENSOR_FLOAT16;
    }
}

/* The B block of the native layout: subN x subK. */
static void native_block(rknn_matmul_type t, uint32_t *sub_n, uint32_t *sub_k) {
    *sub_n = int8_type(t) ? 32 : 16;
    *sub_k = 32;
}

static int check_shape(const rknn_matmul_info *info, int32_t M, int32_t K, int32_t N, const char *fn) {
    rk_platform p = rk_env_platform();
    int32_t n_align = int8_type(info->type) ? 32 : 16;
    if (M < 1 || K < 1 || N < 1 || K > MM_K_MAX) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "M=%d K=%d N=%d: each must be >= 1 and K <= %d", M, K, N,
                       MM_K_MAX);
    }
    if (K % 32 != 0 || N % n_align != 0) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn,
                       "K=%d N=%d: on %s K must be a multiple of 32 and N of %d for this type", K, N,
                       rk_platform_name(p), n_align);
    }
    int32_t segment = p == RK_RK3576 ? 4096 : 8192;
    if (info->B_layout == RKNN_MM_LAYOUT_NATIVE && K > segment) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn,
                       "K=%d with a native B: B in several segments (K > %d on %s) is not emulated", K, segment,
                       rk_platform_name(p));
    }
    return RKNN_SUCC;
}

static int check_info(const rknn_matmul_info *info, const char *fn) {
    if (!emulated_type(info->type)) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn,
                       "matmul type %d is not emulated (FLOAT16_MM_FLOAT16_TO_FLOAT32 1, INT8_MM_INT8_TO_INT32 2,"
                       " INT8_MM_INT8_TO_INT8 3, FLOAT16_MM_FLOAT16_TO_FLOAT16 4 are)",
                       (int)info->type);
    }
    if (info->B_layout != RKNN_MM_LAYOUT_NORM && info->B_layout != RKNN_MM_LAYOUT_NATIVE) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "B_layout %d is not emulated (0 normal, 1 native are)",
                       info->B_layout);
    }
    if (info->AC_layout != RKNN_MM_LAYOUT_NORM) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "AC_layout %d is not emulated (0 normal is)", info->AC_layout);
    }
    if (info->B_quant_type != 0 || info->AC_quant_type != 0) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "B_quant_type %d / AC_quant_type %d: only per-layer (0) is emulated",
                       info->B_quant_type, info->AC_quant_type);
    }
    return RKNN_SUCC;
}

static void fill_attr(rknn_matmul_tensor_attr *a, int which, const rknn_matmul_info *info, uint32_t M, uint32_t K,
                      uint32_t N) {
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", TENSOR_NAMES[which]);
    rknn_tensor_type in = int8_type(info->type) ? RKNN_TENSOR_INT8 : RKNN_TENSOR_FLOAT16;
    a->type = which == 2 ? c_type(info->type) : in;
    a->n_dims = 2;
    if (which == 0) {
        a->dims[0] = M;
        a->dims[1] = K;
    } else if (which == 1) {
        if (info->B_layout == RKNN_MM_LAYOUT_NATIVE) {
            uint32_t sn, sk;
            native_block(info->type, &sn, &sk);
            a->n_dims = 4;
            a->dims[0] = N / sn;
            a->dims[1] = K / sk;
            a->dims[2] = sn;
            a->dims[3] = sk;
        } else {
            a->dims[0] = K;
            a->dims[1] = N;
        }
    } else {
        a->dims[0] = M;
        a->dims[1] = N;
    }
    size_t elems = which == 0 ? (size_t)M * K : which == 1 ? (size_t)K * N : (size_t)M * N;
    a->size = (uint32_t)(elems * rk_type_size(a->type));
}

static void fill_io(rknn_matmul_io_attr *io, const rknn_matmul_info *info, const rknn_matmul_shape *s) {
    fill_attr(&io->A, 0, info, (uint32_t)s->M, (uint32_t)s->K, (uint32_t)s->N);
    fill_attr(&io->B, 1, info, (uint32_t)s->M, (uint32_t)s->K, (uint32_t)s->N);
    fill_attr(&io->C, 2, info, (uint32_t)s->M, (uint32_t)s->K, (uint32_t)s->N);
}

/* ---------------------------------------------------------------- registry */

static struct rk_mm *mm_acquire(rknn_matmul_ctx id) {
    pthread_mutex_lock(&rk.lock);
    struct rk_mm *m = rk.matmuls;
    while (m && m->id != id) {
        m = m->next;
    }
    if (m && m->closing) {
        m = NULL;
    }
    if (m) {
        m->users++;
    }
    pthread_mutex_unlock(&rk.lock);
    if (m) {
        pthread_mutex_lock(&m->lock);
    }
    return m;
}

static void mm_release(struct rk_mm *m) {
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_lock(&rk.lock);
    if (--m->users == 0) {
        pthread_cond_broadcast(&m->idle);
    }
    pthread_mutex_unlock(&rk.lock);
}

static int bad_mm(const char *fn, rknn_matmul_ctx ctx) {
    return rk_fail(RKNN_ERR_CTX_INVALID, fn, "invalid matmul context 0x%llx", (unsigned long long)ctx);
}

bool rk_mm_known(rknn_context id) {
    for (struct rk_mm *m = rk.matmuls; m; m = m->next) {
        if (m->id == id && !m->closing) {
            return true;
        }
    }
    return false;
}

void rk_mm_unbind(const struct rk_mem *mem) {
    for (struct rk_mm *m = rk.matmuls; m; m = m->next) {
        for (int i = 0; i < 3; i++) {
            if (m->mem[i] == mem) {
                m->mem[i] = NULL;
            }
        }
    }
}

static void mm_free(struct rk_mm *m) {
    emu_free(m->shapes);
    emu_free(m->attrs);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->idle);
    emu_free(m);
}

static int mm_new(const rknn_matmul_info *info, int nshapes, const rknn_matmul_shape *shapes, rknn_matmul_ctx *out,
                  struct rk_mm **made) {
    struct rk_mm *m = emu_calloc(1, sizeof *m);
    if (!m) {
        return RKNN_ERR_MALLOC_FAIL;
    }
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->idle, NULL);
    m->info = *info;
    m->nshapes = nshapes;
    m->attrs = emu_calloc((size_t)nshapes, sizeof *m->attrs);
    m->shapes = emu_calloc((size_t)nshapes, sizeof *m->shapes);
    if (!m->attrs || !m->shapes) {
        mm_free(m);
        return RKNN_ERR_MALLOC_FAIL;
    }
    memcpy(m->shapes, shapes, (size_t)nshapes * sizeof *shapes);
    for (int i = 0; i < nshapes; i++) {
        fill_io(&m->attrs[i], info, &shapes[i]);
    }
    for (int i = 0; i < 3; i++) {
        m->scale[i] = 1.0f;
    }
    pthread_mutex_lock(&rk.lock);
    m->id = rk.next_id++;
    m->next = rk.matmuls;
    rk.matmuls = m;
    rk.live_matmuls++;
    pthread_mutex_unlock(&rk.lock);
    *out = m->id;
    *made = m;
    return RKNN_SUCC;
}

/* ---------------------------------------------------------------- create and destroy */

int rknn_matmul_create(rknn_matmul_ctx *ctx, rknn_matmul_info *info, rknn_matmul_io_attr *io_attr) {
    const char *fn = "rknn_matmul_create";
    if (!ctx || !info || !io_attr) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "ctx, info and io_attr must not be NULL");
    }
    *ctx = 0;
    int rc = check_info(info, fn);
    if (rc == RKNN_SUCC) {
        rc = check_shape(info, info->M, info->K, info->N, fn);
    }
    if (rc != RKNN_SUCC) {
        return rc;
    }
    rknn_matmul_shape s = {info->M, info->K, info->N};
    struct rk_mm *m;
    rc = mm_new(info, 1, &s, ctx, &m);
    if (rc != RKNN_SUCC) {
        return rk_fail(rc, fn, "out of memory");
    }
    *io_attr = m->attrs[0];
    rk_info("%s: M=%d K=%d N=%d type %d, context 0x%llx", fn, s.M, s.K, s.N, (int)info->type,
            (unsigned long long)*ctx);
    return RKNN_SUCC;
}

int rknn_matmul_create_dynamic_shape(rknn_matmul_ctx *ctx, rknn_matmul_info *info, int shape_num,
                                     rknn_matmul_shape dynamic_shapes[], rknn_matmul_io_attr io_attrs[]) {
    const char *fn = "rknn_matmul_create_dynamic_shape";
    if (!ctx || !info || !dynamic_shapes || !io_attrs) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "ctx, info, dynamic_shapes and io_attrs must not be NULL");
    }
    *ctx = 0;
    if (shape_num < 1 || shape_num > RKNN_MAX_DYNAMIC_SHAPE_NUM) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "shape_num %d out of range 1..%d", shape_num,
                       RKNN_MAX_DYNAMIC_SHAPE_NUM);
    }
    int rc = check_info(info, fn);
    for (int i = 0; i < shape_num && rc == RKNN_SUCC; i++) {
        const rknn_matmul_shape *s = &dynamic_shapes[i];
        rc = check_shape(info, s->M, s->K, s->N, fn);
        if (rc == RKNN_SUCC && (s->K != dynamic_shapes[0].K || s->N != dynamic_shapes[0].N)) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "shape %d (M=%d K=%d N=%d): only M may vary (K=%d N=%d first)",
                         i, s->M, s->K, s->N, dynamic_shapes[0].K, dynamic_shapes[0].N);
        }
    }
    if (rc != RKNN_SUCC) {
        return rc;
    }
    struct rk_mm *m;
    rc = mm_new(info, shape_num, dynamic_shapes, ctx, &m);
    if (rc != RKNN_SUCC) {
        return rk_fail(rc, fn, "out of memory");
    }
    memcpy(io_attrs, m->attrs, (size_t)shape_num * sizeof *io_attrs);
    return RKNN_SUCC;
}

int rknn_matmul_destroy(rknn_matmul_ctx ctx) {
    pthread_mutex_lock(&rk.lock);
    struct rk_mm **pp = &rk.matmuls;
    while (*pp && (*pp)->id != ctx) {
        pp = &(*pp)->next;
    }
    struct rk_mm *m = *pp;
    if (!m || m->closing) {
        pthread_mutex_unlock(&rk.lock);
        return bad_mm("rknn_matmul_destroy", ctx);
    }
    m->closing = true; /* new calls refused; a run in progress finishes first */
    while (m->users > 0) {
        pthread_cond_wait(&m->idle, &rk.lock);
    }
    *pp = m->next;
    rk.live_matmuls--;
    mm_free(m);
    pthread_mutex_unlock(&rk.lock);
    return RKNN_SUCC;
}

/* ---------------------------------------------------------------- settings */

int rknn_matmul_set_io_mem(rknn_matmul_ctx ctx, rknn_tensor_mem *mem, rknn_matmul_tensor_attr *attr) {
    const char *fn = "rknn_matmul_set_io_mem";
    struct rk_mm *m = mm_acquire(ctx);
    if (!m) {
        return bad_mm(fn, ctx);
    }
    int rc = RKNN_SUCC;
    int which = -1;
    for (int i = 0; attr && i < 3; i++) {
        if (strncmp(attr->name, TENSOR_NAMES[i], RKNN_MAX_NAME_LEN) == 0) {
            which = i;
        }
    }
    pthread_mutex_lock(&rk.lock);
    struct rk_mem *r = mem ? rk_mem_find(mem) : NULL;
    if (which < 0) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "attr must be one of the io_attr's A, B, C (got \"%.64s\")",
                     attr ? attr->name : "(NULL)");
    } else if (!r) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "%p is not a live tensor memory", (void *)mem);
    } else {
        /* A dynamic-shape context checks the current shape again at each run. */
        uint32_t need = attr->size;
        if ((size_t)mem->size - (size_t)mem->offset < need) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "%s: memory of %u bytes, %u needed", TENSOR_NAMES[which],
                         mem->size, need);
        } else {
            m->mem[which] = r;
        }
    }
    pthread_mutex_unlock(&rk.lock);
    mm_release(m);
    return rc;
}

int rknn_matmul_set_core_mask(rknn_matmul_ctx context, rknn_core_mask core_mask) {
    const char *fn = "rknn_matmul_set_core_mask";
    struct rk_mm *m = mm_acquire(context);
    if (!m) {
        return bad_mm(fn, context);
    }
    uint32_t all = rk_platform_cores(rk_env_platform()), v = (uint32_t)core_mask;
    bool known = v == RKNN_NPU_CORE_AUTO || v == RKNN_NPU_CORE_0 || v == RKNN_NPU_CORE_1 || v == RKNN_NPU_CORE_2 ||
                 v == RKNN_NPU_CORE_0_1 || v == RKNN_NPU_CORE_0_1_2 || v == RKNN_NPU_CORE_ALL;
    int rc = RKNN_SUCC;
    if (!known || (v != RKNN_NPU_CORE_ALL && (v & ~all))) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "Not support core mask: %x (%s has cores 0x%x)", v,
                     rk_platform_name(rk_env_platform()), all);
    } else {
        m->core_mask = v == RKNN_NPU_CORE_ALL ? all : v;
    }
    mm_release(m);
    return rc;
}

static int quant_index(const struct rk_mm *m, const rknn_quant_params *p, const char *fn) {
    if (!int8_type(m->info.type)) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "quantisation parameters need an INT8 matmul type, not %d",
                       (int)m->info.type);
    }
    for (int i = 0; i < 3; i++) {
        if (strncmp(p->name, TENSOR_NAMES[i], RKNN_MAX_NAME_LEN) == 0) {
            return i;
        }
    }
    return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "params.name must be \"A\", \"B\" or \"C\", got \"%.64s\"", p->name);
}

int rknn_matmul_set_quant_params(rknn_matmul_ctx context, rknn_quant_params *params) {
    const char *fn = "rknn_matmul_set_quant_params";
    if (!params) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "params must not be NULL");
    }
    struct rk_mm *m = mm_acquire(context);
    if (!m) {
        return bad_mm(fn, context);
    }
    int i = quant_index(m, params, fn), rc = i < 0 ? i : RKNN_SUCC;
    if (i >= 0) {
        if (!params->scale || params->scale_len != 1 || (params->zp && params->zp_len != 1)) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn,
                         "%s: scale_len %d, zp_len %d: only per-layer parameters (one scale, one zero point) are"
                         " emulated",
                         TENSOR_NAMES[i], params->scale_len, params->zp_len);
        } else if (!(params->scale[0] > 0) || !isfinite(params->scale[0])) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "%s: scale %g must be a positive number", TENSOR_NAMES[i],
                         (double)params->scale[0]);
        } else {
            m->scale[i] = params->scale[0];
            m->zp[i] = params->zp ? params->zp[0] : 0;
        }
    }
    mm_release(m);
    return rc;
}

int rknn_matmul_get_quant_params(rknn_matmul_ctx ctx, rknn_quant_params *params, float *scale) {
    const char *fn = "rknn_matmul_get_quant_params";
    if (!params) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "params must not be NULL");
    }
    struct rk_mm *m = mm_acquire(ctx);
    if (!m) {
        return bad_mm(fn, ctx);
    }
    int i = quant_index(m, params, fn), rc = i < 0 ? i : RKNN_SUCC;
    if (i >= 0) {
        if (params->scale && params->scale_len >= 1) {
            params->scale[0] = m->scale[i];
        }
        if (params->zp && params->zp_len >= 1) {
            params->zp[0] = m->zp[i];
        }
        if (scale) { /* the scale of an INT32 C: real = C * scale_A * scale_B */
            *scale = m->scale[0] * m->scale[1];
        }
    }
    mm_release(m);
    return rc;
}

int rknn_matmul_set_dynamic_shape(rknn_matmul_ctx ctx, rknn_matmul_shape *shape) {
    const char *fn = "rknn_matmul_set_dynamic_shape";
    if (!shape) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "shape must not be NULL");
    }
    struct rk_mm *m = mm_acquire(ctx);
    if (!m) {
        return bad_mm(fn, ctx);
    }
    int found = -1;
    for (int i = 0; i < m->nshapes; i++) {
        if (m->shapes[i].M == shape->M && m->shapes[i].K == shape->K && m->shapes[i].N == shape->N) {
            found = i;
        }
    }
    int rc = RKNN_SUCC;
    if (found < 0) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "M=%d K=%d N=%d is not among the %d shapes the context was created with",
                     shape->M, shape->K, shape->N, m->nshapes);
    } else {
        m->cur = found;
    }
    mm_release(m);
    return rc;
}

/* ---------------------------------------------------------------- layout and run */

/* Element offset of B[k][n] in the native layout. */
static size_t native_index(uint32_t k, uint32_t n, uint32_t K, uint32_t sub_n, uint32_t sub_k) {
    size_t block = (size_t)(n / sub_n) * (K / sub_k) + k / sub_k;
    return block * sub_n * sub_k + (size_t)(n % sub_n) * sub_k + k % sub_k;
}

int rknn_B_normal_layout_to_native_layout(void *B_input, void *B_output, int K, int N, rknn_matmul_info *info) {
    const char *fn = "rknn_B_normal_layout_to_native_layout";
    if (!B_input || !B_output || !info) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, fn, "B_input, B_output and info must not be NULL");
    }
    rknn_matmul_info native = *info;
    native.B_layout = RKNN_MM_LAYOUT_NATIVE;
    int rc = check_info(&native, fn);
    if (rc == RKNN_SUCC) {
        rc = check_shape(&native, 1, K, N, fn);
    }
    if (rc != RKNN_SUCC) {
        return rc;
    }
    uint32_t sn, sk;
    native_block(info->type, &sn, &sk);
    size_t es = int8_type(info->type) ? 1 : 2;
    const uint8_t *in = B_input;
    uint8_t *out = B_output;
    for (uint32_t k = 0; k < (uint32_t)K; k++) {
        for (uint32_t n = 0; n < (uint32_t)N; n++) {
            memcpy(out + native_index(k, n, (uint32_t)K, sn, sk) * es, in + ((size_t)k * (uint32_t)N + n) * es, es);
        }
    }
    return RKNN_SUCC;
}

static void *data_of(const struct rk_mem *m) {
    return (uint8_t *)m->pub.virt_addr + m->pub.offset;
}

int rknn_matmul_run(rknn_matmul_ctx ctx) {
    const char *fn = "rknn_matmul_run";
    struct rk_mm *m = mm_acquire(ctx);
    if (!m) {
        return bad_mm(fn, ctx);
    }
    const rknn_matmul_shape *s = &m->shapes[m->cur];
    const rknn_matmul_io_attr *io = &m->attrs[m->cur];
    int rc = RKNN_SUCC;
    pthread_mutex_lock(&rk.lock);
    const void *a = NULL, *b = NULL;
    void *c = NULL;
    const rknn_matmul_tensor_attr *need[3] = {&io->A, &io->B, &io->C};
    for (int i = 0; i < 3 && rc == RKNN_SUCC; i++) {
        if (!m->mem[i]) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "%s is not bound: call rknn_matmul_set_io_mem", TENSOR_NAMES[i]);
        } else if ((size_t)m->mem[i]->pub.size - (size_t)m->mem[i]->pub.offset < need[i]->size) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "%s: memory of %u bytes, %u needed for M=%d", TENSOR_NAMES[i],
                         m->mem[i]->pub.size, need[i]->size, s->M);
        }
    }
    if (rc == RKNN_SUCC) {
        a = data_of(m->mem[0]);
        b = data_of(m->mem[1]);
        c = data_of(m->mem[2]);
    }
    pthread_mutex_unlock(&rk.lock);
    if (rc != RKNN_SUCC) {
        mm_release(m);
        return rc;
    }
    uint32_t cores = rk_cores_take(m->core_mask, rk_env_platform());
    uint32_t M = (uint32_t)s->M, K = (uint32_t)s->K, N = (uint32_t)s->N, sn, sk;
    native_block(m->info.type, &sn, &sk);
    bool native = m->info.B_layout == RKNN_MM_LAYOUT_NATIVE;
    for (uint32_t i = 0; i < M; i++) {
        for (uint32_t j = 0; j < N; j++) {
            if (int8_type(m->info.type)) {
                const int8_t *A8 = a, *B8 = b;
                int32_t acc = 0;
                for (uint32_t k = 0; k < K; k++) {
                    int32_t bv = B8[native ? native_index(k, j, K, sn, sk) : (size_t)k * N + j];
                    acc += ((int32_t)A8[(size_t)i * K + k] - m->zp[0]) * (bv - m->zp[1]);
                }
                if (m->info.type == RKNN_INT8_MM_INT8_TO_INT32) {
                    ((int32_t *)c)[(size_t)i * N + j] = acc;
                } else {
                    double q = nearbyint((double)acc * m->scale[0] * m->scale[1] / m->scale[2]) + m->zp[2];
                    ((int8_t *)c)[(size_t)i * N + j] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
                }
            } else {
                const uint16_t *A16 = a, *B16 = b;
                float acc = 0;
                for (uint32_t k = 0; k < K; k++) {
                    uint16_t bv = B16[native ? native_index(k, j, K, sn, sk) : (size_t)k * N + j];
                    acc += emu_half_to_float(A16[(size_t)i * K + k]) * emu_half_to_float(bv);
                }
                if (m->info.type == RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32) {
                    ((float *)c)[(size_t)i * N + j] = acc;
                } else {
                    ((uint16_t *)c)[(size_t)i * N + j] = emu_float_to_half(acc);
                }
            }
        }
    }
    rk_cores_give(cores);
    mm_release(m);
    return RKNN_SUCC;
}
