/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the emulated runtimes: the synthetic scene their detectors and
 * classifiers recognise (solid-colour rectangles, see emu_scene.c).
 */
#ifndef NPU4J_EMU_SCENE_H
#define NPU4J_EMU_SCENE_H

#include <stdbool.h>
#include <stdint.h>

/* One rectangle: pixel edges (it covers x0 <= x < x1), COCO class, confidence in (0, 1). */
struct emu_rect {
    int x0, y0, x1, y1;
    int cls;
    float conf;
};

/* The COCO class a pure colour 0xRRGGBB stands for, or -1. */
int emu_colour_class(uint32_t rgb);

/* Scratch space for images of H x W pixels (plain malloc; freed by emu_scene_free). */
typedef struct emu_scene emu_scene;
emu_scene *emu_scene_new(int H, int W);
void emu_scene_free(emu_scene *s);

/* Finds the rectangles of one RGB uint8 image (NHWC, or NCHW planes) whose class is below
 * classes; writes at most max of them, returns how many, and frees every grid cell. */
int emu_scene_find(emu_scene *s, const uint8_t *img, bool nchw, int classes, struct emu_rect *out, int max);

/* Picks the stride (0: 8, 1: 16, 2: 32) and a free grid cell whose anchor point lies in
 * the rectangle, and marks it taken; false when none is left. */
bool emu_scene_assign(emu_scene *s, const struct emu_rect *r, int *scale, int *gx, int *gy);

/* The reg (<= 64) DFL logits of one box side at distance v (in strides) from the
 * anchor: the mass on floor(v) and floor(v)+1, so the softmax expectation is v;
 * the other bins get EMU_DFL_LOW_LOGIT. */
#define EMU_DFL_LOW_LOGIT (-24.0f)
void emu_dfl_side(float *logits, int reg, double v);

#endif /* NPU4J_EMU_SCENE_H */
