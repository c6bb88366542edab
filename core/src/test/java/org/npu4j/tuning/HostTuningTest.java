package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HostTuningTest {
    static final String P0 = "/sys/devices/system/cpu/cpufreq/policy0/scaling_governor";
    static final String P4 = "/sys/devices/system/cpu/cpufreq/policy4/scaling_governor";
    static final String P6 = "/sys/devices/system/cpu/cpufreq/policy6/scaling_governor";
    static final String IRQ = "/proc/irq/93/smp_affinity_list";

    @TempDir
    Path dir;

    private static List<String> files(TuningPlan plan) {
        return plan.changes().stream().map(Change::file).toList();
    }

    @Test
    void cm3588PlanMovesTheIrqToTheFirstA76AndSetsPerformanceOnTheA76Policies() {
        TuningPlan plan = HostTuning.on(Boards.cm3588(dir).files()).plan();
        assertEquals(List.of(IRQ, P4, P6), files(plan));
        Change irq = plan.changes().get(0);
        assertEquals(Change.Kind.IRQ_AFFINITY, irq.kind());
        assertEquals("0", irq.oldValue());
        assertEquals("4", irq.newValue());
        assertTrue(irq.reason().startsWith("Move IRQ 93 (axcl_host, Axera AX650N 0000:01:00.0) from CPU0 (Cortex-A55)"
                + " to CPU4 (Cortex-A76)"), irq.reason());
        assertTrue(irq.reason().contains("7 vs 12 tok/s"), irq.reason());
        Change gov = plan.changes().get(1);
        assertEquals("schedutil", gov.oldValue());
        assertEquals("performance", gov.newValue());
        assertTrue(gov.reason().contains("2352000 kHz"), gov.reason());
        assertTrue(plan.canApply());
        assertEquals(PciId.AX650N, plan.state().accelerators().get(0).id());
    }

    @Test
    void cm3588WithNpuMaxAndNoCpuIdlePlansTheNpuGovernorAndEveryDeepIdleState() {
        TuningPlan plan = HostTuning.on(Boards.cm3588(dir).files()).withNpuMaxFrequency(true).withCpuIdleOff(true).plan();
        List<Change> npu = plan.changes().stream().filter(c -> c.kind() == Change.Kind.NPU_GOVERNOR).toList();
        assertEquals(1, npu.size());
        assertEquals(Boards.NPU + "/governor", npu.get(0).file());
        assertEquals("rknpu_ondemand", npu.get(0).oldValue());
        assertEquals("performance", npu.get(0).newValue());
        assertTrue(npu.get(0).reason().contains("1000000000 Hz"), npu.get(0).reason());
        List<Change> idle = plan.changes().stream().filter(c -> c.kind() == Change.Kind.CPUIDLE).toList();
        assertEquals(16, idle.size()); // 8 CPUs x states 1 and 2; state0 (WFI) stays
        assertTrue(idle.stream().allMatch(c -> c.newValue().equals("1") && !c.file().contains("/state0/")));
    }

    @Test
    void npuWithoutThePerformanceGovernorIsFixedThroughUserspaceSetFreq() {
        HostTree t = Boards.cm3588(dir);
        t.file(Boards.NPU + "/available_governors", "rknpu_ondemand userspace powersave simple_ondemand\n");
        t.file(Boards.NPU + "/governor", "userspace\n");
        t.file(Boards.NPU + "/userspace/set_freq", "300000000\n");
        Map<String, String> before = t.snapshot();
        TuningPlan plan = HostTuning.on(t.files()).withIrqAffinity(false).withPerformanceGovernor(false)
                .withNpuMaxFrequency(true).plan();
        assertEquals(1, plan.changes().size());
        Change c = plan.changes().get(0);
        assertEquals(Boards.NPU + "/userspace/set_freq", c.file());
        assertEquals("300000000", c.oldValue());
        assertEquals("1000000000", c.newValue());
        try (TuningSession s = HostTuning.on(t.files()).withIrqAffinity(false).withPerformanceGovernor(false)
                .withNpuMaxFrequency(true).apply()) {
            assertTrue(s.applied());
            assertEquals("1000000000\n", t.read(Boards.NPU + "/userspace/set_freq"));
        }
        assertEquals(before, t.snapshot());
    }

    @Test
    void raspberryPi5KeepsItsIrqOnItsEqualCoresAndGetsThePerformanceGovernor() {
        TuningPlan plan = HostTuning.on(Boards.pi5(dir).files()).withNpuMaxFrequency(true).withCpuIdleOff(true).plan();
        assertEquals(List.of(P0), files(plan));
        assertEquals("ondemand", plan.changes().get(0).oldValue());
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("IRQ 160 (axcl_host)") && n.contains("equal cores")),
                plan.notes().toString());
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("No Rockchip NPU devfreq")));
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("No deep cpuidle states")));
    }

    @Test
    void rk3576WithoutACardOnlyGetsThePerformanceGovernorOnTheA72s() {
        TuningPlan plan = HostTuning.on(Boards.rk3576(dir).files()).plan();
        assertEquals(List.of(P4), files(plan));
        assertTrue(plan.notes().get(0).startsWith("No accelerator card"), plan.notes().toString());
    }

    @Test
    void x86VirtualMachineHasNothingToChange() {
        TuningPlan plan = HostTuning.on(Boards.x86(dir).files()).withNpuMaxFrequency(true).withCpuIdleOff(true).plan();
        assertTrue(plan.isEmpty());
        assertEquals(4, plan.notes().size(), plan.notes().toString());
        assertTrue(plan.render().startsWith("Nothing to change."));
        try (TuningSession s = HostTuning.on(Boards.x86(dir).files()).apply()) {
            assertTrue(s.changes().isEmpty());
        }
    }

    static Stream<Arguments> boards() {
        return Stream.of(Arguments.of("cm3588", (Function<Path, HostTree>) Boards::cm3588),
                Arguments.of("pi5", (Function<Path, HostTree>) Boards::pi5),
                Arguments.of("rk3576", (Function<Path, HostTree>) Boards::rk3576),
                Arguments.of("x86", (Function<Path, HostTree>) Boards::x86));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boards")
    void applyThenCloseLeavesEveryFileByteIdentical(String name, Function<Path, HostTree> board) {
        HostTree t = board.apply(dir);
        Map<String, String> before = t.snapshot();
        HostTuning tuning = HostTuning.on(t.files()).withNpuMaxFrequency(true).withCpuIdleOff(true);
        TuningPlan plan = tuning.plan();
        try (TuningSession s = tuning.apply()) {
            assertTrue(s.applied());
            assertEquals(plan.changes(), s.changes());
            for (Change c : plan.changes()) {
                assertEquals(c.newValue() + "\n", t.read(c.file()), c.file());
            }
            if (!plan.isEmpty()) {
                assertNotEquals(before, t.snapshot());
            }
        }
        assertEquals(before, t.snapshot());
    }

    @Test
    void closeIsIdempotentAndEndsTheSession() {
        HostTree t = Boards.cm3588(dir);
        TuningSession s = HostTuning.on(t.files()).apply();
        assertEquals(3, s.changes().size());
        assertEquals("performance\n", t.read(P6));
        s.close();
        assertEquals("schedutil\n", t.read(P6));
        assertTrue(s.changes().isEmpty());
        t.file(P6, "ondemand\n"); // someone else changes it afterwards
        s.close();
        assertEquals("ondemand\n", t.read(P6));
    }

    @Test
    void aWriteFailingMidwayRestoresWhatWasChangedAndNamesTheFile() {
        // The NPU devfreq offers only userspace; its set_freq file does not appear (as if the
        // kernel refused the governor): the 5th write fails after 4 succeeded.
        HostTree t = Boards.cm3588(dir);
        t.file(Boards.NPU + "/available_governors", "rknpu_ondemand userspace powersave simple_ondemand\n");
        Map<String, String> before = t.snapshot();
        HostTuning tuning = HostTuning.on(t.files()).withNpuMaxFrequency(true);
        assertEquals(List.of(IRQ, P4, P6, Boards.NPU + "/governor", Boards.NPU + "/userspace/set_freq"),
                files(tuning.plan()));
        assertNull(tuning.plan().changes().get(4).oldValue());
        TuningException e = assertThrows(TuningException.class, tuning::apply);
        assertEquals(Optional.of(Boards.NPU + "/userspace/set_freq"), e.file());
        assertTrue(e.getMessage().startsWith("Could not write " + Boards.NPU + "/userspace/set_freq"), e.getMessage());
        assertTrue(e.getMessage().contains("restored the 4 changes made before it"), e.getMessage());
        assertTrue(e.getCause() instanceof HostFileException);
        assertEquals(before, t.snapshot());
    }

    @Test
    void aTargetThatIsADirectoryFailsTheWriteAndEarlierChangesAreRestored() {
        HostTree t = Boards.cm3588(dir);
        TuningPlan plan = HostTuning.on(t.files()).plan();
        // Between planning and applying, policy6's governor file turns into a directory.
        t.delete(P6).dir(P6);
        Map<String, String> before = t.snapshot();
        TuningException e = assertThrows(TuningException.class, () -> TuningSession.apply(t.files(), plan));
        assertEquals(Optional.of(P6), e.file());
        assertTrue(e.getMessage().contains(P6) && e.getMessage().toLowerCase().contains("is a directory"), e.getMessage());
        assertTrue(e.getMessage().contains("restored the 2 changes"), e.getMessage());
        assertEquals(before, t.snapshot());
        assertEquals("0\n", t.read(IRQ));
        assertEquals("schedutil\n", t.read(P4));
    }

    @Test
    void withoutTheRightsToWriteNothingChangesAndThePlanSaysWhatWouldChange() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        HostFiles readOnly = t.files().withWriteCheck(f -> false);
        try (TuningSession s = HostTuning.on(readOnly).withNpuMaxFrequency(true).withCpuIdleOff(true).apply()) {
            assertFalse(s.applied());
            assertTrue(s.changes().isEmpty());
            TuningPlan plan = s.plan();
            assertEquals(3 + 1 + 16, plan.changes().size());
            assertEquals(files(plan), plan.notWritable());
            assertFalse(plan.canApply());
            String text = plan.render();
            assertTrue(text.contains(IRQ + ": 0 -> 4"), text);
            assertTrue(text.contains("Not allowed to write"), text);
        }
        assertEquals(before, t.snapshot());
    }

    @Test
    void oneUnwritableFileIsEnoughToChangeNothing() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        HostFiles files = t.files().withWriteCheck(f -> !f.equals(P6));
        TuningSession s = HostTuning.on(files).apply();
        assertFalse(s.applied());
        assertEquals(List.of(P6), s.plan().notWritable());
        assertEquals(before, t.snapshot());
    }

    @Test
    void strictModeThrowsInsteadOfADryRun() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        HostFiles readOnly = t.files().withWriteCheck(f -> false);
        TuningException e = assertThrows(TuningException.class, () -> HostTuning.on(readOnly).strict(true).apply());
        assertEquals(Optional.of(IRQ), e.file());
        assertTrue(e.getMessage().contains("Not allowed to write " + IRQ), e.getMessage());
        assertEquals(before, t.snapshot());
    }

    @Test
    void valuesAreValidatedBeforeAnythingIsWritten() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        TuningException missing = assertThrows(TuningException.class, () -> HostTuning.on(t.files()).withIrqCpu(9).apply());
        assertTrue(missing.getMessage().contains("IRQ CPU 9 does not exist"), missing.getMessage());
        t.file("/sys/devices/system/cpu/online", "0-5\n");
        Map<String, String> offlineBefore = t.snapshot();
        TuningException offline = assertThrows(TuningException.class, () -> HostTuning.on(t.files()).withIrqCpu(6).apply());
        assertTrue(offline.getMessage().contains("IRQ CPU 6 is offline"), offline.getMessage());
        assertEquals(offlineBefore, t.snapshot());
        t.file("/sys/devices/system/cpu/online", "0-7\n");
        assertEquals(before, t.snapshot());

        assertEquals("6", HostTuning.on(t.files()).withIrqCpu(6).plan().changes().get(0).newValue());
        // A governor the policy does not offer is not written.
        t.file("/sys/devices/system/cpu/cpufreq/policy4/scaling_available_governors", "ondemand schedutil\n");
        TuningPlan plan = HostTuning.on(t.files()).plan();
        assertEquals(List.of(IRQ, P6), files(plan));
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("policy4") && n.contains("does not offer")));
    }

    @Test
    void alreadyTunedHostsNeedNothing() {
        HostTree t = Boards.cm3588(dir);
        try (TuningSession s = HostTuning.on(t.files()).withNpuMaxFrequency(true).withCpuIdleOff(true).apply()) {
            TuningPlan again = HostTuning.on(t.files()).withNpuMaxFrequency(true).withCpuIdleOff(true).plan();
            assertTrue(again.isEmpty(), again.render());
            assertEquals(s.changes().size(), 20);
        }
    }
}
