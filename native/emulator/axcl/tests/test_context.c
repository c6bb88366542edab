/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Context rules: the current context is per thread; engine and memory calls
 * from a thread without one fail with CONTEXT/NO_BIND_CONTEXT.
 */
#include "axtest.h"

#include <pthread.h>

static axclrtContext g_main_ctx;

static void no_context_calls_fail(void) {
    void *p;
    char host[16];
    uint64_t id;
    axclrtContext c;
    axclrtStream s;
    axclrtEngineVNpuKind k;
    int32_t dev;
    CHECK_RC(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST), E_NO_CTX);
    CHECK_RC(axclrtMallocHost(&p, 64), E_NO_CTX);
    CHECK_RC(axclrtMemcpy(host, host, sizeof host, AXCL_MEMCPY_HOST_TO_HOST), E_NO_CTX);
    CHECK_RC(axclrtEngineInit(AXCL_VNPU_DISABLE), E_NO_CTX);
    CHECK_RC(axclrtEngineGetVNpuKind(&k), E_NO_CTX);
    CHECK_RC(axclrtEngineLoadFromFile(model_path("identity-small.model"), &id), E_NO_CTX);
    CHECK_RC(axclrtEngineExecute(1, 2, 0, NULL), E_NO_CTX);
    CHECK_RC(axclrtGetCurrentContext(&c), E_NO_CTX);
    CHECK_RC(axclrtCreateStream(&s), E_NO_CTX);
    CHECK_RC(axclrtGetDevice(&dev), E_NO_CTX);
}

static void *other_thread(void *arg) {
    (void)arg;
    /* A new thread has no context, even though the main thread has one. */
    no_context_calls_fail();
    OK(axclrtSetCurrentContext(g_main_ctx));
    void *p;
    OK(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtFree(p));
    return NULL;
}

static void *set_device_thread(void *arg) {
    /* axclrtSetDevice in another thread binds the same implicit context. */
    OK(axclrtSetDevice(1));
    axclrtContext c;
    OK(axclrtGetCurrentContext(&c));
    *(axclrtContext *)arg = c;
    OK(axclrtResetDevice(1));
    return NULL;
}

int main(void) {
    OK(axclInit(NULL));
    no_context_calls_fail();

    OK(axclrtSetDevice(1));
    OK(axclrtGetCurrentContext(&g_main_ctx));
    CHECK(g_main_ctx != NULL);
    int32_t dev = 0;
    OK(axclrtGetDevice(&dev));
    CHECK(dev == 1);
    void *p;
    OK(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtFree(p));

    pthread_t t;
    CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    axclrtContext seen = NULL;
    CHECK(pthread_create(&t, NULL, set_device_thread, &seen) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(seen == g_main_ctx);

    /* Explicit contexts. */
    axclrtContext c2;
    OK(axclrtCreateContext(&c2, 1));
    axclrtContext cur;
    OK(axclrtGetCurrentContext(&cur));
    CHECK(cur == c2 && c2 != g_main_ctx);
    CHECK_RC(axclrtCreateContext(&c2, 9), AXCL_ERR_DEVICE_INVALID_ID);
    CHECK_RC(axclrtDestroyContext(g_main_ctx), AXCL_ERR_CONTEXT_DESTROY); /* the implicit one */
    CHECK_RC(axclrtDestroyContext(NULL), AXCL_ERR_CONTEXT_NULL_POINTER);
    OK(axclrtDestroyContext(c2));
    CHECK_RC(axclrtDestroyContext(c2), AXCL_ERR_CONTEXT_DESTROY);
    CHECK_RC(axclrtGetCurrentContext(&cur), E_NO_CTX); /* c2 was current */
    CHECK_RC(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST), E_NO_CTX);
    CHECK_RC(axclrtSetCurrentContext(c2), AXCL_ERR_CONTEXT_BIND_THREAD);
    CHECK_RC(axclrtSetCurrentContext(NULL), AXCL_ERR_CONTEXT_NULL_POINTER);
    OK(axclrtSetCurrentContext(g_main_ctx));
    OK(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtFree(p));

    /* axclrtSetDevice is reference-counted; the last reset releases the contexts. */
    OK(axclrtSetDevice(1));
    OK(axclrtResetDevice(1));
    OK(axclrtGetCurrentContext(&cur));
    OK(axclrtResetDevice(1));
    CHECK_RC(axclrtGetCurrentContext(&cur), E_NO_CTX);
    CHECK_RC(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST), E_NO_CTX);
    CHECK_RC(axclrtResetDevice(1), AXCL_ERR_DEVICE_NOT_ACTIVE);
    CHECK_RC(axclrtResetDevice(4), AXCL_ERR_DEVICE_INVALID_ID);

    /* A context does not survive axclFinalize / axclInit. */
    OK(axclrtSetDevice(1));
    OK(axclFinalize());
    OK(axclInit(NULL));
    CHECK_RC(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST), E_NO_CTX);
    OK(axclrtSetDevice(1));
    OK(axclrtResetDevice(1));
    OK(axclFinalize());
    CHECK(strstr(npu4j_emulator_axcl_finalize_report(), "live_contexts=0") != NULL);
    CHECK(strstr(npu4j_emulator_axcl_finalize_report(), "active_devices=0") != NULL);
    puts("axcl_context: ok");
    return 0;
}
