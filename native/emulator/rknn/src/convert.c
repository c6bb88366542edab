/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Between the user's buffers and the emulated NPU's canonical tensors:
 *   inputs:  UINT8 / INT8 / FLOAT16 / FLOAT32, NHWC (with a row stride) or NCHW,
 *            into the canonical uint8 NHWC image;
 *   outputs: the canonical tensor (model type, NCHW for 4-d) out as NCHW, NHWC
 *            or NC1HWC2 (channel c in plane c / C2 at offset c % C2, padding
 *            channels zero), as the model type or dequantized to FLOAT32 /
 *            FLOAT16 (real = (q - zp) * scale).
 */
#include "rkemu.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "emu_float.h"

static bool is_4d_image(const struct rk_tensor *t) {
    return t->n_dims == 4;
}

size_t rk_view_bytes(const struct rk_tensor *t, const struct rk_view *v) {
    size_t es = rk_type_size(v->type);
    if (!is_4d_image(t)) {
        return (size_t)rk_tensor_elems(t) * es;
    }
    bool nhwc_model = t->fmt == RKNN_TENSOR_NHWC;
    size_t N = t->dims[0];
    size_t C = nhwc_model ? t->dims[3] : t->dims[1];
    size_t H = nhwc_model ? t->dims[1] : t->dims[2];
    size_t W = nhwc_model ? t->dims[2] : t->dims[3];
    switch (v->fmt) {
    case RKNN_TENSOR_NHWC: return N * H * (v->w_stride ? v->w_stride : W) * C * es;
    case RKNN_TENSOR_NC1HWC2: {
        size_t c2 = v->c2 ? v->c2 : 1;
        return N * ((C + c2 - 1) / c2) * H * W * c2 * es;
    }
    default: return N * C * H * W * es;
    }
}

static double load(rknn_tensor_type type, const uint8_t *p, size_t i) {
    switch (type) {
    case RKNN_TENSOR_UINT8: return p[i];
    case RKNN_TENSOR_INT8: return (int8_t)p[i];
    case RKNN_TENSOR_FLOAT16: { uint16_t h; memcpy(&h, p + 2 * i, 2); return emu_half_to_float(h); }
    case RKNN_TENSOR_FLOAT32: { float f; memcpy(&f, p + 4 * i, 4); return f; }
    default: return 0;
    }
}

static void store(rknn_tensor_type type, uint8_t *p, size_t i, double v) {
    switch (type) {
    case RKNN_TENSOR_UINT8: p[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v)); break;
    case RKNN_TENSOR_INT8: p[i] = (uint8_t)(int8_t)(v < -128 ? -128 : v > 127 ? 127 : lrint(v)); break;
    case RKNN_TENSOR_FLOAT16: { uint16_t h = emu_float_to_half((float)v); memcpy(p + 2 * i, &h, 2); break; }
    case RKNN_TENSOR_FLOAT32: { float f = (float)v; memcpy(p + 4 * i, &f, 4); break; }
    default: break;
    }
}

static bool importable(rknn_tensor_type t) {
    return t == RKNN_TENSOR_UINT8 || t == RKNN_TENSOR_INT8 || t == RKNN_TENSOR_FLOAT16 || t == RKNN_TENSOR_FLOAT32;
}

int rk_input_import(const struct rk_tensor *t, const struct rk_view *v, const void *src, uint8_t *canon, char *why,
                    size_t whylen) {
    if (!importable(v->type)) {
        snprintf(why, whylen, "input type %s not supported (UINT8, INT8, FLOAT16 or FLOAT32)", rk_type_name(v->type));
        return -1;
    }
    if (v->fmt != RKNN_TENSOR_NHWC && v->fmt != RKNN_TENSOR_NCHW) {
        snprintf(why, whylen, "input format %s not supported (NHWC or NCHW)", rk_fmt_name(v->fmt));
        return -1;
    }
    size_t H = t->dims[1], W = t->dims[2], C = t->dims[3], ws = v->w_stride ? v->w_stride : W;
    if (ws < W) {
        snprintf(why, whylen, "w_stride %zu is below the width %zu", ws, W);
        return -1;
    }
    const uint8_t *s = src;
    /* INT8 pixels are uint8 shifted by 128; floats are pixel values 0..255 (mean and std are in the model). */
    double shift = v->type == RKNN_TENSOR_INT8 ? 128.0 : 0.0;
    if (v->fmt == RKNN_TENSOR_NHWC && v->type == RKNN_TENSOR_UINT8) {
        for (size_t y = 0; y < H; y++) {
            memcpy(canon + y * W * C, s + y * ws * C, W * C);
        }
        return 0;
    }
    for (size_t y = 0; y < H; y++) {
        for (size_t x = 0; x < W; x++) {
            for (size_t c = 0; c < C; c++) {
                size_t i = v->fmt == RKNN_TENSOR_NHWC ? (y * ws + x) * C + c : (c * H + y) * W + x;
                store(RKNN_TENSOR_UINT8, canon, (y * W + x) * C + c, load(v->type, s, i) + shift);
            }
        }
    }
    return 0;
}

int rk_output_export(const struct rk_tensor *t, const struct rk_view *v, const uint8_t *canon, void *dst, char *why,
                     size_t whylen) {
    bool same = v->type == t->type;
    if (!same && v->type != RKNN_TENSOR_FLOAT32 && v->type != RKNN_TENSOR_FLOAT16) {
        snprintf(why, whylen, "output type %s not supported for a %s tensor (%s, FLOAT32 or FLOAT16)",
                 rk_type_name(v->type), rk_type_name(t->type), rk_type_name(t->type));
        return -1;
    }
    bool quant = t->qnt == RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC;
    uint8_t *d = dst;
    size_t n = rk_tensor_elems(t);
    if (!is_4d_image(t) || v->fmt == RKNN_TENSOR_NCHW || v->fmt == RKNN_TENSOR_UNDEFINED) {
        if (same) {
            memcpy(d, canon, n * rk_type_size(t->type));
            return 0;
        }
        for (size_t i = 0; i < n; i++) {
            double q = load(t->type, canon, i);
            store(v->type, d, i, quant ? (q - t->zp) * t->scale : q);
        }
        return 0;
    }
    size_t C = t->dims[1], H = t->dims[2], W = t->dims[3], c2 = v->c2;
    if (v->fmt == RKNN_TENSOR_NC1HWC2) {
        if (c2 == 0 || c2 > 64) {
            snprintf(why, whylen, "NC1HWC2 needs C2 in dims[4] (1..64), got %zu", c2);
            return -1;
        }
        memset(d, 0, rk_view_bytes(t, v));
    } else if (v->fmt != RKNN_TENSOR_NHWC) {
        snprintf(why, whylen, "output format %s not supported (NCHW, NHWC or NC1HWC2)", rk_fmt_name(v->fmt));
        return -1;
    }
    size_t es = rk_type_size(v->type);
    for (size_t c = 0; c < C; c++) {
        for (size_t p = 0; p < H * W; p++) {
            size_t from = c * H * W + p;
            size_t to = v->fmt == RKNN_TENSOR_NHWC ? p * C + c : ((c / c2) * H * W + p) * c2 + c % c2;
            if (same) {
                memcpy(d + to * es, canon + from * es, es);
            } else {
                double q = load(t->type, canon, from);
                store(v->type, d, to, quant ? (q - t->zp) * t->scale : q);
            }
        }
    }
    return 0;
}
