package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

class RockchipNpuTest {
    @TempDir
    Path dir;

    @Test
    void readsDriverVersionLoadAndDevfreqOfTheRk3588() {
        RockchipNpu npu = RockchipNpu.read(Boards.cm3588(dir).files()).orElseThrow();
        assertEquals(Optional.of("0.9.8"), npu.driverVersion());
        assertEquals(Optional.of("/sys/kernel/debug/rknpu/version"), npu.versionFile());
        assertEquals(Optional.of(true), npu.driverSupportsRkllm());
        assertEquals(List.of(0, 0, 0), npu.loadPercent());
        NpuDevfreq df = npu.devfreq().orElseThrow();
        assertEquals("/sys/class/devfreq/fdab0000.npu", df.directory());
        assertEquals("rknpu_ondemand", df.governor());
        assertEquals(Optional.of(1_000_000_000L), df.maxFreqHz());
        assertEquals(Optional.of(300_000_000L), df.curFreqHz());
        assertFalse(df.atMaximum());
    }

    @Test
    void moduleVersionAndOldDrivers() {
        HostTree t = Boards.cm3588(dir);
        t.delete("/sys/kernel/debug/rknpu/version");
        t.file("/sys/module/rknpu/version", "0.9.6\n");
        t.file("/sys/kernel/debug/rknpu/load", "NPU load:  Core0: 35%, Core1: 12%, Core2:  0%,\n");
        RockchipNpu npu = RockchipNpu.read(t.files()).orElseThrow();
        assertEquals(Optional.of("0.9.6"), npu.driverVersion());
        assertEquals(Optional.of(false), npu.driverSupportsRkllm());
        assertEquals(List.of(35, 12, 0), npu.loadPercent());
        assertTrue(RockchipNpu.compareVersions("0.9.10", "0.9.8") > 0);
    }

    @Test
    void absentWithoutAnyOfItsFiles() {
        assertEquals(Optional.empty(), RockchipNpu.read(Boards.x86(dir).files()));
    }
}
