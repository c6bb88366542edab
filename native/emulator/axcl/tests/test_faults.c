/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Fault injection through the environment:
 *   NPU4J_EMULATOR_AXCL_FAIL_EXECUTE=N  the Nth execute of the process fails
 *   NPU4J_EMULATOR_AXCL_DEVICE_LOST=N   after N executes every call fails
 *   NPU4J_EMULATOR_AXCL_LINK=...        the PCIe link profile of copies
 * Without arguments the test sets the variables itself (they are read on
 * every call); with --env-fail-execute / --env-device-lost it checks the
 * values ctest put in its environment.
 */
#include "axtest.h"

static void execute_n(struct model_run *m, int n) {
    for (int i = 0; i < n; i++) {
        OK(axclrtEngineExecute(m->id, m->ctx, 0, m->io));
    }
}

static void fail_execute(void) {
    setup_engine();
    struct model_run m;
    model_open(&m, "identity-small.model", 0, 1);
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)npu4j_emulator_axcl_execute_count() + 2);
    setenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE", v, 1);
    execute_n(&m, 1);
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, m.io), E_ENG_EXECUTE);
    execute_n(&m, 3); /* only that one */
    /* Asynchronous executes report it at synchronize. */
    snprintf(v, sizeof v, "%llu", (unsigned long long)npu4j_emulator_axcl_execute_count() + 1);
    setenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE", v, 1);
    OK(axclrtEngineExecuteAsync(m.id, m.ctx, 0, m.io, NULL));
    CHECK_RC(axclrtSynchronizeStream(NULL), E_ENG_EXECUTE);
    OK(axclrtSynchronizeStream(NULL));
    unsetenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE");
    model_close(&m);
    teardown_engine();
}

static void device_lost(void) {
    setup_engine();
    struct model_run m;
    model_open(&m, "identity-small.model", 0, 1);
    void *h;
    OK(axclrtMallocHost(&h, 64));
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)npu4j_emulator_axcl_execute_count() + 2);
    setenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST", v, 1);
    execute_n(&m, 2);
    /* The card is gone: every call fails with DEVICE / NO_CONNECT ... */
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, m.io), E_LOST);
    char buf[64];
    CHECK_RC(axclrtMemcpy(buf, m.out[0], sizeof buf, AXCL_MEMCPY_DEVICE_TO_HOST), E_LOST);
    void *p;
    CHECK_RC(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST), E_LOST);
    uint32_t count;
    CHECK_RC(axclrtGetDeviceCount(&count), E_LOST);
    axclrtDeviceProperties props;
    CHECK_RC(axclrtGetDeviceProperties(1, &props), E_LOST);
    CHECK_RC(axclrtSetDevice(1), E_LOST);
    uint64_t id;
    CHECK_RC(axclrtEngineLoadFromFile(model_path("identity-small.model"), &id), E_LOST);
    /* ... releasing still releases the host side, but reports the loss too. */
    for (uint32_t i = 0; i < m.nin; i++) {
        CHECK_RC(axclrtFree(m.in[i]), E_LOST);
    }
    for (uint32_t i = 0; i < m.nout; i++) {
        CHECK_RC(axclrtFree(m.out[i]), E_LOST);
    }
    CHECK_RC(axclrtFreeHost(h), E_LOST);
    CHECK_RC(axclrtEngineDestroyIO(m.io), E_LOST);
    CHECK_RC(axclrtEngineDestroyIOInfo(m.info), E_LOST);
    CHECK_RC(axclrtEngineUnload(m.id), E_LOST);
    CHECK_RC(axclrtEngineFinalize(), E_LOST);
    CHECK_RC(axclrtResetDevice(1), E_LOST);
    CHECK(npu4j_emulator_axcl_live_allocations() == 0);
    OK(axclFinalize()); /* the host side always finalises */
    CHECK(strstr(npu4j_emulator_axcl_finalize_report(),
                  "live_device_allocations=0 live_host_allocations=0 live_contexts=0 live_streams=0 live_models=0"
                  " live_engine_contexts=0 live_io_infos=0 live_ios=0 active_devices=0 engine_inits=0") != NULL);
    /* The card stays lost for the process ... */
    CHECK_RC(axclInit(NULL), E_LOST);
    /* ... unless the variable goes away. */
    unsetenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST");
    setup_engine();
    teardown_engine();
}

