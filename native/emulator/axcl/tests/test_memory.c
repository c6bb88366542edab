/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Device memory is not host memory (a dereference faults), running out of
 * CMM, copies of every kind, memset/memcmp, cache calls, host memory and the
 * asynchronous variants on streams.
 */
#include "axtest.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks a child that touches the device pointer from the host: it must die of SIGSEGV. */
static void host_access_faults(void *dev, bool write) {
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        volatile uint8_t *p = dev;
        if (write) {
            p[0] = 42;
        } else {
            volatile uint8_t v = p[0];
            (void)v;
        }
        _exit(0); /* reached only if the access "worked" */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)) {
        fprintf(stderr, "child %s device memory: status 0x%x (expected death by SIGSEGV)\n", write ? "wrote" : "read",
                status);
        exit(1);
    }
}

static uint32_t free_cmm_kib(void) {
    axclrtDeviceProperties p;
    OK(axclrtGetDeviceProperties(1, &p));
    return p.freeCmmSize;
}

static void device_pointers_fault(void) {
    void *d;
    OK(axclrtMalloc(&d, 4096, AXCL_MEM_MALLOC_HUGE_FIRST));
    uint8_t buf[4096];
    memset(buf, 7, sizeof buf);
    OK(axclrtMemcpy(d, buf, sizeof buf, AXCL_MEMCPY_HOST_TO_DEVICE)); /* the bytes exist ... */
    host_access_faults(d, false);                                     /* ... but not at that address */
    host_access_faults(d, true);
    host_access_faults((uint8_t *)d + 100, false);
    CHECK(npu4j_emulator_axcl_is_device_pointer(d) == 1);
    CHECK(npu4j_emulator_axcl_is_device_pointer((uint8_t *)d + 4095) == 1);
    CHECK(npu4j_emulator_axcl_is_device_pointer(buf) == 0);
    OK(axclrtFree(d));
    CHECK(npu4j_emulator_axcl_is_device_pointer(d) == 0);
}

static void out_of_memory(void) {
    uint32_t free0 = free_cmm_kib();
    void *a, *b;
    OK(axclrtMalloc(&a, 10 << 20, AXCL_MEM_MALLOC_HUGE_FIRST));
    CHECK(free_cmm_kib() == free0 - 10 * 1024); /* free CMM falls as memory is allocated */
    OK(axclrtMallocCached(&b, 1000, AXCL_MEM_MALLOC_NORMAL_ONLY));
    CHECK(free_cmm_kib() == free0 - 10 * 1024 - 4); /* page-rounded */
    void *big;
    CHECK_RC(axclrtMalloc(&big, (size_t)free_cmm_kib() * 1024 + 4096, AXCL_MEM_MALLOC_HUGE_FIRST), E_MEM_NO_MEMORY);
    CHECK(big == NULL);
    OK(axclrtFree(a));
    OK(axclrtFree(b));
    CHECK(free_cmm_kib() == free0);
    CHECK_RC(axclrtMalloc(&big, 0, AXCL_MEM_MALLOC_HUGE_FIRST), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMalloc(NULL, 16, AXCL_MEM_MALLOC_HUGE_FIRST), AXCL_ERR_MEMORY_NULL_POINTER);
    CHECK_RC(axclrtMalloc(&big, 16, (axclrtMemMallocPolicy)9), E_MEM_ILLEGAL);
}

/* A 16 MiB card: fill it with 4 MiB blocks. */
static void small_card(void) {
    write_text(tmp_path("small.json"), "{\"npu4j_emulator\":{\"devices\":[{\"bus\":1,\"cmm_mib\":16}]}}");
    OK(axclInit(tmp_path("small.json")));
    OK(axclrtSetDevice(1));
    void *blk[5];
    for (int i = 0; i < 4; i++) {
        OK(axclrtMalloc(&blk[i], 4 << 20, AXCL_MEM_MALLOC_HUGE_FIRST));
    }
    CHECK(free_cmm_kib() == 0);
    CHECK_RC(axclrtMalloc(&blk[4], 1, AXCL_MEM_MALLOC_HUGE_FIRST), E_MEM_NO_MEMORY);
    OK(axclrtFree(blk[1]));
    OK(axclrtMalloc(&blk[4], 4 << 20, AXCL_MEM_MALLOC_HUGE_FIRST)); /* reuses the hole */
    CHECK(blk[4] == blk[1]);
    for (int i = 0; i < 5; i++) {
        if (i != 1) {
            OK(axclrtFree(blk[i]));
        }
    }
    OK(axclrtResetDevice(1));
    OK(axclFinalize());
}

