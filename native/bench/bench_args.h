/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * What the per-call C drivers (axcl_execute_bench, rknn_run_bench) share: the
 * monotonic clock, the command line [--calls N] [--model PATH] [--warmup N]
 * [--speed S], whose speed is handed to the emulator through
 * NPU4J_EMULATOR_SPEED (the vendor runtimes ignore it), and the batch
 * statistic: calls are timed in batches of BENCH_BATCH and the median of the
 * batches' ns per call is reported beside the mean (a preemption on a shared,
 * loaded machine lands in a few batches and moves the mean far more than the
 * median; the JMH benchmarks' batch methods report the same statistic).
 * Header-only: each driver is one translation unit.
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

/* Calls per timed batch; the Java benchmarks' BATCH constants are the same. */
#define BENCH_BATCH 1000

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of values[0..n) (sorts them in place); n > 0. */
static inline double bench_median(double *values, long long n) {
    qsort(values, (size_t)n, sizeof *values, bench_cmp_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Room for the per-batch figures of `calls` calls; exits on failure. */
static inline double *bench_batches(long long calls, long long *batches, const char *name) {
    *batches = (calls + BENCH_BATCH - 1) / BENCH_BATCH;
    double *per_call = malloc((size_t)*batches * sizeof *per_call);
    if (!per_call) {
        fprintf(stderr, "%s: out of memory\n", name);
        exit(1);
    }
    return per_call;
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
