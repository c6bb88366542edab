/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * What an emulated model computes (the descriptor's "compute" line):
 *
 *   identity  output i = input i, byte for byte (same sizes required)
 *   affine    output i = input i * scale + bias, element-wise, converting
 *             between the tensors' types (integer outputs round and saturate)
 *   hash      outputs are pseudo-random but a pure function of the input
 *             bytes: floats in [-1, 1), plus "peak" at one position per row
 *             of the last dimension (a classifier's clear winner)
 *   yolo      a synthetic detector: finds solid-colour rectangles in an RGB
 *             uint8 image and writes YOLOv8/YOLO11 head outputs that decode
 *             to them (see README.md for the exact arrangement)
 */
#include "axemu.h"
#include "emu_float.h"
#include "emu_hash.h"
#include "emu_scene.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Element access                                                      */
/* ------------------------------------------------------------------ */

static bool numeric(axclrtEngineDataType t) {
    switch (t) {
    case AXCL_DATA_TYPE_INT8:
    case AXCL_DATA_TYPE_UINT8:
    case AXCL_DATA_TYPE_INT16:
    case AXCL_DATA_TYPE_UINT16:
    case AXCL_DATA_TYPE_INT32:
    case AXCL_DATA_TYPE_UINT32:
    case AXCL_DATA_TYPE_FP16:
    case AXCL_DATA_TYPE_BF16:
    case AXCL_DATA_TYPE_FP32:
    case AXCL_DATA_TYPE_FP64: return true;
    default: return false;
    }
}

static bool floating(axclrtEngineDataType t) {
    return t == AXCL_DATA_TYPE_FP16 || t == AXCL_DATA_TYPE_BF16 || t == AXCL_DATA_TYPE_FP32 || t == AXCL_DATA_TYPE_FP64;
}

static double load(const uint8_t *p, axclrtEngineDataType t, size_t i) {
    switch (t) {
    case AXCL_DATA_TYPE_INT8: return ((const int8_t *)p)[i];
    case AXCL_DATA_TYPE_UINT8: return p[i];
    case AXCL_DATA_TYPE_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case AXCL_DATA_TYPE_UINT16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case AXCL_DATA_TYPE_INT32: { int32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case AXCL_DATA_TYPE_UINT32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case AXCL_DATA_TYPE_FP16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return emu_half_to_float(v); }
    case AXCL_DATA_TYPE_BF16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return emu_bf16_to_float(v); }
    case AXCL_DATA_TYPE_FP32: { float v; memcpy(&v, p + 4 * i, 4); return v; }
    case AXCL_DATA_TYPE_FP64: { double v; memcpy(&v, p + 8 * i, 8); return v; }
    default: return 0;
    }
}

/* Rounds to nearest and saturates into [lo, hi]. */
static double clampr(double v, double lo, double hi) {
    if (isnan(v)) {
        return 0;
    }
    v = nearbyint(v);
    return v < lo ? lo : v > hi ? hi : v;
}

static void store(uint8_t *p, axclrtEngineDataType t, size_t i, double v) {
    switch (t) {
    case AXCL_DATA_TYPE_INT8: ((int8_t *)p)[i] = (int8_t)clampr(v, -128, 127); break;
    case AXCL_DATA_TYPE_UINT8: p[i] = (uint8_t)clampr(v, 0, 255); break;
    case AXCL_DATA_TYPE_INT16: { int16_t x = (int16_t)clampr(v, -32768, 32767); memcpy(p + 2 * i, &x, 2); break; }
    case AXCL_DATA_TYPE_UINT16: { uint16_t x = (uint16_t)clampr(v, 0, 65535); memcpy(p + 2 * i, &x, 2); break; }
    case AXCL_DATA_TYPE_INT32: { int32_t x = (int32_t)clampr(v, -2147483648.0, 2147483647.0); memcpy(p + 4 * i, &x, 4); break; }
    case AXCL_DATA_TYPE_UINT32: { uint32_t x = (uint32_t)clampr(v, 0, 4294967295.0); memcpy(p + 4 * i, &x, 4); break; }
    case AXCL_DATA_TYPE_FP16: { uint16_t x = emu_float_to_half((float)v); memcpy(p + 2 * i, &x, 2); break; }
    case AXCL_DATA_TYPE_BF16: { uint16_t x = emu_float_to_bf16((float)v); memcpy(p + 2 * i, &x, 2); break; }
    case AXCL_DATA_TYPE_FP32: { float x = (float)v; memcpy(p + 4 * i, &x, 4); break; }
    case AXCL_DATA_TYPE_FP64: memcpy(p + 8 * i, &v, 8); break;
    default: break;
    }
}

static uint64_t elements(const struct ax_tensor *t, int group) {
    unsigned bits = ax_dtype_bits(t->type);
    return bits ? t->size[group] * 8 / bits : 0;
}

/* ------------------------------------------------------------------ */
/* hash                                                                */
/* ------------------------------------------------------------------ */

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ emu_mix64(w + i)) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < n; i++, k++) {
        tail |= (uint64_t)p[i] << (8 * k);
    }
    return emu_mix64(h ^ tail ^ n);
}

