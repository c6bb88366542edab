package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

/** {@link AxclRuntime.Options#withTuning}: the host tuning lives as long as the handle, on a fixture host tree. */
class AxclTuningTest {
    static final String IRQ = "/proc/irq/93/smp_affinity_list";
    static final String P4 = "/sys/devices/system/cpu/cpufreq/policy4/scaling_governor";
    static final String P6 = "/sys/devices/system/cpu/cpufreq/policy6/scaling_governor";

    @TempDir
    Path dir;

    private static Map<String, String> state(HostTree t) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (String f : new String[] {IRQ, P4, P6}) {
            m.put(f, Files.readString(t.path(f)).strip());
        }
        return m;
    }

    @Test
    @SuppressWarnings("try") // the handle is held for its effect
    void theTuningIsAppliedWhileTheRuntimeIsHeldAndRestoredOnClose() throws Exception {
        HostTree host = Boards.cm3588(dir);
        Map<String, String> before = state(host);
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options().withTuning(HostTuning.on(host.files())))) {
            assertEquals(Map.of(IRQ, "4", P4, "performance", P6, "performance"), state(host));
        }
        assertEquals(before, state(host));
        assertEquals(0, AxclRuntime.openHandles());
    }

    @Test
    void aRuntimeThatFailsToStartLeavesTheHostAsItWas() throws Exception {
        HostTree host = Boards.cm3588(dir);
        Map<String, String> before = state(host);
        Path missing = dir.resolve("no-such-axcl.json");
        AxclRuntime.Options o = Emu.options().withConfig(missing).withTuning(HostTuning.on(host.files()));
        assertThrows(org.npu4j.NpuException.class, () -> AxclRuntime.acquire(o).close());
        assertEquals(before, state(host));
        assertEquals(0, AxclRuntime.openHandles());
    }
}