static void copies(void) {
    enum { N = 1000 };
    uint8_t src[N], dst[N], back[N];
    for (int i = 0; i < N; i++) {
        src[i] = (uint8_t)(i * 7 + 3);
    }
    void *d1, *d2;
    OK(axclrtMalloc(&d1, N, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMalloc(&d2, N, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMemcpy(d1, src, N, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtMemcpy(d2, d1, N, AXCL_MEMCPY_DEVICE_TO_DEVICE));
    memset(back, 0, N);
    OK(axclrtMemcpy(back, d2, N, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(src, back, N) == 0);
    OK(axclrtMemcpy(dst, src, N, AXCL_MEMCPY_HOST_TO_HOST));
    CHECK(memcmp(src, dst, N) == 0);
    /* Offsets inside an allocation. */
    OK(axclrtMemcpy((uint8_t *)d1 + 10, src, 20, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtMemcpy(back, (uint8_t *)d1 + 10, 20, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(src, back, 20) == 0);
    OK(axclrtMemcpy(back, d1, 0, AXCL_MEMCPY_DEVICE_TO_HOST)); /* nothing to do */

    /* The kind must match the pointers. */
    CHECK_RC(axclrtMemcpy(dst, src, N, AXCL_MEMCPY_HOST_TO_DEVICE), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMemcpy(d1, d2, N, AXCL_MEMCPY_HOST_TO_DEVICE), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMemcpy(d1, src, N, AXCL_MEMCPY_DEVICE_TO_HOST), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMemcpy(dst, d1, N, AXCL_MEMCPY_HOST_TO_HOST), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMemcpy(d1, src, N, AXCL_MEMCPY_DEVICE_TO_DEVICE), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMemcpy(d1, src, N, AXCL_MEMCPY_HOST_PHY_TO_DEVICE), 0x80300504);
    CHECK_RC(axclrtMemcpy(dst, d1, N, AXCL_MEMCPY_DEVICE_TO_HOST_PHY), 0x80300504);
    CHECK_RC(axclrtMemcpy(d1, src, N, (axclrtMemcpyKind)99), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMemcpy(NULL, src, N, AXCL_MEMCPY_HOST_TO_HOST), AXCL_ERR_MEMORY_NULL_POINTER);
    /* Ranges must stay inside one allocation. */
    CHECK_RC(axclrtMemcpy((uint8_t *)d1 + 1, src, N, AXCL_MEMCPY_HOST_TO_DEVICE), E_MEM_ILLEGAL);

    OK(axclrtMemset(d1, 0xAB, N));
    OK(axclrtMemcpy(back, d1, N, AXCL_MEMCPY_DEVICE_TO_HOST));
    for (int i = 0; i < N; i++) {
        CHECK(back[i] == 0xAB);
    }
    OK(axclrtMemset(d2, 0xAB, N));
    OK(axclrtMemcmp(d1, d2, N));
    OK(axclrtMemset(d2, 0xAC, 1));
    CHECK_RC(axclrtMemcmp(d1, d2, N), AXCL_ERR_MEMORY_EXECUTE_FAIL);
    CHECK_RC(axclrtMemset(dst, 0, N), E_MEM_NOT_DEVICE);
    CHECK_RC(axclrtMemcmp(d1, dst, N), E_MEM_NOT_DEVICE);

    OK(axclrtMemFlush(d1, N));
    OK(axclrtMemInvalidate((uint8_t *)d1 + 8, 8));
    CHECK_RC(axclrtMemFlush(dst, N), E_MEM_NOT_DEVICE);
    CHECK_RC(axclrtMemInvalidate(d1, N + 1), E_MEM_ILLEGAL);

    CHECK_RC(axclrtFree((uint8_t *)d1 + 4), E_MEM_ILLEGAL);
    CHECK_RC(axclrtFree(dst), E_MEM_NOT_DEVICE);
    OK(axclrtFree(d1));
    CHECK_RC(axclrtFree(d1), E_MEM_NOT_DEVICE);
    CHECK_RC(axclrtMemcpy(d1, src, N, AXCL_MEMCPY_HOST_TO_DEVICE), E_MEM_NOT_DEVICE); /* use after free */
    OK(axclrtFree(d2));
}

static void host_memory(void) {
    void *h;
    OK(axclrtMallocHost(&h, 100000));
    CHECK(h != NULL && npu4j_emulator_axcl_is_device_pointer(h) == 0);
    memset(h, 0x5A, 100000); /* ordinary host memory */
    void *d;
    OK(axclrtMalloc(&d, 100000, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMemcpy(d, h, 100000, AXCL_MEMCPY_HOST_TO_DEVICE));
    memset(h, 0, 100000);
    OK(axclrtMemcpy(h, d, 100000, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(((uint8_t *)h)[99999] == 0x5A);
    CHECK(npu4j_emulator_axcl_live("host_allocations") == 1);
    CHECK_RC(axclrtFree(h), E_MEM_NOT_DEVICE);
    CHECK_RC(axclrtFreeHost(d), E_MEM_ILLEGAL);
    char stack[8];
    CHECK_RC(axclrtFreeHost(stack), E_MEM_ILLEGAL);
    OK(axclrtFreeHost(h));
    CHECK_RC(axclrtFreeHost(h), E_MEM_ILLEGAL);
    CHECK_RC(axclrtMallocHost(&h, 0), E_MEM_ILLEGAL);
    OK(axclrtFree(d));
}

static void async(void) {
    enum { N = 4096 };
    static uint8_t src[N], back[N];
    for (int i = 0; i < N; i++) {
        src[i] = (uint8_t)(i ^ 0x55);
    }
    void *d1, *d2;
    OK(axclrtMalloc(&d1, N, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMalloc(&d2, N, AXCL_MEM_MALLOC_HUGE_FIRST));
    axclrtStream s;
    OK(axclrtCreateStream(&s));
    CHECK(npu4j_emulator_axcl_live("streams") == 1);
    OK(axclrtMemcpyAsync(d1, src, N, AXCL_MEMCPY_HOST_TO_DEVICE, s));
    OK(axclrtMemcpyAsync(d2, d1, N, AXCL_MEMCPY_DEVICE_TO_DEVICE, s));
    OK(axclrtMemcpyAsync(back, d2, N, AXCL_MEMCPY_DEVICE_TO_HOST, s));
    OK(axclrtSynchronizeStream(s));
    CHECK(memcmp(src, back, N) == 0);
    /* Wrong arguments are refused when queued, not later. */
    CHECK_RC(axclrtMemcpyAsync(back, src, N, AXCL_MEMCPY_HOST_TO_DEVICE, s), E_MEM_ILLEGAL);
    /* An asynchronous failure surfaces at the next synchronize, once. */
    OK(axclrtMemsetAsync(d2, 1, 1, s));
    OK(axclrtMemcmpAsync(d1, d2, N, s));
    CHECK_RC(axclrtSynchronizeStream(s), AXCL_ERR_MEMORY_EXECUTE_FAIL);
    OK(axclrtSynchronizeStream(s));
    OK(axclrtSynchronizeStreamWithTimeout(s, 1000));
    CHECK_RC(axclrtSynchronizeStreamWithTimeout(s, -2), 0x80300303);
    /* NULL is the current context's default stream. */
    OK(axclrtMemsetAsync(d1, 9, N, NULL));
    OK(axclrtMemcpyAsync(back, d1, N, AXCL_MEMCPY_DEVICE_TO_HOST, NULL));
    OK(axclrtSynchronizeStream(NULL));
    CHECK(back[0] == 9 && back[N - 1] == 9);
    OK(axclrtSynchronizeDevice());
    OK(axclrtDestroyStream(s));
    CHECK_RC(axclrtDestroyStream(s), AXCL_ERR_STREAM_DESTROY);
    CHECK_RC(axclrtDestroyStream(NULL), AXCL_ERR_STREAM_NULL_POINTER);
    CHECK_RC(axclrtSynchronizeStream(s), 0x80300303);
    OK(axclrtCreateStream(&s));
    for (int i = 0; i < 100; i++) {
        OK(axclrtMemcpyAsync(d1, src, N, AXCL_MEMCPY_HOST_TO_DEVICE, s));
    }
    OK(axclrtDestroyStreamForce(s)); /* drops what is still queued */
    OK(axclrtFree(d1));
    OK(axclrtFree(d2));
}

int main(void) {
    OK(axclInit(NULL));
    OK(axclrtSetDevice(1));
    device_pointers_fault();
    out_of_memory();
    copies();
    host_memory();
    async();
    OK(axclrtResetDevice(1));
    OK(axclFinalize());
    CHECK(strstr(npu4j_emulator_axcl_finalize_report(), "live_device_allocations=0 live_host_allocations=0") != NULL);
    small_card();
    puts("axcl_memory: ok");
    return 0;
}
