/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * What an emulated model computes, from its canonical input (uint8 NHWC) into
 * its canonical outputs (the model's types, NCHW for 4-d tensors):
 *
 *   identity    output = input - 128 as INT8 (zp -128, scale 1: dequantized, the input)
 *   yolo        finds the solid-colour rectangles of the image (native/emulator/common
 *               emu_scene.c, the same scene as the AXCL emulator's detector) and writes
 *               YOLOv8/YOLO11 int8 heads that decode to them: per stride 8/16/32 the DFL
 *               box bins (4 sides x 16), the class probabilities and their sum
 *   vlm         one row of embed values per token of a square grid; each row is a pure
 *               function of the mean colour of the token's image patch, its position and
 *               the output index, so different images give different embeddings and the
 *               same image the same ones
 *   classifier  logit 10 for the class of the largest rectangle, 5 for the others found
 */
#include "rkemu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_float.h"
#include "emu_hash.h"
#include "emu_scene.h"

#define MAX_RECTS 512

static int8_t quantize(const struct rk_tensor *t, double real) {
    double q = nearbyint(real / t->scale) + t->zp;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

static int run_identity(const struct rk_desc *d, const uint8_t *in, uint8_t *const *out) {
    uint32_t H = d->in[0].dims[1], W = d->in[0].dims[2], C = d->in[0].dims[3];
    int8_t *o = (int8_t *)out[0];
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < W; x++) {
            for (uint32_t c = 0; c < C; c++) {
                o[((size_t)c * H + y) * W + x] = (int8_t)(in[((size_t)y * W + x) * C + c] - 128);
            }
        }
    }
    return 0;
}

static int run_yolo(const struct rk_desc *d, const uint8_t *in, uint8_t *const *out, char *why, size_t whylen) {
    int S = d->size, per = d->score_sum ? 3 : 2, nc = d->classes;
    emu_scene *scene = emu_scene_new(S, S);
    struct emu_rect *rects = malloc(MAX_RECTS * sizeof *rects);
    if (!scene || !rects) {
        emu_scene_free(scene);
        free(rects);
        snprintf(why, whylen, "out of host memory");
        return -1;
    }
    float side[16];
    int8_t bg_side[16];
    emu_dfl_side(side, 16, 0.5); /* a stride-sized square around each cell centre */
    for (int k = 0; k < 3; k++) {
        const struct rk_tensor *box = &d->out[k * per];
        int g = S / (8 << k);
        size_t cells = (size_t)g * g;
        for (int b = 0; b < 16; b++) {
            bg_side[b] = quantize(box, side[b]);
        }
        int8_t *bo = (int8_t *)out[k * per];
        for (int c = 0; c < 64; c++) {
            memset(bo + c * cells, (uint8_t)bg_side[c % 16], cells);
        }
        memset(out[k * per + 1], (uint8_t)quantize(&d->out[k * per + 1], 0.0), (size_t)nc * cells);
        if (d->score_sum) {
            memset(out[k * per + 2], (uint8_t)quantize(&d->out[k * per + 2], 0.0), cells);
        }
    }
    int n = emu_scene_find(scene, in, false, nc, rects, MAX_RECTS);
    for (int i = 0; i < n; i++) {
        const struct emu_rect *r = &rects[i];
        int k, gx, gy;
        if (!emu_scene_assign(scene, r, &k, &gx, &gy)) {
            rk_info("yolo: no free grid cell for the box (%d,%d)-(%d,%d); dropped", r->x0, r->y0, r->x1, r->y1);
            continue;
        }
        int s = 8 << k, g = S / s;
        size_t cells = (size_t)g * g, cell = (size_t)gy * g + gx;
        double ax = (gx + 0.5) * s, ay = (gy + 0.5) * s;
        double dist[4] = {(ax - r->x0) / s, (ay - r->y0) / s, (r->x1 - ax) / s, (r->y1 - ay) / s};
        int8_t *bo = (int8_t *)out[k * per];
        for (int sd = 0; sd < 4; sd++) {
            emu_dfl_side(side, 16, dist[sd]);
            for (int b = 0; b < 16; b++) {
                bo[(size_t)(sd * 16 + b) * cells + cell] = quantize(&d->out[k * per], side[b]);
            }
        }
        ((int8_t *)out[k * per + 1])[(size_t)r->cls * cells + cell] = quantize(&d->out[k * per + 1], r->conf);
        if (d->score_sum) {
            ((int8_t *)out[k * per + 2])[cell] = quantize(&d->out[k * per + 2], r->conf > 1 ? 1 : r->conf);
        }
    }
    emu_scene_free(scene);
    free(rects);
    return 0;
}

static int run_vlm(const struct rk_desc *d, const uint8_t *in, uint8_t *const *out) {
    int S = d->size, g = 1;
    while (g * g < d->tokens) {
        g++;
    }
    int b = S / g;
    for (int t = 0; t < d->tokens; t++) {
        int ty = t / g, tx = t % g;
        uint64_t sum[3] = {0, 0, 0};
        for (int y = ty * b; y < (ty + 1) * b; y++) {
            const uint8_t *row = in + ((size_t)y * S + (size_t)tx * b) * 3;
            for (int x = 0; x < b; x++) {
                sum[0] += row[3 * x];
                sum[1] += row[3 * x + 1];
                sum[2] += row[3 * x + 2];
            }
        }
        uint64_t area = (uint64_t)b * b;
        uint64_t rgb = (sum[0] / area) << 16 | (sum[1] / area) << 8 | (sum[2] / area);
        for (int o = 0; o < d->nout; o++) {
            uint64_t seed = emu_mix64(rgb ^ (uint64_t)t << 24 ^ (uint64_t)(o + 1) << 40);
            uint16_t *row = (uint16_t *)out[o] + (size_t)t * d->embed;
            for (int j = 0; j < d->embed; j++) {
                double u = (double)(emu_mix64(seed + 0x9E3779B97F4A7C15ull * (uint64_t)(j + 1)) >> 11) * 0x1.0p-53;
                row[j] = emu_float_to_half((float)(u - 0.5));
            }
        }
    }
    return 0;
}

static int run_classifier(const struct rk_desc *d, const uint8_t *in, uint8_t *const *out, char *why, size_t whylen) {
    emu_scene *scene = emu_scene_new(d->size, d->size);
    struct emu_rect *rects = malloc(MAX_RECTS * sizeof *rects);
    if (!scene || !rects) {
        emu_scene_free(scene);
        free(rects);
        snprintf(why, whylen, "out of host memory");
        return -1;
    }
    const struct rk_tensor *t = &d->out[0];
    int8_t *o = (int8_t *)out[0];
    memset(o, (uint8_t)quantize(t, 0.0), (size_t)d->classes);
    int n = emu_scene_find(scene, in, false, d->classes, rects, MAX_RECTS), best = -1;
    long best_area = -1;
    for (int i = 0; i < n; i++) {
        long area = (long)(rects[i].x1 - rects[i].x0) * (rects[i].y1 - rects[i].y0);
        o[rects[i].cls] = quantize(t, 5.0);
        if (area > best_area) {
            best_area = area;
            best = rects[i].cls;
        }
    }
    if (best >= 0) {
        o[best] = quantize(t, 10.0);
    }
    emu_scene_free(scene);
    free(rects);
    return 0;
}

int rk_compute_run(const struct rk_desc *d, const uint8_t *in, uint8_t *const *out, char *why, size_t whylen) {
    switch (d->compute) {
    case RK_IDENTITY: return run_identity(d, in, out);
    case RK_YOLO: return run_yolo(d, in, out, why, whylen);
    case RK_VLM: return run_vlm(d, in, out);
    case RK_CLASSIFIER: return run_classifier(d, in, out, why, whylen);
    }
    snprintf(why, whylen, "unknown compute kind");
    return -1;
}
