/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Helpers and the runner of the RKNN emulator's C tests (rknn_test.h).
 */
#include "rknn_test.h"

char *model_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", RKNN_MODELS_DIR, name);
    return buf;
}

rknn_context load(const char *name) {
    rknn_context ctx = 0;
    OK(rknn_init(&ctx, model_path(name), 0, 0, NULL));
    CHECK(ctx != 0);
    return ctx;
}

void no_leaks(void) {
    CHECK(npu4j_emulator_rknn_live("contexts") == 0);
    CHECK(npu4j_emulator_rknn_live("mems") == 0);
    CHECK(npu4j_emulator_rknn_live("outputs") == 0);
    CHECK(npu4j_emulator_rknn_live("allocations") == 0);
}

rknn_tensor_attr query_attr(rknn_context ctx, rknn_query_cmd cmd, uint32_t index) {
    rknn_tensor_attr a;
    memset(&a, 0, sizeof a);
    a.index = index;
    OK(rknn_query(ctx, cmd, &a, sizeof a));
    return a;
}

/* A grey (114) image with solid rectangles. */
uint8_t *scene(int S, const struct rect *r, int n) {
    uint8_t *img = malloc((size_t)S * S * 3);
    memset(img, 114, (size_t)S * S * 3);
    for (int i = 0; i < n; i++) {
        for (int y = r[i].y0; y < r[i].y1; y++) {
            for (int x = r[i].x0; x < r[i].x1; x++) {
                uint8_t *p = img + ((size_t)y * S + x) * 3;
                p[0] = (uint8_t)(r[i].rgb >> 16);
                p[1] = (uint8_t)(r[i].rgb >> 8);
                p[2] = (uint8_t)r[i].rgb;
            }
        }
    }
    return img;
}

void set_input(rknn_context ctx, void *buf, uint32_t size, rknn_tensor_type type, rknn_tensor_format fmt) {
    rknn_input in = {.index = 0, .buf = buf, .size = size, .type = type, .fmt = fmt};
    OK(rknn_inputs_set(ctx, 1, &in));
}

const struct rect RECTS[NRECTS] = {
    {40, 60, 200, 300, 0xFF0000, 0},   /* red: person */
    {300, 100, 360, 140, 0x00FF00, 2}, /* green: car */
    {420, 380, 620, 620, 0x0000FF, 16},/* blue: dog */
    {100, 450, 130, 470, 0xFFFF00, 5}, /* yellow: bus (small) */
};

int rknn_test_main(int argc, char **argv, const struct rknn_test *tests, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (argc < 2 || strcmp(argv[1], tests[i].name) == 0) {
            tests[i].fn();
            if (argc >= 2) {
                printf("%s: ok\n", tests[i].name);
                return 0;
            }
        }
    }
    if (argc >= 2) {
        fprintf(stderr, "unknown test %s\n", argv[1]);
        return 2;
    }
    printf("all ok\n");
    return 0;
}
