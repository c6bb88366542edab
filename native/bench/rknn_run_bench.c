/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C reference for the RKNN per-call overhead: the loop a Java zero-copy
 * binding (org.npu4j.rknn.RknnBinding) is compared against. Loads an emulator
 * model (identity-tiny by default), binds one runtime memory per tensor once
 * (rknn_create_mem + rknn_set_io_mem, the native input attribute and the
 * normal output attribute, as RknnBinding does), then times N calls of
 *
 *     rknn_run(ctx, NULL)
 *
 * with NPU4J_EMULATOR_SPEED=0 (no emulated NPU time), so what is measured is
 * the cost of going through the runtime's API. The calls are timed in batches
 * of BENCH_BATCH (1000, bench_args.h); output on stdout, one line:
 *
 *     calls=N ns_per_call=X median_batch_ns_per_call=Y
 *
 * X is the mean over all calls; Y the median over the batches of a batch's
 * ns per call, which a preemption of the process (a shared, loaded machine)
 * moves far less than the mean: RknnRunBenchmark.runBatch reports the same
 * statistic for Java (JMH sample mode, the median of 1000-call invocations).
 *
 * Usage: rknn_run_bench [--calls N] [--model PATH] [--warmup N] [--speed S]
 *
 * It runs against any librknnrt.so with the same ABI, the vendor's included
 * (then with a real .rknn model and the board's real timing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_args.h"
#include "rknn_api.h"

#ifndef NPU4J_RKNN_DEFAULT_MODEL
#define NPU4J_RKNN_DEFAULT_MODEL "identity-tiny.model"
#endif

#define TRY(expr)                                                                 \
    do {                                                                          \
        int rc_ = (expr);                                                         \
        if (rc_ != RKNN_SUCC) {                                                   \
            fprintf(stderr, "rknn_run_bench: %s failed: %d\n", #expr, rc_);       \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

int main(int argc, char **argv) {
    bench_args args = bench_parse_args(argc, argv, "rknn_run_bench", NPU4J_RKNN_DEFAULT_MODEL);
    long long calls = args.calls, warmup = args.warmup;
    const char *model = args.model, *speed = args.speed;

    rknn_context ctx = 0;
    TRY(rknn_init(&ctx, (void *)model, 0, 0, NULL));
    rknn_input_output_num io;
    TRY(rknn_query(ctx, RKNN_QUERY_IN_OUT_NUM, &io, sizeof io));
    if (io.n_input != 1 || io.n_output != 1) {
        fprintf(stderr, "rknn_run_bench: the model must have one input and one output\n");
        return 1;
    }
    rknn_tensor_attr in_attr, out_attr;
    memset(&in_attr, 0, sizeof in_attr);
    memset(&out_attr, 0, sizeof out_attr);
    TRY(rknn_query(ctx, RKNN_QUERY_NATIVE_INPUT_ATTR, &in_attr, sizeof in_attr));
    TRY(rknn_query(ctx, RKNN_QUERY_OUTPUT_ATTR, &out_attr, sizeof out_attr));
    in_attr.type = RKNN_TENSOR_UINT8;
    in_attr.fmt = RKNN_TENSOR_NHWC;
    rknn_tensor_mem *in_mem = rknn_create_mem(ctx, in_attr.size_with_stride);
    rknn_tensor_mem *out_mem = rknn_create_mem(ctx, out_attr.size_with_stride);
    if (!in_mem || !out_mem) {
        fprintf(stderr, "rknn_run_bench: rknn_create_mem failed\n");
        return 1;
    }
    memset(in_mem->virt_addr, 1, in_attr.size_with_stride);
    TRY(rknn_set_io_mem(ctx, in_mem, &in_attr));
    TRY(rknn_set_io_mem(ctx, out_mem, &out_attr));

    for (long long i = 0; i < warmup; i++) {
        TRY(rknn_run(ctx, NULL));
    }
    long long batches;
    double *per_call = bench_batches(calls, &batches, "rknn_run_bench");
    uint64_t t0 = bench_now_ns();
    for (long long b = 0, done = 0; b < batches; b++) {
        long long n = calls - done < BENCH_BATCH ? calls - done : BENCH_BATCH;
        uint64_t tb = bench_now_ns();
        for (long long i = 0; i < n; i++) {
            TRY(rknn_run(ctx, NULL));
        }
        per_call[b] = (double)(bench_now_ns() - tb) / (double)n;
        done += n;
    }
    uint64_t elapsed = bench_now_ns() - t0;
    double median = bench_median(per_call, batches);
    free(per_call);
    if (strstr(model, "identity") && ((int8_t *)out_mem->virt_addr)[0] != (int8_t)(1 - 128)) {
        fprintf(stderr, "rknn_run_bench: identity model returned another value\n");
        return 1;
    }

    TRY(rknn_destroy_mem(ctx, in_mem));
    TRY(rknn_destroy_mem(ctx, out_mem));
    TRY(rknn_destroy(ctx));

    printf("calls=%lld ns_per_call=%.1f median_batch_ns_per_call=%.1f\n", calls, (double)elapsed / (double)calls,
           median);
    fprintf(stderr, "rknn_run_bench: model %s, %u-byte input, %u-byte output, speed %s\n", model,
            in_attr.size_with_stride, out_attr.size_with_stride, speed);
    return 0;
}