static void run_hash(const struct ax_desc *d, int group, uint32_t batch, const uint8_t *const *in, uint8_t *const *out) {
    uint64_t h = 0x6E707534ull ^ (uint64_t)group; /* "npu4" */
    for (int i = 0; i < d->nin; i++) {
        h = hash_bytes(h, in[i], d->in[i].size[group] * batch);
    }
    for (int o = 0; o < d->nout; o++) {
        const struct ax_tensor *t = &d->out[o];
        uint64_t state = emu_mix64(h + 0x9E3779B97F4A7C15ull * (uint64_t)(o + 1));
        if (!numeric(t->type)) {
            for (uint64_t b = 0; b < t->size[group] * batch; b++) {
                state += 0x9E3779B97F4A7C15ull;
                out[o][b] = (uint8_t)emu_mix64(state);
            }
            continue;
        }
        uint64_t n = elements(t, group) * batch;
        uint64_t row = (uint64_t)t->dims[group][t->ndims[group] - 1];
        uint64_t hot = 0;
        for (uint64_t e = 0; e < n; e++) {
            state += 0x9E3779B97F4A7C15ull;
            uint64_t r = emu_mix64(state);
            double v;
            if (floating(t->type)) {
                v = (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0; /* [-1, 1) */
                if (d->peak != 0 && row > 0) {
                    if (e % row == 0) {
                        hot = emu_mix64(h ^ (e / row) ^ ((uint64_t)o << 40)) % row;
                    }
                    if (e % row == hot) {
                        v += d->peak;
                    }
                }
            } else {
                v = (double)(r >> 11); /* saturates into the integer type */
                v = fmod(v, 256.0);
            }
            store(out[o], t->type, e, v);
        }
    }
}

/* ------------------------------------------------------------------ */
/* yolo                                                                */
/* ------------------------------------------------------------------ */

#define YOLO_MAX_DETS 512
#define BG_LOGIT (-8.0f)   /* sigmoid = 0.000335 */

/* Input geometry of a yolo model: N, H, W and whether the planes are separate. */
static void yolo_geometry(const struct ax_tensor *t, int *h, int *w, bool *nchw) {
    *nchw = t->layout == AXCL_DATA_LAYOUT_NCHW;
    *h = *nchw ? t->dims[0][2] : t->dims[0][1];
    *w = *nchw ? t->dims[0][3] : t->dims[0][2];
}

/* Element index of channel c at cell (x, y) of a [1, gh, gw, C] (or NCHW) head. */
static size_t head_index(bool nchw, int gh, int gw, int C, int x, int y, int c) {
    return nchw ? (size_t)c * gh * gw + (size_t)y * gw + x : ((size_t)y * gw + x) * C + c;
}

struct yolo_out {
    float *box[3], *cls[3]; /* DFL heads (box == cls for the concat arrangement) */
    bool nchw[3];
    float *decoded;
    bool channel_major;
    int anchors;
};

static void yolo_background(const struct ax_desc *d, const struct yolo_out *o, int H, int W) {
    int reg = d->reg_max, nc = d->classes;
    if (d->head == AX_YOLO_DECODED) {
        int a = 0, C = 4 + nc;
        float bg = 1.0f / (1.0f + expf(-BG_LOGIT));
        for (int k = 0; k < 3; k++) {
            int s = 8 << k, gw = W / s, gh = H / s;
            for (int y = 0; y < gh; y++) {
                for (int x = 0; x < gw; x++, a++) {
                    float v[4] = {(x + 0.5f) * s, (y + 0.5f) * s, (float)s, (float)s};
                    for (int c = 0; c < C; c++) {
                        size_t i = o->channel_major ? (size_t)c * o->anchors + a : (size_t)a * C + c;
                        o->decoded[i] = c < 4 ? v[c] : bg;
                    }
                }
            }
        }
        return;
    }
    float side[64];
    emu_dfl_side(side, reg, 0.5); /* a stride-sized square around the cell centre */
    bool concat = d->head == AX_YOLO_DFL_CONCAT;
    for (int k = 0; k < 3; k++) {
        int s = 8 << k, gw = W / s, gh = H / s;
        int cb = concat ? 4 * reg + nc : 4 * reg, cc = concat ? 4 * reg + nc : nc, off = concat ? 4 * reg : 0;
        for (int y = 0; y < gh; y++) {
            for (int x = 0; x < gw; x++) {
                for (int c = 0; c < 4 * reg; c++) {
                    o->box[k][head_index(o->nchw[k], gh, gw, cb, x, y, c)] = side[c % reg];
                }
                for (int c = 0; c < nc; c++) {
                    o->cls[k][head_index(o->nchw[k], gh, gw, cc, x, y, off + c)] = BG_LOGIT;
                }
            }
        }
    }
}

static void yolo_put(const struct ax_desc *d, const struct yolo_out *o, int H, int W, const struct emu_rect *det, int k,
                     int gx, int gy) {
    int reg = d->reg_max, nc = d->classes, s = 8 << k, gw = W / s, gh = H / s;
    if (d->head == AX_YOLO_DECODED) {
        int a = 0;
        for (int j = 0; j < k; j++) {
            a += (H / (8 << j)) * (W / (8 << j));
        }
        a += gy * gw + gx;
        int C = 4 + nc;
        float v[4] = {(det->x0 + det->x1) / 2.0f, (det->y0 + det->y1) / 2.0f, (float)(det->x1 - det->x0),
                      (float)(det->y1 - det->y0)};
        for (int c = 0; c < 4; c++) {
            o->decoded[o->channel_major ? (size_t)c * o->anchors + a : (size_t)a * C + c] = v[c];
        }
        size_t c = 4 + (size_t)det->cls;
        o->decoded[o->channel_major ? c * o->anchors + a : (size_t)a * C + c] = det->conf;
        return;
    }
    bool concat = d->head == AX_YOLO_DFL_CONCAT;
    int cb = concat ? 4 * reg + nc : 4 * reg, cc = concat ? 4 * reg + nc : nc, off = concat ? 4 * reg : 0;
    double anx = (gx + 0.5) * s, any = (gy + 0.5) * s;
    /* Distances from the anchor point to the left, top, right, bottom sides, in strides. */
    double dist[4] = {(anx - det->x0) / s, (any - det->y0) / s, (det->x1 - anx) / s, (det->y1 - any) / s};
    float side[64];
    for (int sd = 0; sd < 4; sd++) {
        emu_dfl_side(side, reg, dist[sd]);
        for (int b = 0; b < reg; b++) {
            o->box[k][head_index(o->nchw[k], gh, gw, cb, gx, gy, sd * reg + b)] = side[b];
        }
    }
    double p = det->conf;
    o->cls[k][head_index(o->nchw[k], gh, gw, cc, gx, gy, off + det->cls)] = (float)log(p / (1 - p));
}

static int run_yolo(const struct ax_desc *d, int group, uint32_t batch, const uint8_t *const *in, uint8_t *const *out,
                    char *why, size_t whylen) {
    int H, W;
    bool nchw;
    yolo_geometry(&d->in[0], &H, &W, &nchw);
    size_t n = (size_t)H * W;
    emu_scene *scene = emu_scene_new(H, W);
    struct emu_rect *dets = malloc(YOLO_MAX_DETS * sizeof *dets);
    int rc = 0;
    if (!scene || !dets) {
        snprintf(why, whylen, "out of host memory");
        rc = -1;
        goto out;
    }
    for (uint32_t b = 0; b < batch; b++) {
        const uint8_t *img = in[0] + d->in[0].size[group] * b;
        struct yolo_out o = {0};
        if (d->head == AX_YOLO_DECODED) {
            o.decoded = (float *)(out[0] + d->out[0].size[group] * b);
            o.anchors = (int)(n / 64 + n / 256 + n / 1024);
            o.channel_major = d->out[0].dims[0][1] == 4 + d->classes;
        } else {
            for (int k = 0; k < 3; k++) {
                int bi = d->head == AX_YOLO_DFL_SPLIT ? 2 * k : k, ci = d->head == AX_YOLO_DFL_SPLIT ? 2 * k + 1 : k;
                o.box[k] = (float *)(out[bi] + d->out[bi].size[group] * b);
                o.cls[k] = (float *)(out[ci] + d->out[ci].size[group] * b);
                o.nchw[k] = d->out[bi].layout == AXCL_DATA_LAYOUT_NCHW;
            }
        }
        yolo_background(d, &o, H, W);
        int ndet = emu_scene_find(scene, img, nchw, d->classes, dets, YOLO_MAX_DETS);
        for (int i = 0; i < ndet; i++) {
            int k, gx, gy;
            if (emu_scene_assign(scene, &dets[i], &k, &gx, &gy)) {
                yolo_put(d, &o, H, W, &dets[i], k, gx, gy);
            } else {
                ax_log(AX_LOG_DEBUG, "yolo: no free grid cell for the box (%d,%d)-(%d,%d); dropped", dets[i].x0,
                       dets[i].y0, dets[i].x1, dets[i].y1);
            }
        }
    }
out:
    emu_scene_free(scene);
    free(dets);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Load-time checks                                                    */
/* ------------------------------------------------------------------ */

static bool dims_are(const struct ax_tensor *t, int n, const int32_t *want) {
    if (t->ndims[0] != n) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (t->dims[0][i] != want[i]) {
            return false;
        }
    }
    return true;
}

static int check_yolo(const struct ax_desc *d, char *why, size_t whylen) {
    if (d->ngroups != 1 || d->nin != 1) {
        snprintf(why, whylen, "compute yolo: one shape group and one input expected");
        return -1;
    }
    const struct ax_tensor *t = &d->in[0];
    bool nchw = t->layout == AXCL_DATA_LAYOUT_NCHW;
    if (t->type != AXCL_DATA_TYPE_UINT8 || t->ndims[0] != 4 || t->dims[0][0] != 1 ||
        (nchw ? t->dims[0][1] : t->dims[0][3]) != 3) {
        snprintf(why, whylen, "compute yolo: input \"%s\" must be uint8 1xHxWx3 (nhwc) or 1x3xHxW (nchw)", t->name);
        return -1;
    }
    int H, W;
    yolo_geometry(t, &H, &W, &nchw);
    if (H % 32 || W % 32) {
        snprintf(why, whylen, "compute yolo: image height and width must be multiples of 32");
        return -1;
    }
    int reg = d->reg_max, nc = d->classes;
    if (reg > 64) {
        snprintf(why, whylen, "compute yolo: reg_max above 64");
        return -1;
    }
    if (d->head == AX_YOLO_DECODED) {
        int32_t A = (H / 8) * (W / 8) + (H / 16) * (W / 16) + (H / 32) * (W / 32);
        int32_t cm[3] = {1, 4 + nc, A}, am[3] = {1, A, 4 + nc};
        if (d->nout != 1 || d->out[0].type != AXCL_DATA_TYPE_FP32 || !(dims_are(&d->out[0], 3, cm) || dims_are(&d->out[0], 3, am))) {
            snprintf(why, whylen, "compute yolo head=decoded: one fp32 output 1x%dx%d (or 1x%dx%d) expected", 4 + nc, A, A,
                     4 + nc);
            return -1;
        }
        return 0;
    }
    bool split = d->head == AX_YOLO_DFL_SPLIT;
    if (d->nout != (split ? 6 : 3)) {
        snprintf(why, whylen, "compute yolo head=%s: %d outputs expected", split ? "dfl_split" : "dfl_concat",
                 split ? 6 : 3);
        return -1;
    }
    for (int k = 0; k < 3; k++) {
        int s = 8 << k, gh = H / s, gw = W / s;
        for (int j = 0; j < (split ? 2 : 1); j++) {
            const struct ax_tensor *o = &d->out[split ? 2 * k + j : k];
            int C = split ? (j == 0 ? 4 * reg : nc) : 4 * reg + nc;
            bool onchw = o->layout == AXCL_DATA_LAYOUT_NCHW;
            int32_t want[4] = {1, gh, gw, C}, wantc[4] = {1, C, gh, gw};
            if (o->type != AXCL_DATA_TYPE_FP32 || !dims_are(o, 4, onchw ? wantc : want)) {
                snprintf(why, whylen, "compute yolo: output \"%s\" must be fp32 %s 1x%dx%dx%d (stride %d)", o->name,
                         onchw ? "nchw" : "nhwc", onchw ? C : gh, onchw ? gh : gw, onchw ? gw : C, s);
                return -1;
            }
        }
    }
    return 0;
}

int ax_compute_check(const struct ax_desc *d, char *why, size_t whylen) {
    switch (d->compute) {
    case AX_COMPUTE_IDENTITY:
    case AX_COMPUTE_AFFINE:
        if (d->nin != d->nout) {
            snprintf(why, whylen, "compute %s: as many outputs as inputs expected",
                     d->compute == AX_COMPUTE_IDENTITY ? "identity" : "affine");
            return -1;
        }
        for (int i = 0; i < d->nin; i++) {
            for (int g = 0; g < d->ngroups; g++) {
                const struct ax_tensor *a = &d->in[i], *b = &d->out[i];
                if (d->compute == AX_COMPUTE_IDENTITY && a->size[g] != b->size[g]) {
                    snprintf(why, whylen, "compute identity: input \"%s\" and output \"%s\" differ in size", a->name,
                             b->name);
                    return -1;
                }
                if (d->compute == AX_COMPUTE_AFFINE &&
                    (!numeric(a->type) || !numeric(b->type) || elements(a, g) != elements(b, g))) {
                    snprintf(why, whylen,
                             "compute affine: input \"%s\" and output \"%s\" need numeric types (int8..uint32, fp16,"
                             " bf16, fp32, fp64) and equal element counts",
                             a->name, b->name);
                    return -1;
                }
            }
        }
        return 0;
    case AX_COMPUTE_HASH: return 0;
    case AX_COMPUTE_YOLO: return check_yolo(d, why, whylen);
    case AX_COMPUTE_AXLLM_LAYER: return ax_axllm_layer_check(d, why, whylen);
    case AX_COMPUTE_AXLLM_POST: return ax_axllm_post_check(d, why, whylen);
    case AX_COMPUTE_AXLLM_VISION: return ax_axllm_vision_check(d, why, whylen);
    }
    return -1;
}

int ax_compute_run(const struct ax_desc *d, int group, uint32_t batch, const uint8_t *const *in, uint8_t *const *out,
                   char *why, size_t whylen) {
    switch (d->compute) {
    case AX_COMPUTE_IDENTITY:
        for (int i = 0; i < d->nin; i++) {
            memmove(out[i], in[i], d->in[i].size[group] * batch);
        }
        return 0;
    case AX_COMPUTE_AFFINE:
        for (int i = 0; i < d->nin; i++) {
            uint64_t n = elements(&d->in[i], group) * batch;
            axclrtEngineDataType ti = d->in[i].type, to = d->out[i].type;
            if (ti == AXCL_DATA_TYPE_FP32 && to == AXCL_DATA_TYPE_FP32 && (uintptr_t)in[i] % 4 == 0 &&
                (uintptr_t)out[i] % 4 == 0) {
                const float *a = (const float *)in[i];
                float *b = (float *)out[i];
                float sc = (float)d->scale, bi = (float)d->bias;
                for (uint64_t e = 0; e < n; e++) {
                    b[e] = a[e] * sc + bi;
                }
            } else {
                for (uint64_t e = 0; e < n; e++) {
                    store(out[i], to, e, load(in[i], ti, e) * d->scale + d->bias);
                }
            }
        }
        return 0;
    case AX_COMPUTE_HASH: run_hash(d, group, batch, in, out); return 0;
    case AX_COMPUTE_YOLO: return run_yolo(d, group, batch, in, out, why, whylen);
    case AX_COMPUTE_AXLLM_LAYER:
        if (batch != 1) {
            snprintf(why, whylen, "compute axllm_layer runs at batch 1");
            return -1;
        }
        return ax_axllm_layer_run(d, group, in, out, why, whylen);
    case AX_COMPUTE_AXLLM_POST:
        if (batch != 1) {
            snprintf(why, whylen, "compute axllm_post runs at batch 1");
            return -1;
        }
        return ax_axllm_post_run(d, in, out);
    case AX_COMPUTE_AXLLM_VISION:
        if (batch != 1) {
            snprintf(why, whylen, "compute axllm_vision runs at batch 1");
            return -1;
        }
        return ax_axllm_vision_run(d, in, out);
    }
    snprintf(why, whylen, "unknown compute kind");
    return -1;
}
