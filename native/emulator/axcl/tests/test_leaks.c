/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Live-object counters: what axclFinalize reports (and
 * npu4j_emulator_axcl_live returns) is exactly what the application did not
 * release.
 */
#include "axtest.h"

static const char *CLEAN =
    "finalize live_device_allocations=0 live_host_allocations=0 live_contexts=0 live_streams=0 live_models=0"
    " live_engine_contexts=0 live_io_infos=0 live_ios=0 active_devices=0 engine_inits=0";

/* Creates one of everything. */
static void use_everything(struct model_run *m, void **host, axclrtStream *s, axclrtContext *c) {
    model_open(m, "affine-small.model", 0, 1);
    OK(axclrtMallocHost(host, 100));
    OK(axclrtCreateStream(s));
    OK(axclrtCreateContext(c, 1));
    OK(axclrtSetDevice(1)); /* back to the implicit context */
    OK(axclrtResetDevice(1));
    OK(axclrtEngineExecute(m->id, m->ctx, 0, m->io));
}

int main(void) {
    CHECK(npu4j_emulator_axcl_live("device_allocations") == 0);
    CHECK(npu4j_emulator_axcl_live("no-such-kind") == -1);
    CHECK(strcmp(npu4j_emulator_axcl_finalize_report(), "") == 0);

    /* Everything released: all zero. */
    setup_engine();
    struct model_run m;
    void *host;
    axclrtStream s;
    axclrtContext c;
    use_everything(&m, &host, &s, &c);
    CHECK(npu4j_emulator_axcl_live("device_allocations") == 4);
    CHECK(npu4j_emulator_axcl_live("host_allocations") == 1);
    CHECK(npu4j_emulator_axcl_live_allocations() == 5);
    CHECK(npu4j_emulator_axcl_live("models") == 1);
    CHECK(npu4j_emulator_axcl_live("engine_contexts") == 1);
    CHECK(npu4j_emulator_axcl_live("io_infos") == 1);
    CHECK(npu4j_emulator_axcl_live("ios") == 1);
    CHECK(npu4j_emulator_axcl_live("streams") == 1);
    CHECK(npu4j_emulator_axcl_live("contexts") == 1);
    CHECK(npu4j_emulator_axcl_live("active_devices") == 1);
    CHECK(npu4j_emulator_axcl_live("engine_inits") == 1);
    OK(axclrtDestroyStream(s));
    OK(axclrtDestroyContext(c));
    OK(axclrtFreeHost(host));
    model_close(&m);
    teardown_engine();
    const char *r = npu4j_emulator_axcl_finalize_report();
    if (strncmp(r, CLEAN, strlen(CLEAN)) != 0) {
        fprintf(stderr, "report: %s\nexpected: %s ...\n", r, CLEAN);
        return 1;
    }

    /* Nothing released: every counter shows it, and finalize reclaims it all. */
    setup_engine();
    use_everything(&m, &host, &s, &c);
    void *extra;
    OK(axclrtMalloc(&extra, 10, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclFinalize());
    r = npu4j_emulator_axcl_finalize_report();
    CHECK(strstr(r, "live_device_allocations=5 live_host_allocations=1 live_contexts=1 live_streams=1 live_models=1"
                    " live_engine_contexts=1 live_io_infos=1 live_ios=1 active_devices=1 engine_inits=1") != NULL);
    CHECK(npu4j_emulator_axcl_live("device_allocations") == 0);
    CHECK(npu4j_emulator_axcl_live_allocations() == 0);

    /* And the next session starts from zero. */
    setup_engine();
    CHECK(npu4j_emulator_axcl_live_allocations() == 0);
    teardown_engine();
    CHECK(strncmp(npu4j_emulator_axcl_finalize_report(), CLEAN, strlen(CLEAN)) == 0);
    puts("axcl_leaks: ok");
    return 0;
}
