/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * What the per-call C drivers (axcl_execute_bench, rknn_run_bench) share: the
 * monotonic clock and the command line [--calls N] [--model PATH]
 * [--warmup N] [--speed S], whose speed is handed to the emulator through
 * NPU4J_EMULATOR_SPEED (the vendor runtimes ignore it). Header-only: each
 * driver is one translation unit.
 */
#ifndef NPU4J_BENCH_ARGS_H
#define NPU4J_BENCH_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    long long calls;
    long long warmup;
    const char *model;
    const char *speed;
} bench_args;

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void bench_usage(const char *name) {
    fprintf(stderr, "usage: %s [--calls N] [--model PATH] [--warmup N] [--speed S]\n", name);
    exit(2);
}

/* Parses argv (exits with status 2 and the usage on bad input) and sets the emulator's speed. */
static inline bench_args bench_parse_args(int argc, char **argv, const char *name, const char *default_model) {
    bench_args a = {1000000, 10000, default_model, "0"};
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) {
            bench_usage(name);
        }
        if (strcmp(argv[i], "--calls") == 0) {
            a.calls = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--warmup") == 0) {
            a.warmup = atoll(argv[++i]);
        } else if (strcmp(argv[i], "--model") == 0) {
            a.model = argv[++i];
        } else if (strcmp(argv[i], "--speed") == 0) {
            a.speed = argv[++i];
        } else {
            bench_usage(name);
        }
    }
    if (a.calls <= 0 || a.warmup < 0) {
        bench_usage(name);
    }
    /* The emulator reads this on every call; the vendor runtime ignores it. */
    setenv("NPU4J_EMULATOR_SPEED", a.speed, 1);
    return a;
}

#endif
