/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the emulated RKNN matmul API (rknn_matmul_api.h): one named test
 * per ctest case (rknn_matmul_test <name>). Results are compared with a plain
 * reference product computed here; each test ends with nothing live.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_float.h"
#include "npu4j_rknn_emulator.h"
#include "rknn_matmul_api.h"

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)
#define OK(call) CHECK((call) == RKNN_SUCC)

static void no_leaks(void) {
    CHECK(npu4j_emulator_rknn_live("matmuls") == 0);
    CHECK(npu4j_emulator_rknn_live("mems") == 0);
    CHECK(npu4j_emulator_rknn_live("allocations") == 0);
}

static rknn_matmul_info info_of(int M, int K, int N, rknn_matmul_type type) {
    rknn_matmul_info info;
    memset(&info, 0, sizeof info);
    info.M = M;
    info.K = K;
    info.N = N;
    info.type = type;
    return info;
}

struct mm {
    rknn_matmul_ctx ctx;
    rknn_matmul_io_attr io;
    rknn_tensor_mem *a, *b, *c;
};

static struct mm mm_open(rknn_matmul_info *info) {
    struct mm m;
    memset(&m, 0, sizeof m);
    OK(rknn_matmul_create(&m.ctx, info, &m.io));
    CHECK(m.ctx != 0);
    m.a = rknn_create_mem(m.ctx, m.io.A.size);
    m.b = rknn_create_mem(m.ctx, m.io.B.size);
    m.c = rknn_create_mem(m.ctx, m.io.C.size);
    CHECK(m.a && m.b && m.c);
    OK(rknn_matmul_set_io_mem(m.ctx, m.a, &m.io.A));
    OK(rknn_matmul_set_io_mem(m.ctx, m.b, &m.io.B));
    OK(rknn_matmul_set_io_mem(m.ctx, m.c, &m.io.C));
    return m;
}

static void mm_close(struct mm *m) {
    OK(rknn_destroy_mem(m->ctx, m->a));
    OK(rknn_destroy_mem(m->ctx, m->b));
    OK(rknn_destroy_mem(m->ctx, m->c));
    OK(rknn_matmul_destroy(m->ctx));
}

static int8_t pattern8(int i, int j, int salt) {
    return (int8_t)(((i * 31 + j * 17 + salt) % 255) - 127);
}

static void t_int8_to_int32(void) {
    int M = 4, K = 64, N = 32;
    rknn_matmul_info info = info_of(M, K, N, RKNN_INT8_MM_INT8_TO_INT32);
    struct mm m = mm_open(&info);
    CHECK(strcmp(m.io.A.name, "A") == 0 && m.io.A.n_dims == 2 && m.io.A.dims[0] == 4 && m.io.A.dims[1] == 64);
    CHECK(m.io.A.type == RKNN_TENSOR_INT8 && m.io.B.type == RKNN_TENSOR_INT8 && m.io.C.type == RKNN_TENSOR_INT32);
    CHECK(m.io.B.dims[0] == 64 && m.io.B.dims[1] == 32 && m.io.C.size == (uint32_t)(M * N * 4));
    int8_t *A = m.a->virt_addr, *B = m.b->virt_addr;
    for (int i = 0; i < M; i++)
        for (int k = 0; k < K; k++) A[i * K + k] = pattern8(i, k, 1);
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++) B[k * N + j] = pattern8(k, j, 2);
    OK(rknn_matmul_run(m.ctx));
    const int32_t *C = m.c->virt_addr;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            int32_t want = 0;
            for (int k = 0; k < K; k++) want += A[i * K + k] * B[k * N + j];
            CHECK(C[i * N + j] == want);
        }
    }
    mm_close(&m);
    no_leaks();
}

static void t_fp16_to_fp32(void) {
    int M = 3, K = 32, N = 16;
    rknn_matmul_info info = info_of(M, K, N, RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32);
    struct mm m = mm_open(&info);
    CHECK(m.io.A.type == RKNN_TENSOR_FLOAT16 && m.io.C.type == RKNN_TENSOR_FLOAT32 && m.io.A.size == 3 * 32 * 2);
    uint16_t *A = m.a->virt_addr, *B = m.b->virt_addr;
    for (int i = 0; i < M * K; i++) A[i] = emu_float_to_half((float)(i % 7) * 0.25f - 0.5f);
    for (int i = 0; i < K * N; i++) B[i] = emu_float_to_half((float)(i % 5) * 0.5f - 1.0f);
    OK(rknn_matmul_run(m.ctx));
    const float *C = m.c->virt_addr;
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            float want = 0;
            for (int k = 0; k < K; k++) want += emu_half_to_float(A[i * K + k]) * emu_half_to_float(B[k * N + j]);
            CHECK(fabsf(C[i * N + j] - want) < 1e-4f);
        }
    }
    mm_close(&m);
    no_leaks();
}

