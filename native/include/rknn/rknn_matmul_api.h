/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the RKNN matmul ABI (librknnrt.so 2.1.0 ...
 * 2.3.2): C = A x B on the NPU without a model. Written from the published
 * facts of the ABI (symbol names, signatures, struct field order and sizes,
 * enum values); not the vendor's text. Plain C11 for gcc and jextract.
 *
 * Shapes: A is M x K, B is K x N, C is M x N, row-major in the normal layout
 * (RKNN_MM_LAYOUT_NORM). The native layouts (RKNN_MM_LAYOUT_NATIVE) are the
 * NPU's blocked orders; on RK3588/RK3576 B native is [N/subN, K/subK, subN,
 * subK] with subN x subK = 32 x 32 (int8) or 16 x 32 (float16), the sub sizes
 * reported in rknn_matmul_io_attr.B.dims[2] and dims[3].
 *
 * Some builds of librknnrt.so lack these functions: npu4j looks them up when
 * first used.
 */
#ifndef NPU4J_RKNN_MATMUL_API_H
#define NPU4J_RKNN_MATMUL_API_H

#include "rknn_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A matmul context: a handle of the same kind as rknn_context. */
typedef rknn_context rknn_matmul_ctx;

/* How B (and A, C) are quantised: per layer, per output channel, per group. */
typedef enum rknn_matmul_quant_type {
    RKNN_QUANT_TYPE_PER_LAYER_SYM = 0,
    RKNN_QUANT_TYPE_PER_LAYER_ASYM = 1,
    RKNN_QUANT_TYPE_PER_CHANNEL_SYM = 2,
    RKNN_QUANT_TYPE_PER_CHANNEL_ASYM = 3,
    RKNN_QUANT_TYPE_PER_GROUP_SYM = 4,
    RKNN_QUANT_TYPE_PER_GROUP_ASYM = 5
} rknn_matmul_quant_type;

/* 288 bytes. Scale and zero point arrays of the tensor called name ("A", "B" or "C");
 * one element per layer, N per channel of B. The arrays stay the caller's. */
typedef struct rknn_quant_params {
    char name[RKNN_MAX_NAME_LEN];
    float *scale;
    int32_t scale_len;
    int32_t *zp;
    int32_t zp_len;
} rknn_quant_params;

/* Element types: A type x B type -> C type. */
typedef enum rknn_matmul_type {
    RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32 = 1,
    RKNN_INT8_MM_INT8_TO_INT32 = 2,
    RKNN_INT8_MM_INT8_TO_INT8 = 3,
    RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT16 = 4,
    RKNN_FLOAT16_MM_INT8_TO_FLOAT32 = 5,
    RKNN_FLOAT16_MM_INT8_TO_FLOAT16 = 6,
    RKNN_FLOAT16_MM_INT4_TO_FLOAT32 = 7,
    RKNN_FLOAT16_MM_INT4_TO_FLOAT16 = 8,
    RKNN_INT8_MM_INT8_TO_FLOAT32 = 9,
    RKNN_INT4_MM_INT4_TO_INT16 = 10,
    RKNN_INT8_MM_INT4_TO_INT32 = 11,
    RKNN_FLOAT16_MM_INT4_TO_BFLOAT16 = 12,
    RKNN_INT8_MM_INT4_TO_FLOAT16 = 15
} rknn_matmul_type;

/* 332 bytes: one of A, B, C as the runtime lays it out; size in bytes. */
typedef struct rknn_matmul_tensor_attr {
    char name[RKNN_MAX_NAME_LEN];
    uint32_t n_dims;
    uint32_t dims[RKNN_MAX_DIMS];
    uint32_t size;
    rknn_tensor_type type;
} rknn_matmul_tensor_attr;

/* 996 bytes: what rknn_matmul_create reports for A, B and C. */
typedef struct rknn_matmul_io_attr {
    rknn_matmul_tensor_attr A;
    rknn_matmul_tensor_attr B;
    rknn_matmul_tensor_attr C;
} rknn_matmul_io_attr;

/* 12 bytes: one shape of a dynamic-shape matmul. */
typedef struct rknn_matmul_shape {
    int32_t M;
    int32_t K;
    int32_t N;
} rknn_matmul_shape;

/* Values of rknn_matmul_info.B_layout and .AC_layout. */
typedef enum rknn_matmul_layout {
    RKNN_MM_LAYOUT_NORM = 0,
    RKNN_MM_LAYOUT_NATIVE = 1,
    RKNN_MM_LAYOUT_TP_NORM = 2 /* transposed normal */
} rknn_matmul_layout;

/* 64 bytes. K and N have per-SoC alignment limits (RK3588/RK3576: K a multiple of 32;
 * N a multiple of 32 for int8, 16 for float16); K at most 10240. */
typedef struct rknn_matmul_info {
    int32_t M;
    int32_t K;
    int32_t N;
    rknn_matmul_type type;
    int16_t B_layout;      /* rknn_matmul_layout */
    int16_t B_quant_type;  /* 0 per layer, 1 per channel, 2 per group */
    int16_t AC_layout;     /* rknn_matmul_layout */
    int16_t AC_quant_type; /* 0 only */
    int32_t iommu_domain_id;
    int16_t group_size; /* with B_quant_type 2 */
    int8_t reserved[34];
} rknn_matmul_info;

/* Creates a matmul context for info's M, K, N and type; fills io_attr. */
int rknn_matmul_create(rknn_matmul_ctx *ctx, rknn_matmul_info *info, rknn_matmul_io_attr *io_attr);
/* As rknn_matmul_create for shape_num shapes (info's M, K, N ignored); fills one
 * io_attrs element per shape. */
int rknn_matmul_create_dynamic_shape(rknn_matmul_ctx *ctx, rknn_matmul_info *info, int shape_num,
                                     rknn_matmul_shape dynamic_shapes[], rknn_matmul_io_attr io_attrs[]);
/* Binds memory from rknn_create_mem(ctx, attr->size) to the tensor attr names. */
int rknn_matmul_set_io_mem(rknn_matmul_ctx ctx, rknn_tensor_mem *mem, rknn_matmul_tensor_attr *attr);
int rknn_matmul_set_core_mask(rknn_matmul_ctx context, rknn_core_mask core_mask);
/* Integer types only (INT8 -> INT8, INT8 -> INT32). */
int rknn_matmul_set_quant_params(rknn_matmul_ctx context, rknn_quant_params *params);
/* INT8 -> INT32 per channel: the params set, and in scale the one scale of C. */
int rknn_matmul_get_quant_params(rknn_matmul_ctx ctx, rknn_quant_params *params, float *scale);
/* Chooses one of the shapes given at creation (only M may vary). */
int rknn_matmul_set_dynamic_shape(rknn_matmul_ctx ctx, rknn_matmul_shape *shape);
/* Runs C = A x B, blocking. */
int rknn_matmul_run(rknn_matmul_ctx ctx);
int rknn_matmul_destroy(rknn_matmul_ctx ctx);
/* Converts B from the normal K x N layout to the native one of info's type (2.1.0 signature;
 * before: subN, subK and the type as separate arguments). */
int rknn_B_normal_layout_to_native_layout(void *B_input, void *B_output, int K, int N, rknn_matmul_info *info);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NPU4J_RKNN_MATMUL_API_H */
