package org.npu4j.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.TuningException;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

/** {@link LoadOptions#withTuning}: the host tuning lives as long as the model, on a fixture host tree. */
class TunedLoadTest {
    static final String PROFILE = "rk3588-qwen3-0.6b-w8a8";
    static final String IRQ = "/proc/irq/93/smp_affinity_list";
    static final String P4 = "/sys/devices/system/cpu/cpufreq/policy4/scaling_governor";
    static final String P6 = "/sys/devices/system/cpu/cpufreq/policy6/scaling_governor";

    @TempDir
    Path dir;

    private static Map<String, String> state(HostTree t) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (String f : new String[] {IRQ, P4, P6}) {
            m.put(f, java.nio.file.Files.readString(t.path(f)).strip());
        }
        return m;
    }

    @Test
    void theTuningIsAppliedWhileTheModelIsOpenAndRestoredOnClose() throws Exception {
        HostTree host = Boards.cm3588(dir);
        Map<String, String> before = state(host);
        assertEquals("schedutil", before.get(P4));
        LoadOptions o = LoadOptions.DEFAULTS.withTuning(HostTuning.on(host.files()));
        try (LanguageModel m = LanguageModel.openEmulator(PROFILE, o)) {
            assertEquals(Map.of(IRQ, "4", P4, "performance", P6, "performance"), state(host));
            m.generate(LlmRequest.prompt("hi"), TokenListener.NONE);
            assertEquals("performance", state(host).get(P6));
        }
        assertEquals(before, state(host));
    }

    @Test
    void withoutTheRightsToWriteNothingChanges() throws Exception {
        HostTree host = Boards.cm3588(dir);
        Map<String, String> before = state(host);
        LoadOptions o = LoadOptions.DEFAULTS.withTuning(HostTuning.on(host.files().withWriteCheck(f -> false)));
        try (LanguageModel m = LanguageModel.openEmulator(PROFILE, o)) {
            assertEquals(before, state(host));
        }
        assertEquals(before, state(host));
    }

    @Test
    void aModelThatFailsToLoadLeavesTheHostAsItWas() throws Exception {
        HostTree host = Boards.cm3588(dir);
        Map<String, String> before = state(host);
        Path bad = host.path("/not-a-model.rkllm");
        java.nio.file.Files.writeString(bad, "npu4j-emulator-model rkllm\n{ this is not json");
        LoadOptions o = LoadOptions.DEFAULTS.withEmulator(true).withTuning(HostTuning.on(host.files()));
        assertThrows(RuntimeException.class, () -> LanguageModel.open(bad, o).close());
        assertEquals(before, state(host));
    }

    @Test
    void aTuningThatCannotBeAppliedFailsTheLoadAndChangesNothing() throws Exception {
        HostTree host = Boards.cm3588(dir);
        Map<String, String> before = state(host);
        // The IRQ CPU does not exist: the plan fails validation before anything is written.
        LoadOptions o = LoadOptions.DEFAULTS.withTuning(HostTuning.on(host.files()).withIrqCpu(64));
        assertThrows(TuningException.class, () -> LanguageModel.openEmulator(PROFILE, o).close());
        assertEquals(before, state(host));
    }
}
