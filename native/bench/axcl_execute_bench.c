/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C reference for the AXCL per-call overhead: the loop a Java binding is
 * compared against. Loads an emulator model (identity-small by default),
 * creates its IO once with device buffers bound once, then times N calls of
 *
 *     axclrtMemcpy(host -> device, input)
 *     axclrtEngineExecute
 *     axclrtMemcpy(device -> host, output)
 *
 * with NPU4J_EMULATOR_SPEED=0 (no emulated device time), so what is measured
 * is the cost of going through the runtime's API. The calls are timed in
 * batches of BENCH_BATCH (1000, bench_args.h); output on stdout, one line:
 *
 *     calls=N ns_per_call=X median_batch_ns_per_call=Y
 *
 * where one "call" is the three API calls above, X the mean over all calls
 * and Y the median over the batches of a batch's ns per call, the statistic
 * AxclExecuteBenchmark.executeBatch reports for Java. Usage:
 *
 *     axcl_execute_bench [--calls N] [--model PATH] [--warmup N] [--speed S]
 *
 * It runs against any libaxcl_rt.so with the same ABI, the vendor's included
 * (then with a real .axmodel and the card's real timing).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axcl.h"
#include "bench_args.h"

#ifndef NPU4J_AXCL_DEFAULT_MODEL
#define NPU4J_AXCL_DEFAULT_MODEL "identity-small.model"
#endif

#define TRY(expr)                                                                             \
    do {                                                                                      \
        axclError rc_ = (expr);                                                               \
        if (rc_ != AXCL_SUCC) {                                                               \
            fprintf(stderr, "axcl_execute_bench: %s failed: 0x%08X\n", #expr, (unsigned)rc_); \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

int main(int argc, char **argv) {
    bench_args args = bench_parse_args(argc, argv, "axcl_execute_bench", NPU4J_AXCL_DEFAULT_MODEL);
    long long calls = args.calls, warmup = args.warmup;
    const char *model = args.model, *speed = args.speed;

    TRY(axclInit(NULL));
    axclrtDeviceList devices;
    TRY(axclrtGetDeviceList(&devices));
    if (devices.num == 0) {
        fprintf(stderr, "axcl_execute_bench: no device\n");
        return 1;
    }
    TRY(axclrtSetDevice(devices.devices[0]));
    TRY(axclrtEngineInit(AXCL_VNPU_DISABLE));

    uint64_t model_id, context_id;
    axclrtEngineIOInfo info;
    axclrtEngineIO io;
    TRY(axclrtEngineLoadFromFile(model, &model_id));
    TRY(axclrtEngineCreateContext(model_id, &context_id));
    TRY(axclrtEngineGetIOInfo(model_id, &info));
    TRY(axclrtEngineCreateIO(info, &io));
    if (axclrtEngineGetNumInputs(info) != 1 || axclrtEngineGetNumOutputs(info) != 1) {
        fprintf(stderr, "axcl_execute_bench: the model must have one input and one output\n");
        return 1;
    }

    /* Device buffers and pinned host buffers, created and bound once. */
    uint64_t in_size = axclrtEngineGetInputSizeByIndex(info, 0, 0);
    uint64_t out_size = axclrtEngineGetOutputSizeByIndex(info, 0, 0);
    void *dev_in, *dev_out, *host_in, *host_out;
    TRY(axclrtMalloc(&dev_in, in_size, AXCL_MEM_MALLOC_HUGE_FIRST));
    TRY(axclrtMalloc(&dev_out, out_size, AXCL_MEM_MALLOC_HUGE_FIRST));
    TRY(axclrtMallocHost(&host_in, in_size));
    TRY(axclrtMallocHost(&host_out, out_size));
    memset(host_in, 1, in_size);
    TRY(axclrtEngineSetInputBufferByIndex(io, 0, dev_in, in_size));
    TRY(axclrtEngineSetOutputBufferByIndex(io, 0, dev_out, out_size));

    for (long long i = 0; i < warmup; i++) {
        TRY(axclrtMemcpy(dev_in, host_in, in_size, AXCL_MEMCPY_HOST_TO_DEVICE));
        TRY(axclrtEngineExecute(model_id, context_id, 0, io));
        TRY(axclrtMemcpy(host_out, dev_out, out_size, AXCL_MEMCPY_DEVICE_TO_HOST));
    }
    long long batches;
    double *per_call = bench_batches(calls, &batches, "axcl_execute_bench");
    uint64_t t0 = bench_now_ns();
    for (long long b = 0, done = 0; b < batches; b++) {
        long long n = calls - done < BENCH_BATCH ? calls - done : BENCH_BATCH;
        uint64_t tb = bench_now_ns();
        for (long long i = 0; i < n; i++) {
            TRY(axclrtMemcpy(dev_in, host_in, in_size, AXCL_MEMCPY_HOST_TO_DEVICE));
            TRY(axclrtEngineExecute(model_id, context_id, 0, io));
            TRY(axclrtMemcpy(host_out, dev_out, out_size, AXCL_MEMCPY_DEVICE_TO_HOST));
        }
        per_call[b] = (double)(bench_now_ns() - tb) / (double)n;
        done += n;
    }
    uint64_t elapsed = bench_now_ns() - t0;
    double median = bench_median(per_call, batches);
    free(per_call);
    if (memcmp(host_in, host_out, in_size < out_size ? in_size : out_size) != 0 && strstr(model, "identity")) {
        fprintf(stderr, "axcl_execute_bench: identity model returned other bytes\n");
        return 1;
    }

    TRY(axclrtFreeHost(host_in));
    TRY(axclrtFreeHost(host_out));
    TRY(axclrtFree(dev_in));
    TRY(axclrtFree(dev_out));
    TRY(axclrtEngineDestroyIO(io));
    TRY(axclrtEngineDestroyIOInfo(info));
    TRY(axclrtEngineUnload(model_id));
    TRY(axclrtEngineFinalize());
    TRY(axclrtResetDevice(devices.devices[0]));
    TRY(axclFinalize());

    printf("calls=%lld ns_per_call=%.1f median_batch_ns_per_call=%.1f\n", calls, (double)elapsed / (double)calls,
           median);
    fprintf(stderr, "axcl_execute_bench: model %s, %llu-byte input, %llu-byte output, speed %s\n", model,
            (unsigned long long)in_size, (unsigned long long)out_size, speed);
    return 0;
}
