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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Half and bfloat16                                                   */
/* ------------------------------------------------------------------ */

float ax_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t man = h & 0x3FF;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t ax_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t exp = (x >> 23) & 0xFF;
    uint32_t man = x & 0x7FFFFF;
    if (exp == 0xFF) { /* inf / nan */
        return (uint16_t)(sign | 0x7C00 | (man ? 0x200 : 0));
    }
    int e = (int)exp - 127 + 15;
    if (e >= 0x1F) {
        return (uint16_t)(sign | 0x7C00);
    }
    if (e <= 0) { /* subnormal or zero */
        if (e < -10) {
            return sign;
        }
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) {
            half++;
        }
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) {
        half++; /* may carry into the exponent, which is the correct rounding */
    }
    return (uint16_t)(sign | half);
}

float ax_bf16_to_float(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t ax_float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7F800000u) == 0x7F800000u && (x & 0x7FFFFF)) {
        return (uint16_t)((x >> 16) | 0x40); /* keep NaN a NaN */
    }
    x += 0x7FFF + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

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
    case AXCL_DATA_TYPE_FP16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return ax_half_to_float(v); }
    case AXCL_DATA_TYPE_BF16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return ax_bf16_to_float(v); }
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
    case AXCL_DATA_TYPE_FP16: { uint16_t x = ax_float_to_half((float)v); memcpy(p + 2 * i, &x, 2); break; }
    case AXCL_DATA_TYPE_BF16: { uint16_t x = ax_float_to_bf16((float)v); memcpy(p + 2 * i, &x, 2); break; }
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

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ mix64(w + i)) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < n; i++, k++) {
        tail |= (uint64_t)p[i] << (8 * k);
    }
    return mix64(h ^ tail ^ n);
}