static void t_native_b(void) {
    int M = 2, K = 64, N = 64;
    rknn_matmul_info normal = info_of(M, K, N, RKNN_INT8_MM_INT8_TO_INT32);
    rknn_matmul_info native = normal;
    native.B_layout = RKNN_MM_LAYOUT_NATIVE;
    struct mm a = mm_open(&normal), b = mm_open(&native);
    CHECK(b.io.B.n_dims == 4 && b.io.B.dims[0] == 2 && b.io.B.dims[1] == 2 && b.io.B.dims[2] == 32 &&
          b.io.B.dims[3] == 32);
    for (int i = 0; i < M * K; i++) ((int8_t *)a.a->virt_addr)[i] = ((int8_t *)b.a->virt_addr)[i] = pattern8(i, 0, 3);
    int8_t *Bn = a.b->virt_addr;
    for (int i = 0; i < K * N; i++) Bn[i] = pattern8(i, 1, 4);
    OK(rknn_B_normal_layout_to_native_layout(Bn, b.b->virt_addr, K, N, &native));
    /* B[k=33][n=1] lands in block (n/32=0, k/32=1) at row n%32=1, column k%32=1. */
    CHECK(((int8_t *)b.b->virt_addr)[1 * 1024 + 1 * 32 + 1] == Bn[33 * N + 1]);
    OK(rknn_matmul_run(a.ctx));
    OK(rknn_matmul_run(b.ctx));
    CHECK(memcmp(a.c->virt_addr, b.c->virt_addr, a.io.C.size) == 0);
    mm_close(&a);
    mm_close(&b);
    no_leaks();
}

static void t_int8_quantised(void) {
    int M = 1, K = 32, N = 32;
    rknn_matmul_info info = info_of(M, K, N, RKNN_INT8_MM_INT8_TO_INT8);
    struct mm m = mm_open(&info);
    CHECK(m.io.C.type == RKNN_TENSOR_INT8);
    float sa = 0.5f, sb = 0.25f, sc = 2.0f;
    int32_t zc = 3;
    rknn_quant_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.name, "A");
    p.scale = &sa;
    p.scale_len = 1;
    OK(rknn_matmul_set_quant_params(m.ctx, &p));
    strcpy(p.name, "B");
    p.scale = &sb;
    OK(rknn_matmul_set_quant_params(m.ctx, &p));
    strcpy(p.name, "C");
    p.scale = &sc;
    p.zp = &zc;
    p.zp_len = 1;
    OK(rknn_matmul_set_quant_params(m.ctx, &p));
    strcpy(p.name, "D");
    CHECK(rknn_matmul_set_quant_params(m.ctx, &p) == RKNN_ERR_PARAM_INVALID);
    int8_t *A = m.a->virt_addr, *B = m.b->virt_addr;
    for (int k = 0; k < K; k++) A[k] = (int8_t)(k - 16);
    for (int i = 0; i < K * N; i++) B[i] = (int8_t)(i % 9 - 4);
    OK(rknn_matmul_run(m.ctx));
    for (int j = 0; j < N; j++) {
        int32_t acc = 0;
        for (int k = 0; k < K; k++) acc += A[k] * B[k * N + j];
        double q = nearbyint(acc * 0.5 * 0.25 / 2.0) + 3;
        q = q < -128 ? -128 : q > 127 ? 127 : q;
        CHECK(((int8_t *)m.c->virt_addr)[j] == (int8_t)q);
    }
    mm_close(&m);
    no_leaks();
}

static void t_dynamic_shape(void) {
    rknn_matmul_info info = info_of(0, 0, 0, RKNN_INT8_MM_INT8_TO_INT32);
    rknn_matmul_shape shapes[2] = {{1, 32, 32}, {4, 32, 32}};
    rknn_matmul_io_attr io[2];
    rknn_matmul_ctx ctx = 0;
    OK(rknn_matmul_create_dynamic_shape(&ctx, &info, 2, shapes, io));
    CHECK(io[0].A.dims[0] == 1 && io[1].A.dims[0] == 4 && io[1].C.size == 4 * 32 * 4);
    rknn_tensor_mem *a = rknn_create_mem(ctx, io[1].A.size), *b = rknn_create_mem(ctx, io[1].B.size),
                    *c = rknn_create_mem(ctx, io[1].C.size);
    OK(rknn_matmul_set_io_mem(ctx, a, &io[1].A));
    OK(rknn_matmul_set_io_mem(ctx, b, &io[1].B));
    OK(rknn_matmul_set_io_mem(ctx, c, &io[1].C));
    memset(a->virt_addr, 1, a->size);
    memset(b->virt_addr, 2, b->size);
    memset(c->virt_addr, 0, c->size);
    OK(rknn_matmul_run(ctx)); /* the first shape: one row */
    CHECK(((int32_t *)c->virt_addr)[0] == 64 && ((int32_t *)c->virt_addr)[32] == 0);
    OK(rknn_matmul_set_dynamic_shape(ctx, &shapes[1]));
    OK(rknn_matmul_run(ctx));
    CHECK(((int32_t *)c->virt_addr)[3 * 32 + 31] == 64);
    rknn_matmul_shape other = {2, 32, 32};
    CHECK(rknn_matmul_set_dynamic_shape(ctx, &other) == RKNN_ERR_PARAM_INVALID);
    OK(rknn_destroy_mem(ctx, a));
    CHECK(rknn_matmul_run(ctx) == RKNN_ERR_PARAM_INVALID); /* A was unbound by its destruction */
    OK(rknn_destroy_mem(ctx, b));
    OK(rknn_destroy_mem(ctx, c));
    OK(rknn_matmul_destroy(ctx));
    no_leaks();
}

