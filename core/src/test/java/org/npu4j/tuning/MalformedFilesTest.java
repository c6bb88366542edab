package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file npu4j needs, empty, garbage or missing: the error names the file and what was expected. */
class MalformedFilesTest {
    @TempDir
    Path dir;

    enum Damage { EMPTY, GARBAGE, MISSING }

    static Stream<Arguments> files() {
        String ax = Boards.AX_DIR;
        String p4 = "/sys/devices/system/cpu/cpufreq/policy4";
        Object[][] cases = {
            // file, expected-text, damages that must fail (missing optional files are fine)
            {"/proc/cpuinfo", "processor", Damage.values()},
            {"/sys/devices/system/cpu/online", "CPU list", Damage.values()},
            {"/sys/devices/system/cpu/cpu4/cpu_capacity", "CPU capacity", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {p4 + "/related_cpus", "CPU list", Damage.values()},
            {p4 + "/scaling_governor", "governor", Damage.values()},
            {p4 + "/cpuinfo_max_freq", "kHz", Damage.values()},
            {p4 + "/scaling_available_governors", "governor names", new Damage[] {Damage.EMPTY}},
            {p4 + "/scaling_available_frequencies", "kHz", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {"/sys/devices/system/cpu/cpu4/cpuidle/state1/disable", "0 or 1", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {ax + "/vendor", "vendor id", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {ax + "/current_link_speed", "GT/s", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {ax + "/max_link_width", "link width", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {ax + "/config", "64-byte", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {ax + "/irq", "IRQ number", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {"/proc/interrupts", "CPU0", Damage.values()},
            {"/proc/irq/93/smp_affinity_list", "CPU list", Damage.values()},
            {"/sys/kernel/debug/rknpu/version", "driver version", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {"/sys/kernel/debug/rknpu/load", "NPU load", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
            {Boards.NPU + "/governor", "governor", Damage.values()},
            {Boards.NPU + "/available_frequencies", "Hz", new Damage[] {Damage.EMPTY, Damage.GARBAGE}},
        };
        return Stream.of(cases).flatMap(c -> Stream.of((Damage[]) c[2]).map(d -> Arguments.of(c[0], c[1], d)));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("files")
    void errorNamesTheFileAndWhatWasExpected(String file, String expected, Damage damage) {
        HostTree t = Boards.cm3588(dir);
        if (file.equals(Boards.AX_DIR + "/irq")) {
            t.delete(Boards.AX_DIR + "/msi_irqs/93"); // the legacy irq file is read only without MSI
        }
        switch (damage) {
            case EMPTY -> t.file(file, "");
            case GARBAGE -> t.file(file, "garbage\n");
            case MISSING -> t.delete(file);
        }
        HostFileException e = assertThrows(HostFileException.class,
                () -> HostTuning.on(t.files()).withNpuMaxFrequency(true).withCpuIdleOff(true).plan());
        assertEquals(file, e.file());
        assertEquals(t.path(file).toString(), e.resolvedFile());
        assertTrue(e.getMessage().startsWith(t.path(file) + ": "), e.getMessage());
        String m = e.getMessage();
        switch (damage) {
            case MISSING -> assertTrue(m.contains("no such file"), m);
            case EMPTY -> assertTrue(m.contains(expected) && (m.contains("empty") || m.contains("0 bytes")), m);
            case GARBAGE -> assertTrue(m.contains(expected) && (m.contains("garbage") || m.contains("bytes")), m);
        }
    }
}
