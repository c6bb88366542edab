/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the npu4j RKNN emulator's models (helpers and runner: rknn_test.h):
 * YOLO detectors (decoded the way the model zoo's postprocess does), the
 * vision encoders of VLMs and the classifier.
 */
#include "rknn_test.h"

/* ---------------------------------------------------------------- YOLO decoding (model zoo postprocess) */

struct box { float x0, y0, x1, y1, score; int cls; };

static int decode_yolo(const int8_t *const *outs, const rknn_tensor_attr *attrs, int S, struct box *boxes, int max) {
    int n = 0;
    for (int k = 0; k < 3; k++) {
        const rknn_tensor_attr *ab = &attrs[3 * k], *as = &attrs[3 * k + 1], *asum = &attrs[3 * k + 2];
        const int8_t *bo = outs[3 * k], *so = outs[3 * k + 1], *sumo = outs[3 * k + 2];
        int g = (int)ab->dims[2], s = S / g, nc = (int)as->dims[1];
        size_t cells = (size_t)g * g;
        for (int y = 0; y < g; y++) {
            for (int x = 0; x < g; x++) {
                size_t cell = (size_t)y * g + x;
                if ((sumo[cell] - asum->zp) * asum->scale < 0.25f) {
                    continue; /* the score-sum branch: fast reject */
                }
                int best = -1;
                float bs = 0;
                for (int c = 0; c < nc; c++) {
                    float v = (so[c * cells + cell] - as->zp) * as->scale;
                    if (v > bs) {
                        bs = v;
                        best = c;
                    }
                }
                float dist[4];
                for (int sd = 0; sd < 4; sd++) {
                    double den = 0, num = 0;
                    for (int b = 0; b < 16; b++) {
                        double e = exp((bo[(sd * 16 + b) * cells + cell] - ab->zp) * ab->scale);
                        den += e;
                        num += e * b;
                    }
                    dist[sd] = (float)(num / den);
                }
                if (n < max && best >= 0) {
                    boxes[n++] = (struct box){(x + 0.5f - dist[0]) * s, (y + 0.5f - dist[1]) * s,
                                              (x + 0.5f + dist[2]) * s, (y + 0.5f + dist[3]) * s, bs, best};
                }
            }
        }
    }
    return n;
}

static void expect_rects(const struct box *boxes, int n) {
    CHECK(n == NRECTS);
    for (int i = 0; i < NRECTS; i++) {
        int found = 0;
        for (int j = 0; j < n; j++) {
            if (boxes[j].cls == RECTS[i].cls && fabsf(boxes[j].x0 - RECTS[i].x0) <= 2 &&
                fabsf(boxes[j].y0 - RECTS[i].y0) <= 2 && fabsf(boxes[j].x1 - RECTS[i].x1) <= 2 &&
                fabsf(boxes[j].y1 - RECTS[i].y1) <= 2) {
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "rectangle %d not found\n", i);
        }
        CHECK(found);
    }
}

/* ---------------------------------------------------------------- tests */

static void yolo_check(const char *model) {
    rknn_context ctx = load(model);
    uint8_t *img = scene(640, RECTS, NRECTS);
    set_input(ctx, img, 640 * 640 * 3, RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC);
    OK(rknn_run(ctx, NULL));
    rknn_output out[9];
    rknn_tensor_attr attrs[9];
    const int8_t *outs[9];
    memset(out, 0, sizeof out);
    for (uint32_t i = 0; i < 9; i++) {
        out[i].index = i;
        attrs[i] = query_attr(ctx, RKNN_QUERY_OUTPUT_ATTR, i);
    }
    OK(rknn_outputs_get(ctx, 9, out, NULL));
    for (int i = 0; i < 9; i++) {
        outs[i] = out[i].buf;
    }
    struct box boxes[64];
    int n = decode_yolo(outs, attrs, 640, boxes, 64);
    expect_rects(boxes, n);
    OK(rknn_outputs_release(ctx, 9, out));
    OK(rknn_destroy(ctx));
    free(img);
    no_leaks();
}

static void t_yolo_rectangles(void) {
    yolo_check("yolov8s-640.model");
    yolo_check("yolo11s-640.model");
}

static void t_yolo_zero_copy(void) {
    /* The model zoo's zero-copy path: native input with its stride, NHWC int8 outputs. */
    rknn_context ctx = load("yolov8s-640.model");
    rknn_tensor_attr ia = query_attr(ctx, RKNN_QUERY_NATIVE_INPUT_ATTR, 0);
    rknn_tensor_mem *im = rknn_create_mem(ctx, ia.size_with_stride);
    OK(rknn_set_io_mem(ctx, im, &ia));
    rknn_tensor_mem *om[9];
    rknn_tensor_attr oa[9];
    for (uint32_t i = 0; i < 9; i++) {
        oa[i] = query_attr(ctx, RKNN_QUERY_OUTPUT_ATTR, i); /* NCHW INT8: the decoder's layout */
        om[i] = rknn_create_mem(ctx, oa[i].size_with_stride);
        OK(rknn_set_io_mem(ctx, om[i], &oa[i]));
    }
    uint8_t *img = scene(640, RECTS, NRECTS);
    memcpy(im->virt_addr, img, 640 * 640 * 3);
    OK(rknn_run(ctx, NULL));
    const int8_t *outs[9];
    for (int i = 0; i < 9; i++) {
        outs[i] = om[i]->virt_addr;
    }
    struct box boxes[64];
    expect_rects(boxes, decode_yolo(outs, oa, 640, boxes, 64));
    for (int i = 0; i < 9; i++) {
        OK(rknn_destroy_mem(ctx, om[i]));
    }
    OK(rknn_destroy_mem(ctx, im));
    OK(rknn_destroy(ctx));
    free(img);
    no_leaks();
}

static float *embeddings(const char *model, int S, const uint8_t *img, int *nout, size_t *per) {
    rknn_context ctx = load(model);
    rknn_input_output_num io;
    OK(rknn_query(ctx, RKNN_QUERY_IN_OUT_NUM, &io, sizeof io));
    *nout = (int)io.n_output;
    set_input(ctx, (void *)img, (uint32_t)(S * S * 3), RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC);
    OK(rknn_run(ctx, NULL));
    rknn_output out[8];
    memset(out, 0, sizeof out);
    for (uint32_t i = 0; i < io.n_output; i++) {
        out[i].index = i;
        out[i].want_float = 1;
    }
    OK(rknn_outputs_get(ctx, io.n_output, out, NULL));
    *per = out[0].size / 4;
    float *all = malloc(out[0].size * io.n_output);
    for (uint32_t i = 0; i < io.n_output; i++) {
        memcpy(all + i * *per, out[i].buf, out[i].size);
    }
    OK(rknn_outputs_release(ctx, io.n_output, out));
    OK(rknn_destroy(ctx));
    return all;
}

static void t_vlm_qwen2(void) {
    rknn_context ctx = load("qwen2-vl-2b-vision-392.model");
    rknn_tensor_attr a = query_attr(ctx, RKNN_QUERY_OUTPUT_ATTR, 0);
    CHECK(a.type == RKNN_TENSOR_FLOAT16 && a.n_dims == 3 && a.dims[1] == 196 && a.dims[2] == 1536);
    OK(rknn_destroy(ctx));
    uint8_t *img = scene(392, RECTS, 2);
    int nout;
    size_t per;
    float *e = embeddings("qwen2-vl-2b-vision-392.model", 392, img, &nout, &per);
    CHECK(nout == 1 && per == 196 * 1536);
    double sum = 0;
    for (size_t i = 0; i < per; i++) {
        CHECK(e[i] >= -0.5f && e[i] <= 0.5f);
        sum += fabs(e[i]);
    }
    CHECK(sum > per * 0.2); /* not all zero */
    free(e);
    free(img);
    no_leaks();
}

static void t_vlm_qwen3_four_outputs(void) {
    rknn_context ctx = load("qwen3-vl-2b-vision-448.model");
    rknn_tensor_attr in = query_attr(ctx, RKNN_QUERY_INPUT_ATTR, 0);
    CHECK(in.type == RKNN_TENSOR_FLOAT16 && in.dims[1] == 448);
    rknn_input_output_num io;
    OK(rknn_query(ctx, RKNN_QUERY_IN_OUT_NUM, &io, sizeof io));
    CHECK(io.n_output == 4);
    for (uint32_t i = 0; i < 4; i++) {
        rknn_tensor_attr a = query_attr(ctx, RKNN_QUERY_OUTPUT_ATTR, i);
        CHECK(a.dims[1] == 196 && a.dims[2] == 2048);
    }
    OK(rknn_destroy(ctx));
    uint8_t *img = scene(448, RECTS, 2);
    int nout;
    size_t per;
    float *e = embeddings("qwen3-vl-2b-vision-448.model", 448, img, &nout, &per);
    CHECK(nout == 4 && per == 196 * 2048);
    CHECK(memcmp(e, e + per, per * 4) != 0); /* the four outputs differ */
    free(e);
    free(img);
    no_leaks();
}

static void t_vlm_depends_on_image(void) {
    uint8_t *a = scene(392, RECTS, 1), *b = scene(392, RECTS + 1, 1);
    int nout;
    size_t per;
    float *ea = embeddings("qwen2-vl-2b-vision-392.model", 392, a, &nout, &per);
    float *ea2 = embeddings("qwen2-vl-2b-vision-392.model", 392, a, &nout, &per);
    float *eb = embeddings("qwen2-vl-2b-vision-392.model", 392, b, &nout, &per);
    CHECK(memcmp(ea, ea2, per * 4) == 0); /* deterministic */
    CHECK(memcmp(ea, eb, per * 4) != 0);  /* depends on the image */
    free(ea);
    free(ea2);
    free(eb);
    free(a);
    free(b);
    no_leaks();
}

static void t_classifier(void) {
    rknn_context ctx = load("mobilenetv2-224.model");
    struct rect r[2] = {{10, 10, 150, 150, 0x0000FF, 16}, {160, 160, 200, 200, 0xFF0000, 0}};
    uint8_t *img = scene(224, r, 2);
    set_input(ctx, img, 224 * 224 * 3, RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC);
    OK(rknn_run(ctx, NULL));
    rknn_output out[1] = {{.want_float = 1}};
    OK(rknn_outputs_get(ctx, 1, out, NULL));
    const float *l = out[0].buf;
    int best = 0;
    for (int i = 1; i < 1000; i++) {
        best = l[i] > l[best] ? i : best;
    }
    CHECK(best == 16 && fabsf(l[16] - 10.0f) < 0.01f && fabsf(l[0] - 5.0f) < 0.01f);
    OK(rknn_outputs_release(ctx, 1, out));
    OK(rknn_destroy(ctx));
    free(img);
    no_leaks();
}

static const struct rknn_test TESTS[] = {
    {"yolo_rectangles", t_yolo_rectangles},
    {"yolo_zero_copy", t_yolo_zero_copy},
    {"vlm_qwen2", t_vlm_qwen2},
    {"vlm_qwen3_four_outputs", t_vlm_qwen3_four_outputs},
    {"vlm_depends_on_image", t_vlm_depends_on_image},
    {"classifier", t_classifier},
};

int main(int argc, char **argv) {
    return rknn_test_main(argc, argv, TESTS, sizeof TESTS / sizeof TESTS[0]);
}
