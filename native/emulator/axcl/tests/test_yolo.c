/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The synthetic YOLO detector: draw solid-colour rectangles, run the model,
 * decode its outputs the way a YOLOv8/YOLO11 post-processor does (DFL for the
 * split heads, plain reading for the decoded output) and compare boxes and
 * classes with what was drawn.
 */
#include "axtest.h"

#include <math.h>

#define W 640
#define H 640
#define NC 80
#define REG 16

struct box {
    float x0, y0, x1, y1;
    int cls;
};

static uint8_t img[H * W * 3];

static void fill(int x, int y, int w, int h, uint8_t r, uint8_t g, uint8_t b) {
    for (int j = y; j < y + h; j++) {
        for (int i = x; i < x + w; i++) {
            uint8_t *p = &img[(j * W + i) * 3];
            p[0] = r, p[1] = g, p[2] = b;
        }
    }
}

static float sigmoid(float x) {
    return 1.0f / (1.0f + expf(-x));
}

/* Ultralytics-style DFL decode: per side, softmax over 16 bins, expectation
 * in strides; box = anchor point -/+ distances. */
static int decode_split(float *bbox[3], float *cls[3], struct box *out, int max) {
    int n = 0;
    for (int k = 0; k < 3; k++) {
        int s = 8 << k, g = W / s;
        for (int y = 0; y < g; y++) {
            for (int x = 0; x < g; x++) {
                const float *c = cls[k] + (size_t)(y * g + x) * NC;
                int best = 0;
                for (int i = 1; i < NC; i++) {
                    best = c[i] > c[best] ? i : best;
                }
                if (sigmoid(c[best]) < 0.5f) {
                    continue;
                }
                const float *b = bbox[k] + (size_t)(y * g + x) * 4 * REG;
                float dist[4];
                for (int side = 0; side < 4; side++) {
                    float m = b[side * REG];
                    for (int i = 1; i < REG; i++) {
                        m = fmaxf(m, b[side * REG + i]);
                    }
                    double sum = 0, ex = 0;
                    for (int i = 0; i < REG; i++) {
                        double e = exp(b[side * REG + i] - m);
                        sum += e;
                        ex += e * i;
                    }
                    dist[side] = (float)(ex / sum);
                }
                float ax = (x + 0.5f) * s, ay = (y + 0.5f) * s;
                CHECK(n < max);
                out[n++] = (struct box){ax - dist[0] * s, ay - dist[1] * s, ax + dist[2] * s, ay + dist[3] * s, best};
            }
        }
    }
    return n;
}

/* [1, 84, 8400]: cx, cy, w, h, then 80 class probabilities, channel-major. */
static int decode_decoded(const float *o, struct box *out, int max) {
    const int A = 8400;
    int n = 0;
    for (int a = 0; a < A; a++) {
        int best = 0;
        for (int c = 1; c < NC; c++) {
            best = o[(4 + c) * A + a] > o[(4 + best) * A + a] ? c : best;
        }
        if (o[(4 + best) * A + a] < 0.5f) {
            continue;
        }
        float cx = o[a], cy = o[A + a], w = o[2 * A + a], h = o[3 * A + a];
        CHECK(n < max);
        out[n++] = (struct box){cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, best};
    }
    return n;
}

static void expect_boxes(const struct box *got, int n, const struct box *want, int m, const char *what) {
    bool used[64] = {0};
    for (int i = 0; i < m; i++) {
        bool found = false;
        for (int j = 0; j < n && !found; j++) {
            if (!used[j] && got[j].cls == want[i].cls && fabsf(got[j].x0 - want[i].x0) <= 2 &&
                fabsf(got[j].y0 - want[i].y0) <= 2 && fabsf(got[j].x1 - want[i].x1) <= 2 &&
                fabsf(got[j].y1 - want[i].y1) <= 2) {
                used[j] = found = true;
            }
        }
        if (!found) {
            fprintf(stderr, "%s: no detection of class %d at (%.0f,%.0f)-(%.0f,%.0f); got %d:\n", what, want[i].cls,
                    want[i].x0, want[i].y0, want[i].x1, want[i].y1, n);
            for (int j = 0; j < n; j++) {
                fprintf(stderr, "  class %d (%.2f,%.2f)-(%.2f,%.2f)\n", got[j].cls, got[j].x0, got[j].y0, got[j].x1,
                        got[j].y1);
            }
            exit(1);
        }
    }
    if (n != m) {
        fprintf(stderr, "%s: %d detections, expected %d\n", what, n, m);
        exit(1);
    }
}

