/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the C tests of the npu4j RKNN emulator (rknn_test_api.c,
 * rknn_test_models.c): checks, model loading, the test scene and the runner.
 * Each program runs one named test per ctest case (rknn_emulator_test_api
 * <name>), or all of its tests without an argument. Each test ends by checking
 * that nothing is live.
 */
#ifndef NPU4J_RKNN_TEST_H
#define NPU4J_RKNN_TEST_H

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "npu4j_rknn_emulator.h"
#include "rknn_api.h"

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)
#define OK(call) CHECK((call) == RKNN_SUCC)

/* A shipped descriptor under models/ (one static buffer: valid until the next call). */
char *model_path(const char *name);
/* rknn_init of a shipped descriptor; fails the test if it does not load. */
rknn_context load(const char *name);
/* Fails the test if any context, memory, output or allocation is live. */
void no_leaks(void);
rknn_tensor_attr query_attr(rknn_context ctx, rknn_query_cmd cmd, uint32_t index);

/* A grey (114) image with solid rectangles. */
struct rect { int x0, y0, x1, y1; uint32_t rgb; int cls; };
uint8_t *scene(int S, const struct rect *r, int n);
/* The rectangles (four classes) the detector and timing tests draw with scene(). */
extern const struct rect RECTS[];
#define NRECTS 4

void set_input(rknn_context ctx, void *buf, uint32_t size, rknn_tensor_type type, rknn_tensor_format fmt);

/* ---------------------------------------------------------------- the runner */

struct rknn_test {
    const char *name;
    void (*fn)(void);
};

/* main() of a test program: runs the test named by argv[1], or every one. */
int rknn_test_main(int argc, char **argv, const struct rknn_test *tests, size_t n);

#endif /* NPU4J_RKNN_TEST_H */
