/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Emulated timing: execute times come from the descriptor's profile and
 * scale with NPU4J_EMULATOR_SPEED; the NPU load shows in the device
 * properties. Only lower bounds (and generous upper ones) are checked, so a
 * busy machine cannot make the test fail.
 */
#include "axtest.h"

#include <unistd.h>

static double average_execute_ms(struct model_run *m, int n) {
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        OK(axclrtEngineExecute(m->id, m->ctx, 0, m->io));
    }
    return (now_ms() - t0) / n;
}

int main(void) {
    setup_engine();
    struct model_run m;
    model_open(&m, "mobilenetv2.model", 0, 1);

    /* NPU load: idle for 150 ms, then busy back to back for ~300 ms. */
    setenv("NPU4J_EMULATOR_SPEED", "1", 1);
    axclrtDeviceProperties idle, busy;
    usleep(150 * 1000);
    OK(axclrtGetDeviceProperties(1, &idle));
    CHECK(idle.npuLoading == 0);
    double t0 = now_ms();
    while (now_ms() - t0 < 300) {
        OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io));
    }
    OK(axclrtGetDeviceProperties(1, &busy));
    printf("npu load %u (percent*100), temperature %d mC (idle %d)\n", busy.npuLoading, busy.temperature,
           idle.temperature);
    CHECK(busy.npuLoading >= 2000 && busy.npuLoading <= 10000);
    CHECK(busy.temperature > idle.temperature);

    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    double fast = average_execute_ms(&m, 20);

    setenv("NPU4J_EMULATOR_SPEED", "1", 1);
    double def = average_execute_ms(&m, 20);
    setenv("NPU4J_EMULATOR_AXCL_PROFILE", "tuned", 1);
    double tuned = average_execute_ms(&m, 20);
    unsetenv("NPU4J_EMULATOR_AXCL_PROFILE");
    setenv("NPU4J_EMULATOR_SPEED", "2.5", 1);
    double slow = average_execute_ms(&m, 10);
    setenv("NPU4J_EMULATOR_SPEED", "not-a-number", 1); /* warned about, treated as 1 */
    double bad = average_execute_ms(&m, 5);
    printf("mobilenetv2 execute: speed 0 %.3f ms, default %.3f ms, tuned %.3f ms, speed 2.5 %.3f ms, invalid %.3f ms\n",
           fast, def, tuned, slow, bad);
    CHECK(def >= 0.983 && tuned >= 0.657 && slow >= 2.45 && bad >= 0.983);
    CHECK(fast < def);

    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    model_close(&m);
    teardown_engine();
    puts("axcl_timing: ok");
    return 0;
}
