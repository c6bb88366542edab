package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

/**
 * RK3576 with its NPU, tuned as the vendor's fix-frequency script does (rknn-llm v1.3.0,
 * shared/facts/rknn.md "Frequency scripts"): NPU devfreq 27700000.npu at 1 GHz, DDR (dmc) at
 * 2112000000 Hz, deep cpuidle states off; and everything restored exactly.
 */
class Rk3576TuningTest {
    private static final String NPU = Boards.RK3576_NPU;
    private static final String DMC = Boards.DMC;

    @TempDir
    Path dir;

    private static HostTuning vendorScript(HostTree t) {
        return HostTuning.on(t.files()).withNpuMaxFrequency(true).withDdrFixedFrequency(true).withCpuIdleOff(true);
    }

    @Test
    void readsTheRk3576NpuAndDdrDevfreq() {
        HostState s = HostState.read(Boards.rk3576WithNpu(dir).files());
        RockchipNpu npu = s.rockchipNpu().orElseThrow();
        assertEquals(NPU, npu.devfreq().orElseThrow().directory());
        assertEquals("0.9.8", npu.driverVersion().orElseThrow());
        assertEquals(List.of(37, 5), npu.loadPercent());
        DdrDevfreq ddr = s.ddr().orElseThrow();
        assertEquals("dmc_ondemand", ddr.governor());
        assertEquals(2_112_000_000L, ddr.fixedTargetHz().orElseThrow());
    }

    @Test
    void planIsTheVendorScript() {
        TuningPlan plan = vendorScript(Boards.rk3576WithNpu(dir)).plan();
        Map<String, String> byFile = new HashMap<>();
        for (Change c : plan.changes()) {
            byFile.put(c.file(), c.newValue());
        }
        assertEquals("userspace", byFile.get(NPU + "/governor"));
        assertEquals("1000000000", byFile.get(NPU + "/userspace/set_freq"));
        assertEquals("userspace", byFile.get(DMC + "/governor"));
        assertEquals("2112000000", byFile.get(DMC + "/userspace/set_freq"));
        for (int cpu = 0; cpu < 8; cpu++) {
            assertEquals("1", byFile.get("/sys/devices/system/cpu/cpu" + cpu + "/cpuidle/state1/disable"), "cpu" + cpu);
        }
        assertEquals("performance", byFile.get("/sys/devices/system/cpu/cpufreq/policy4/scaling_governor"));
        Change ddr = plan.changes().stream().filter(c -> c.kind() == Change.Kind.DDR_FREQUENCY).findFirst().orElseThrow();
        assertTrue(ddr.reason().contains("2112000000"), ddr.reason());
    }

    @Test
    void withoutTheVendorFrequencyTheHighestIsFixed() {
        HostTree t = Boards.rk3576WithNpu(dir);
        t.file(DMC + "/available_frequencies", "528000000 1068000000 1560000000\n");
        TuningPlan plan = HostTuning.on(t.files()).withDdrFixedFrequency(true).plan();
        assertTrue(plan.changes().stream()
                .anyMatch(c -> c.kind() == Change.Kind.DDR_FREQUENCY && c.newValue().equals("1560000000")));
    }

    @Test
    void alreadyFixedDdrIsLeftAlone() {
        HostTree t = Boards.rk3576WithNpu(dir);
        t.file(DMC + "/governor", "userspace\n");
        t.file(DMC + "/userspace/set_freq", "2112000000\n");
        TuningPlan plan = HostTuning.on(t.files()).withPerformanceGovernor(false).withIrqAffinity(false)
                .withDdrFixedFrequency(true).plan();
        assertTrue(plan.isEmpty(), plan.render());
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("DDR already runs at its fixed 2112000000 Hz")));
    }

    @Test
    void applyThenCloseRestoresEveryFile() {
        HostTree t = Boards.rk3576WithNpu(dir);
        // The kernel creates userspace/set_freq when the userspace governor starts; a fixture tree is no
        // kernel, so the files are there from the start (holding the current frequency).
        t.file(NPU + "/userspace/set_freq", "300000000\n");
        t.file(DMC + "/userspace/set_freq", "528000000\n");
        Map<String, String> before = t.snapshot();
        try (TuningSession s = vendorScript(t).apply()) {
            assertTrue(s.applied());
            assertEquals("userspace\n", t.read(DMC + "/governor"));
            assertEquals("2112000000\n", t.read(DMC + "/userspace/set_freq"));
            assertEquals("1000000000\n", t.read(NPU + "/userspace/set_freq"));
        }
        assertEquals(before, t.snapshot());
    }

    @Test
    void ddrSetFreqRestoredWhenUserspaceWasAlreadySelected() {
        HostTree t = Boards.rk3576WithNpu(dir);
        t.file(DMC + "/governor", "userspace\n");
        t.file(DMC + "/userspace/set_freq", "528000000\n");
        Map<String, String> before = t.snapshot();
        try (TuningSession s = HostTuning.on(t.files()).withDdrFixedFrequency(true).apply()) {
            assertEquals("2112000000\n", t.read(DMC + "/userspace/set_freq"));
        }
        assertEquals(before, t.snapshot());
    }
}