/* Nominal time of one 1 MiB host->device copy in ms, measured with speed 1. */
/* The fastest of three copies: every copy sleeps at least the modelled time, and a preemption of this
 * process (a loaded machine) lengthens only some of them. */
static double copy_ms(void *d, const void *h, size_t n, const char *link) {
    setenv("NPU4J_EMULATOR_AXCL_LINK", link, 1);
    setenv("NPU4J_EMULATOR_SPEED", "1", 1);
    double t = 1e9;
    for (int i = 0; i < 3; i++) {
        double t0 = now_ms();
        OK(axclrtMemcpy(d, h, n, AXCL_MEMCPY_HOST_TO_DEVICE));
        double ti = now_ms() - t0;
        t = ti < t ? ti : t;
    }
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    unsetenv("NPU4J_EMULATOR_AXCL_LINK");
    return t;
}

static void link_profiles(void) {
    setup_engine();
    size_t n = 1 << 20;
    void *d, *h;
    OK(axclrtMalloc(&d, n, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMallocHost(&h, n));
    /* gen2x1: 0.3 ms + 1 MiB / 500 MB/s = 2.40 ms; gen2x2: 1.35 ms; slow: 24 ms; native: ~0. */
    double x1 = copy_ms(d, h, n, "gen2x1"), x2 = copy_ms(d, h, n, "gen2x2");
    double slow = copy_ms(d, h, n, "slow"), native = copy_ms(d, h, n, "native");
    printf("1 MiB host->device: gen2x1 %.2f ms, gen2x2 %.2f ms, slow %.2f ms, native %.3f ms\n", x1, x2, slow, native);
    /* Lower bounds only (a loaded machine may sleep longer, never shorter). */
    CHECK(x1 >= 2.35 && x2 >= 1.30 && slow >= 23.5);
    CHECK(native < 2.0);
    /* Speed 0 (the test default): no delay whatever the link. */
    setenv("NPU4J_EMULATOR_AXCL_LINK", "slow", 1);
    double t0 = now_ms();
    for (int i = 0; i < 20; i++) {
        OK(axclrtMemcpy(d, h, n, AXCL_MEMCPY_HOST_TO_DEVICE));
    }
    CHECK(now_ms() - t0 < 200);
    unsetenv("NPU4J_EMULATOR_AXCL_LINK");
    OK(axclrtFree(d));
    OK(axclrtFreeHost(h));
    teardown_engine();
}

/* NPU4J_EMULATOR_AXCL_FAIL_EXECUTE=3 set by ctest. */
static void env_fail_execute(void) {
    setup_engine();
    struct model_run m;
    model_open(&m, "identity-small.model", 0, 1);
    execute_n(&m, 2);
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, m.io), E_ENG_EXECUTE);
    execute_n(&m, 2);
    model_close(&m);
    teardown_engine();
}

/* NPU4J_EMULATOR_AXCL_DEVICE_LOST=2 set by ctest. */
static void env_device_lost(void) {
    setup_engine();
    struct model_run m;
    model_open(&m, "identity-small.model", 0, 1);
    execute_n(&m, 2);
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, m.io), E_LOST);
    char buf[16];
    CHECK_RC(axclrtMemcpy(m.in[0], buf, sizeof buf, AXCL_MEMCPY_HOST_TO_DEVICE), E_LOST);
    OK(axclFinalize());
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--env-fail-execute") == 0) {
        env_fail_execute();
    } else if (argc > 1 && strcmp(argv[1], "--env-device-lost") == 0) {
        env_device_lost();
    } else {
        unsetenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE");
        unsetenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST");
        fail_execute();
        device_lost();
        link_profiles();
    }
    puts("axcl_faults: ok");
    return 0;
}