static void t_refusals(void) {
    rknn_matmul_ctx ctx = 0;
    rknn_matmul_io_attr io;
    rknn_matmul_info info = info_of(4, 48, 32, RKNN_INT8_MM_INT8_TO_INT32); /* K not a multiple of 32 */
    CHECK(rknn_matmul_create(&ctx, &info, &io) == RKNN_ERR_PARAM_INVALID && ctx == 0);
    info = info_of(4, 32, 8, RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32); /* N not a multiple of 16 */
    CHECK(rknn_matmul_create(&ctx, &info, &io) == RKNN_ERR_PARAM_INVALID);
    info = info_of(4, 10272, 32, RKNN_INT8_MM_INT8_TO_INT32); /* K > 10240 */
    CHECK(rknn_matmul_create(&ctx, &info, &io) == RKNN_ERR_PARAM_INVALID);
    info = info_of(4, 32, 32, RKNN_FLOAT16_MM_INT4_TO_FLOAT32); /* not emulated */
    CHECK(rknn_matmul_create(&ctx, &info, &io) == RKNN_ERR_PARAM_INVALID);
    CHECK(rknn_matmul_run(0x7777) == RKNN_ERR_CTX_INVALID);
    CHECK(rknn_matmul_destroy(0x7777) == RKNN_ERR_CTX_INVALID);
    info = info_of(1, 32, 32, RKNN_INT8_MM_INT8_TO_INT32);
    OK(rknn_matmul_create(&ctx, &info, &io));
    CHECK(rknn_matmul_run(ctx) == RKNN_ERR_PARAM_INVALID); /* nothing bound */
    rknn_tensor_mem *small = rknn_create_mem(ctx, 16);
    CHECK(rknn_matmul_set_io_mem(ctx, small, &io.A) == RKNN_ERR_PARAM_INVALID);
    CHECK(rknn_matmul_set_core_mask(ctx, (rknn_core_mask)0x8) == RKNN_ERR_PARAM_INVALID);
    OK(rknn_matmul_set_core_mask(ctx, RKNN_NPU_CORE_0_1_2));
    rknn_quant_params p;
    memset(&p, 0, sizeof p);
    strcpy(p.name, "A");
    float s = 0.5f;
    float got = 0, cs = 0;
    p.scale = &s;
    p.scale_len = 1;
    OK(rknn_matmul_set_quant_params(ctx, &p));
    p.scale = &got;
    OK(rknn_matmul_get_quant_params(ctx, &p, &cs));
    CHECK(got == 0.5f && cs == 0.5f); /* scale_A * scale_B (B defaults to 1) */
    OK(rknn_destroy_mem(ctx, small));
    OK(rknn_matmul_destroy(ctx));
    CHECK(rknn_matmul_destroy(ctx) == RKNN_ERR_CTX_INVALID);
    CHECK(rknn_create_mem(ctx, 16) == NULL); /* a destroyed matmul context owns no memory */
    no_leaks();
}

static const struct {
    const char *name;
    void (*fn)(void);
} TESTS[] = {
    {"int8_to_int32", t_int8_to_int32}, {"fp16_to_fp32", t_fp16_to_fp32}, {"native_b", t_native_b},
    {"int8_quantised", t_int8_quantised}, {"dynamic_shape", t_dynamic_shape}, {"refusals", t_refusals},
};

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: rknn_matmul_test <name>\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof TESTS / sizeof *TESTS; i++) {
        if (strcmp(argv[1], TESTS[i].name) == 0) {
            TESTS[i].fn();
            return 0;
        }
    }
    fprintf(stderr, "rknn_matmul_test: no test %s\n", argv[1]);
    return 2;
}