static void run_hash(const struct ax_desc *d, int group, uint32_t batch, const uint8_t *const *in, uint8_t *const *out) {
    uint64_t h = 0x6E707534ull ^ (uint64_t)group; /* "npu4" */
    for (int i = 0; i < d->nin; i++) {
        h = hash_bytes(h, in[i], d->in[i].size[group] * batch);
    }
    for (int o = 0; o < d->nout; o++) {
        const struct ax_tensor *t = &d->out[o];
        uint64_t state = mix64(h + 0x9E3779B97F4A7C15ull * (uint64_t)(o + 1));
        if (!numeric(t->type)) {
            for (uint64_t b = 0; b < t->size[group] * batch; b++) {
                state += 0x9E3779B97F4A7C15ull;
                out[o][b] = (uint8_t)mix64(state);
            }
            continue;
        }
        uint64_t n = elements(t, group) * batch;
        uint64_t row = (uint64_t)t->dims[group][t->ndims[group] - 1];
        uint64_t hot = 0;
        for (uint64_t e = 0; e < n; e++) {
            state += 0x9E3779B97F4A7C15ull;
            uint64_t r = mix64(state);
            double v;
            if (floating(t->type)) {
                v = (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0; /* [-1, 1) */
                if (d->peak != 0 && row > 0) {
                    if (e % row == 0) {
                        hot = mix64(h ^ (e / row) ^ ((uint64_t)o << 40)) % row;
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

/* Pure colours and the COCO class ids they stand for. */
static const struct {
    uint32_t rgb;
    int cls;
} COLOURS[] = {
    {0xFF0000, 0},  /* red     -> person */
    {0x00FF00, 2},  /* green   -> car */
    {0x0000FF, 16}, /* blue    -> dog */
    {0xFFFF00, 5},  /* yellow  -> bus */
    {0x00FFFF, 14}, /* cyan    -> bird */
    {0xFF00FF, 15}, /* magenta -> cat */
    {0xFFFFFF, 39}, /* white   -> bottle */
    {0x000000, 62}, /* black   -> tv */
};
#define LETTERBOX_GREY 0x727272u /* 114,114,114 */
#define YOLO_MIN_SIDE 8
#define YOLO_MAX_DETS 512
#define BG_LOGIT (-8.0f)   /* sigmoid = 0.000335 */
#define LOW_LOGIT (-24.0f) /* DFL bins that carry no mass */

struct det {
    int x0, y0, x1, y1; /* pixel edges: the box covers x0 <= x < x1 */
    int cls;
    float conf;
};

static int colour_class(uint32_t rgb) {
    for (size_t i = 0; i < sizeof COLOURS / sizeof COLOURS[0]; i++) {
        if (COLOURS[i].rgb == rgb) {
            return COLOURS[i].cls;
        }
    }
    return -1;
}

/* Input geometry of a yolo model: N, H, W and whether the planes are separate. */
static void yolo_geometry(const struct ax_tensor *t, int *h, int *w, bool *nchw) {
    *nchw = t->layout == AXCL_DATA_LAYOUT_NCHW;
    *h = *nchw ? t->dims[0][2] : t->dims[0][1];
    *w = *nchw ? t->dims[0][3] : t->dims[0][2];
}

/* Finds the rectangles of one image; returns how many. */
enum { HIST_SLOTS = 8192 };

static int find_rects(const uint8_t *img, int H, int W, bool nchw, int classes, struct det *dets, uint32_t *px,
                      uint8_t *seen, int32_t *stack, uint32_t *keys, uint32_t *counts) {
    size_t n = (size_t)H * (size_t)W;
    for (size_t i = 0; i < n; i++) {
        uint32_t r, g, b;
        if (nchw) {
            r = img[i], g = img[n + i], b = img[2 * n + i];
        } else {
            r = img[3 * i], g = img[3 * i + 1], b = img[3 * i + 2];
        }
        px[i] = r << 16 | g << 8 | b;
    }
    /* Most common colour: a small open-addressing histogram (new colours are
     * dropped once it is 3/4 full, which only matters for photographs). */
    enum { SLOTS = HIST_SLOTS };
    memset(keys, 0, SLOTS * sizeof *keys);
    memset(counts, 0, SLOTS * sizeof *counts);
    int used = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = px[i] + 1, s = (uint32_t)(mix64(k) & (SLOTS - 1));
        while (keys[s] && keys[s] != k) {
            s = (s + 1) & (SLOTS - 1);
        }
        if (!keys[s]) {
            if (used >= SLOTS * 3 / 4) {
                continue;
            }
            keys[s] = k;
            used++;
        }
        counts[s]++;
    }
    uint32_t bg = LETTERBOX_GREY, best = 0;
    for (int s = 0; s < SLOTS; s++) {
        if (counts[s] > best) {
            best = counts[s];
            bg = keys[s] - 1;
        }
    }
    memset(seen, 0, n);
    int ndet = 0;
    for (size_t start = 0; start < n; start++) {
        uint32_t c = px[start];
        if (seen[start] || c == bg || c == LETTERBOX_GREY) {
            continue;
        }
        int cls = colour_class(c);
        if (cls < 0 || cls >= classes) {
            continue;
        }
        /* 4-connected flood fill of this exact colour. */
        int x0 = W, y0 = H, x1 = -1, y1 = -1;
        size_t area = 0, top = 0;
        stack[top++] = (int32_t)start;
        seen[start] = 1;
        while (top) {
            int32_t i = stack[--top];
            int x = i % W, y = i / W;
            area++;
            x0 = x < x0 ? x : x0;
            x1 = x > x1 ? x : x1;
            y0 = y < y0 ? y : y0;
            y1 = y > y1 ? y : y1;
            int32_t nb[4] = {x > 0 ? i - 1 : -1, x + 1 < W ? i + 1 : -1, y > 0 ? i - W : -1, y + 1 < H ? i + W : -1};
            for (int k = 0; k < 4; k++) {
                if (nb[k] >= 0 && !seen[nb[k]] && px[nb[k]] == c) {
                    seen[nb[k]] = 1;
                    stack[top++] = nb[k];
                }
            }
        }
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        double fill = (double)area / ((double)bw * bh);
        if (bw < YOLO_MIN_SIDE || bh < YOLO_MIN_SIDE || fill < 0.5 || ndet >= YOLO_MAX_DETS) {
            continue;
        }
        dets[ndet++] = (struct det){x0, y0, x1 + 1, y1 + 1, cls, (float)(0.4 + 0.5 * fill)};
    }
    return ndet;
}

/* Picks the scale (0: stride 8, 1: 16, 2: 32) and grid cell that carry a box:
 * the stride that matches the box's longer side (<= 64 px: 8, <= 128: 16,
 * else 32) but not above its shorter side, and the cell holding the box
 * centre, or a free neighbour whose anchor point is still inside the box. */
static bool assign(const struct det *d, int H, int W, uint8_t *occ[3], int *scale, int *gx, int *gy) {
    int w = d->x1 - d->x0, h = d->y1 - d->y0;
    int mx = w > h ? w : h, mn = w < h ? w : h;
    int pref = mx <= 64 ? 0 : mx <= 128 ? 1 : 2;
    int kmax = mn >= 32 ? 2 : mn >= 16 ? 1 : 0;
    double cx = (d->x0 + d->x1) / 2.0, cy = (d->y0 + d->y1) / 2.0;
    for (int k = pref < kmax ? pref : kmax; k >= 0; k--) {
        int s = 8 << k, gw = W / s, gh = H / s;
        int cgx = (int)(cx / s), cgy = (int)(cy / s);
        cgx = cgx >= gw ? gw - 1 : cgx;
        cgy = cgy >= gh ? gh - 1 : cgy;
        static const int order[9][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
        for (int o = 0; o < 9; o++) {
            int x = cgx + order[o][0], y = cgy + order[o][1];
            if (x < 0 || y < 0 || x >= gw || y >= gh || occ[k][y * gw + x]) {
                continue;
            }
            double anx = (x + 0.5) * s, any = (y + 0.5) * s;
            if (anx < d->x0 || anx > d->x1 || any < d->y0 || any > d->y1) {
                continue;
            }
            occ[k][y * gw + x] = 1;
            *scale = k;
            *gx = x;
            *gy = y;
            return true;
        }
    }
    return false;
}

/* Element index of channel c at cell (x, y) of a [1, gh, gw, C] (or NCHW) head. */
static size_t head_index(bool nchw, int gh, int gw, int C, int x, int y, int c) {
    return nchw ? (size_t)c * gh * gw + (size_t)y * gw + x : ((size_t)y * gw + x) * C + c;
}

/* The 16 (reg_max) logits of one side: mass on floor(v) and floor(v)+1 so
 * that the softmax expectation is exactly v. */
static void dfl_side(float *logits, int reg, double v) {
    if (v < 0) {
        v = 0;
    }
    if (v > reg - 1) {
        v = reg - 1;
    }
    int lo = (int)floor(v);
    double f = v - lo;
    for (int b = 0; b < reg; b++) {
        logits[b] = LOW_LOGIT;
    }
    if (lo >= reg - 1 || f < 1e-7) {
        logits[lo] = 0;
    } else if (f > 1 - 1e-7) {
        logits[lo + 1] = 0;
    } else {
        logits[lo] = (float)log(1 - f);
        logits[lo + 1] = (float)log(f);
    }
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
    dfl_side(side, reg, 0.5); /* a stride-sized square around the cell centre */
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

static void yolo_put(const struct ax_desc *d, const struct yolo_out *o, int H, int W, const struct det *det, int k,
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
        dfl_side(side, reg, dist[sd]);
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
    uint32_t *px = malloc(n * sizeof *px);
    uint8_t *seen = malloc(n);
    int32_t *stack = malloc(n * sizeof *stack);
    struct det *dets = malloc(YOLO_MAX_DETS * sizeof *dets);
    uint8_t *occ[3] = {calloc(n / 64, 1), calloc(n / 256, 1), calloc(n / 1024, 1)};
    uint32_t *hist = malloc(2 * HIST_SLOTS * sizeof *hist);
    int rc = 0;
    if (!px || !seen || !stack || !dets || !occ[0] || !occ[1] || !occ[2] || !hist) {
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
        memset(occ[0], 0, n / 64);
        memset(occ[1], 0, n / 256);
        memset(occ[2], 0, n / 1024);
        int ndet = find_rects(img, H, W, nchw, d->classes, dets, px, seen, stack, hist, hist + HIST_SLOTS);
        for (int i = 0; i < ndet; i++) {
            int k, gx, gy;
            if (assign(&dets[i], H, W, occ, &k, &gx, &gy)) {
                yolo_put(d, &o, H, W, &dets[i], k, gx, gy);
            } else {
                ax_log(AX_LOG_DEBUG, "yolo: no free grid cell for the box (%d,%d)-(%d,%d); dropped", dets[i].x0,
                       dets[i].y0, dets[i].x1, dets[i].y1);
            }
        }
    }
out:
    free(px);
    free(seen);
    free(stack);
    free(dets);
    free(occ[0]);
    free(occ[1]);
    free(occ[2]);
    free(hist);
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
    }
    snprintf(why, whylen, "unknown compute kind");
    return -1;
}