static void run_both(const struct box *want, int m, const char *what) {
    static float outs[6][80 * 80 * 80];
    struct box got[64];
    char label[128];

    struct model_run split;
    model_open(&split, "yolo11s-640.model", 0, 1);
    CHECK(split.nout == 6);
    CHECK(strcmp(axclrtEngineGetOutputNameByIndex(split.info, 0), "bbox_s8") == 0);
    CHECK(strcmp(axclrtEngineGetOutputNameByIndex(split.info, 5), "cls_s32") == 0);
    OK(axclrtMemcpy(split.in[0], img, sizeof img, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(split.id, split.ctx, 0, split.io));
    for (int i = 0; i < 6; i++) {
        OK(axclrtMemcpy(outs[i], split.out[i], split.out_size[i], AXCL_MEMCPY_DEVICE_TO_HOST));
    }
    float *bbox[3] = {outs[0], outs[2], outs[4]}, *cls[3] = {outs[1], outs[3], outs[5]};
    int n = decode_split(bbox, cls, got, 64);
    snprintf(label, sizeof label, "%s, yolo11s DFL heads", what);
    expect_boxes(got, n, want, m, label);
    model_close(&split);

    struct model_run dec;
    model_open(&dec, "yolov8s-640-decoded.model", 0, 1);
    axclrtEngineIODims dims;
    OK(axclrtEngineGetOutputDims(dec.info, 0, 0, &dims));
    CHECK(dims.dimCount == 3 && dims.dims[1] == 84 && dims.dims[2] == 8400);
    OK(axclrtMemcpy(dec.in[0], img, sizeof img, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(dec.id, dec.ctx, 0, dec.io));
    OK(axclrtMemcpy(outs[0], dec.out[0], dec.out_size[0], AXCL_MEMCPY_DEVICE_TO_HOST));
    n = decode_decoded(outs[0], got, 64);
    snprintf(label, sizeof label, "%s, yolov8s decoded output", what);
    expect_boxes(got, n, want, m, label);
    model_close(&dec);
}

int main(void) {
    setup_engine();

    /* Letterbox grey background. */
    fill(0, 0, W, H, 114, 114, 114);
    fill(50, 60, 100, 200, 255, 0, 0);     /* person */
    fill(400, 100, 40, 30, 0, 255, 0);     /* car */
    fill(200, 400, 300, 150, 0, 0, 255);   /* dog */
    fill(0, 0, 64, 64, 255, 255, 0);       /* bus, in the corner */
    fill(560, 300, 40, 40, 0, 255, 255);   /* bird ... */
    fill(560, 340, 40, 40, 255, 255, 255); /* ... touching a bottle */
    fill(600, 600, 5, 5, 255, 0, 255);     /* too small: ignored */
    fill(300, 200, 50, 50, 10, 200, 30);   /* not a class colour: ignored */
    const struct box want1[] = {
        {50, 60, 150, 260, 0}, {400, 100, 440, 130, 2}, {200, 400, 500, 550, 16},
        {0, 0, 64, 64, 5},     {560, 300, 600, 340, 14}, {560, 340, 600, 380, 39},
    };
    run_both(want1, 6, "image 1");

    /* Another background colour (the most common one), a letterbox band, a tiny box. */
    fill(0, 0, W, H, 0, 0, 128);
    fill(0, 0, W, 80, 114, 114, 114);
    fill(100, 100, 200, 100, 0, 0, 0);  /* tv */
    fill(401, 303, 16, 16, 255, 0, 0);  /* person, 16 px */
    fill(3, 600, 9, 9, 255, 0, 255);    /* cat, 9 px at the edge */
    fill(250, 250, 120, 40, 0, 255, 0); /* car, wide */
    const struct box want2[] = {
        {100, 100, 300, 200, 62}, {401, 303, 417, 319, 0}, {3, 600, 12, 609, 15}, {250, 250, 370, 290, 2}};
    run_both(want2, 4, "image 2");

    /* An empty image detects nothing. */
    fill(0, 0, W, H, 114, 114, 114);
    run_both(NULL, 0, "empty image");

    teardown_engine();
    puts("axcl_yolo: ok");
    return 0;
}
