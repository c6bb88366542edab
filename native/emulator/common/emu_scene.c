/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The synthetic scene the emulated detectors and classifiers "see" (shared by
 * the AXCL and RKNN emulators): solid-colour rectangles on a background. The
 * colour of a rectangle names its COCO class (table below); the most common
 * colour and letterbox grey are background. A detector head then places each
 * rectangle on one grid cell of the YOLOv8/YOLO11 strides 8/16/32.
 */
#include "emu_scene.h"
#include "emu_hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int emu_colour_class(uint32_t rgb) {
    for (size_t i = 0; i < sizeof COLOURS / sizeof COLOURS[0]; i++) {
        if (COLOURS[i].rgb == rgb) {
            return COLOURS[i].cls;
        }
    }
    return -1;
}

/* Finds the rectangles of one image; returns how many. */
enum { HIST_SLOTS = 8192 };

static int find_rects(const uint8_t *img, int H, int W, bool nchw, int classes, struct emu_rect *dets, int max,
                      uint32_t *px, uint8_t *seen, int32_t *stack, uint32_t *keys, uint32_t *counts) {
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
        uint32_t k = px[i] + 1, s = (uint32_t)(emu_mix64(k) & (SLOTS - 1));
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
        int cls = emu_colour_class(c);
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
        if (bw < YOLO_MIN_SIDE || bh < YOLO_MIN_SIDE || fill < 0.5 || ndet >= max) {
            continue;
        }
        dets[ndet++] = (struct emu_rect){x0, y0, x1 + 1, y1 + 1, cls, (float)(0.4 + 0.5 * fill)};
    }
    return ndet;
}

/* Picks the scale (0: stride 8, 1: 16, 2: 32) and grid cell that carry a box:
 * the stride that matches the box's longer side (<= 64 px: 8, <= 128: 16,
 * else 32) but not above its shorter side, and the cell holding the box
 * centre, or a free neighbour whose anchor point is still inside the box. */
static bool assign(const struct emu_rect *d, int H, int W, uint8_t *occ[3], int *scale, int *gx, int *gy) {
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


struct emu_scene {
    int H, W;
    uint32_t *px;
    uint8_t *seen;
    int32_t *stack;
    uint32_t *hist;
    uint8_t *occ[3];
};

emu_scene *emu_scene_new(int H, int W) {
    emu_scene *s = calloc(1, sizeof *s);
    if (!s) {
        return NULL;
    }
    size_t n = (size_t)H * W;
    s->H = H;
    s->W = W;
    s->px = malloc(n * sizeof *s->px);
    s->seen = malloc(n);
    s->stack = malloc(n * sizeof *s->stack);
    s->hist = malloc(2 * HIST_SLOTS * sizeof *s->hist);
    s->occ[0] = calloc(n / 64 + 1, 1);
    s->occ[1] = calloc(n / 256 + 1, 1);
    s->occ[2] = calloc(n / 1024 + 1, 1);
    if (!s->px || !s->seen || !s->stack || !s->hist || !s->occ[0] || !s->occ[1] || !s->occ[2]) {
        emu_scene_free(s);
        return NULL;
    }
    return s;
}

void emu_scene_free(emu_scene *s) {
    if (!s) {
        return;
    }
    free(s->px);
    free(s->seen);
    free(s->stack);
    free(s->hist);
    for (int k = 0; k < 3; k++) {
        free(s->occ[k]);
    }
    free(s);
}

int emu_scene_find(emu_scene *s, const uint8_t *img, bool nchw, int classes, struct emu_rect *out, int max) {
    size_t n = (size_t)s->H * s->W;
    memset(s->occ[0], 0, n / 64 + 1);
    memset(s->occ[1], 0, n / 256 + 1);
    memset(s->occ[2], 0, n / 1024 + 1);
    return find_rects(img, s->H, s->W, nchw, classes, out, max, s->px, s->seen, s->stack, s->hist,
                      s->hist + HIST_SLOTS);
}

bool emu_scene_assign(emu_scene *s, const struct emu_rect *r, int *scale, int *gx, int *gy) {
    return assign(r, s->H, s->W, s->occ, scale, gx, gy);
}

/* The 16 (reg_max) logits of one side: mass on floor(v) and floor(v)+1 so
 * that the softmax expectation is exactly v. */
void emu_dfl_side(float *logits, int reg, double v) {
    if (v < 0) {
        v = 0;
    }
    if (v > reg - 1) {
        v = reg - 1;
    }
    int lo = (int)floor(v);
    double f = v - lo;
    for (int b = 0; b < reg; b++) {
        logits[b] = EMU_DFL_LOW_LOGIT;
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
