package org.npu4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

class DiagnoseCommandTest {
    @TempDir
    Path dir;

    @Test
    void cm3588TextNamesTheBoardTheCoresTheCardAndWhatToChangeAndWhy() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run("diagnose", "--root", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        String out = r.out();
        assertTrue(out.startsWith("Board: FriendlyElec CM3588NAS"), out);
        assertTrue(out.contains("big cores CPU4-7 (mask 0xf0)"), out);
        assertTrue(out.matches("(?s).*policy0 +CPU0-3 +Cortex-A55 +capacity 414  schedutil at 1416000 kHz"
                + " \\(408000-1800000 kHz\\)\n.*"), out);
        assertTrue(out.matches("(?s).*policy6 +CPU6-7 +Cortex-A76 +capacity 1024  schedutil at 1800000 kHz"
                + " \\(408000-2400000 kHz\\)  \\[big\\]\n.*"), out);
        assertTrue(out.contains("Axera AX650N (1f4b:0650) at 0000:01:00.0"), out);
        assertTrue(out.contains("link: Gen2 x1 (5 GT/s), 500 MB/s; capable of Gen2 x2 (5 GT/s), 1000 MB/s  [below capability]"), out);
        assertTrue(out.contains("MaxPayload 128 B (supported 128 B), MaxReadReq 512 B (as required)"), out);
        assertTrue(out.contains("IRQ 93 (axcl_host): affinity CPU0, effective CPU0; served mostly by CPU0 (Cortex-A55):"
                + " 812345 of 812382  [not on a big core]"), out);
        assertTrue(out.contains("Rockchip NPU: driver 0.9.8 (/sys/kernel/debug/rknpu/version), RKLLM-capable"), out);
        assertTrue(out.contains("load: Core0 0, Core1 0, Core2 0 %"), out);
        assertTrue(out.contains("devfreq /sys/class/devfreq/fdab0000.npu: rknpu_ondemand at 300000000 Hz (max 1000000000 Hz)"), out);
        assertTrue(out.contains("  - Move IRQ 93 (axcl_host, Axera AX650N 0000:01:00.0) from CPU0 (Cortex-A55) to CPU4"
                + " (Cortex-A76): on a CM3588 the same model decodes at 7 vs 12 tok/s depending on where this IRQ lands."), out);
        assertTrue(out.contains("Run policy4 (CPU4-5, Cortex-A76) at its maximum 2352000 kHz instead of schedutil"), out);
        assertTrue(out.contains("Hold the NPU at its maximum 1000000000 Hz"), out);
        assertTrue(out.contains("links at Gen2 x1 (5 GT/s) (500 MB/s) though it supports Gen2 x2"), out);
        assertTrue(out.contains("Install the AXCL runtime (libaxcl_rt.so is not on the library path)"), out);
        assertFalse(out.contains("MaxReadReq of the"), out);
        assertEquals(before, t.snapshot(), "diagnose changes nothing");
    }

    @Test
    void cm3588JsonIsForMachines() throws Exception {
        Boards.cm3588(dir);
        Cli r = Cli.run("diagnose", "--json", "--root", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("FriendlyElec CM3588NAS", j.get("board").asText());
        assertEquals("0xf0", j.at("/cpus/bigCoreMask").asText());
        assertEquals(8, j.at("/cpus/cpus").size());
        assertEquals("Cortex-A76", j.at("/cpus/cpus/4/type").asText());
        assertEquals("schedutil", j.at("/cpus/clusters/1/governor").asText());
        assertEquals(2352000, j.at("/cpus/clusters/1/maxKHz").asLong());
        JsonNode ax = j.at("/accelerators/0");
        assertEquals("0000:01:00.0", ax.get("address").asText());
        assertEquals("1f4b:0650", ax.get("pciId").asText());
        assertEquals(500_000_000L, ax.at("/link/bytesPerSecond").asLong());
        assertEquals(2, ax.at("/maxLink/width").asInt());
        assertTrue(ax.get("linkDegraded").asBoolean());
        assertEquals(128, ax.get("maxPayload").asInt());
        assertEquals(512, ax.get("maxReadRequest").asInt());
        assertEquals(93, ax.at("/irqs/0/irq").asInt());
        assertEquals(0, ax.at("/irqs/0/busiestCpu").asInt());
        assertEquals(812345, ax.at("/irqs/0/countsPerCpu/0").asLong());
        assertFalse(ax.at("/irqs/0/onBigCores").asBoolean());
        assertEquals("0.9.8", j.at("/rockchipNpu/driverVersion").asText());
        assertEquals(1_000_000_000L, j.at("/rockchipNpu/devfreq/maxFreqHz").asLong());
        assertEquals(3, j.get("libraries").size());
        assertTrue(j.get("recommendations").get(0).asText().startsWith("Move IRQ 93"));
    }

    @Test
    void raspberryPi5HasEqualCoresAndOnlyTheGovernorToChange() throws Exception {
        Boards.pi5(dir);
        JsonNode j = new ObjectMapper().readTree(Cli.run("diagnose", "--json", "--root", dir.toString()).out());
        assertEquals("Raspberry Pi 5 Model B Rev 1.0", j.get("board").asText());
        assertTrue(j.at("/cpus/allCoresEqual").asBoolean());
        assertEquals("0xf", j.at("/cpus/bigCoreMask").asText());
        assertTrue(j.at("/accelerators/0/irqs/0/onBigCores").asBoolean());
        assertTrue(j.get("recommendations").get(0).asText().startsWith("Run policy0 (CPU0-3, Cortex-A76) at its maximum"
                + " 2400000 kHz instead of ondemand"), j.get("recommendations").toString());
        assertTrue(j.get("rockchipNpu") == null);
    }

    @Test
    void rk3576WithItsNpuShowsLoadDriverDdrAndTheRknnRuntime() throws Exception {
        HostTree t = Boards.rk3576WithNpu(dir.resolve("rk3576npu"));
        byte[] so = new byte[5000];
        byte[] marker = "librknnrt version: 2.3.2 (429f97ae6b@2025-04-09T09:09:27)".getBytes();
        System.arraycopy(marker, 0, so, 1234, marker.length);
        t.bytes("/usr/lib/librknnrt.so", so);
        String out = Cli.run("diagnose", "--root", dir.resolve("rk3576npu").toString()).out();
        assertTrue(out.contains("Rockchip NPU: driver 0.9.8"), out);
        assertTrue(out.contains("load: Core0 37, Core1 5 %"), out);
        assertTrue(out.contains("devfreq /sys/class/devfreq/27700000.npu: rknpu_ondemand at 300000000 Hz"), out);
        assertTrue(out.contains("DDR devfreq /sys/class/devfreq/dmc: dmc_ondemand at 528000000 Hz (vendor fixed"
                + " 2112000000 Hz)"), out);
        assertTrue(out.contains("--ddr-fixed"), out);
        assertTrue(out.contains("RKNN runtime (librknnrt.so): /usr/lib/librknnrt.so [OS search path], version 2.3.2"
                + " (429f97ae6b@2025-04-09T09:09:27)"), out);
        JsonNode j = new ObjectMapper().readTree(
                Cli.run("diagnose", "--json", "--root", dir.resolve("rk3576npu").toString()).out());
        assertEquals(2112000000L, j.at("/rockchipNpu/ddr/fixedTargetHz").asLong());
        assertEquals(37, j.at("/rockchipNpu/loadPercent/0").asInt());
    }

    @Test
    void rk3576WithoutACardAndX86WithNothing() {
        Boards.rk3576(dir.resolve("rk3576"));
        String rk = Cli.run("diagnose", "--root", dir.resolve("rk3576").toString()).out();
        assertTrue(rk.contains("big cores CPU4-7 (mask 0xf0)"), rk);
        assertTrue(rk.contains("Cortex-A72"), rk);
        assertTrue(rk.contains("Accelerators on PCIe: none found"), rk);
        assertFalse(rk.contains("(1f4b:0650) at"), rk);
        assertTrue(rk.contains("No accelerator card (Axera AX650N (1f4b:0650)) found on PCIe"), rk);

        Boards.x86(dir.resolve("x86"));
        String x86 = Cli.run("diagnose", "--root", dir.resolve("x86").toString()).out();
        assertTrue(x86.startsWith("Board: Standard PC (Q35 + ICH9, 2009)"), x86);
        assertTrue(x86.contains("big cores CPU0-1 (mask 0x3), all cores equal"), x86);
        assertTrue(x86.contains("Recommendations: none"), x86);
        assertTrue(x86.contains("No cpufreq policies"), x86);
    }

    @Test
    void badMaxReadReqAndOldDriverAreRecommendedAgainst() throws Exception {
        HostTree t = Boards.cm3588(dir);
        t.bytes(Boards.AX_DIR + "/config", Boards.config(0x1f4b, 0x0650, 0, 0, 5, 2, 2, 2, 1));
        t.file("/sys/kernel/debug/rknpu/version", "RKNPU driver: v0.9.6\n");
        String out = Cli.run("diagnose", "--root", dir.toString()).out();
        assertTrue(out.contains("MaxReadReq 4096 B  [must be 512 B]"), out);
        assertTrue(out.contains("Set MaxReadReq of the Axera AX650N at 0000:01:00.0 back to 512 B (it is 4096 B): 128 and"
                + " 256 B crash the AXCL driver and 4096 B is 30% slower"), out);
        assertTrue(out.contains("Update the RKNPU driver (it is 0.9.6): the RKLLM runtime needs 0.9.8 or later."), out);
    }

    @Test
    void runtimeLibrariesAreFoundOnTheSearchPathWithTheirVersion() throws Exception {
        HostTree t = Boards.cm3588(dir);
        t.file("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
        t.file("/etc/ld.so.conf.d/axcl.conf", "# AXCL\n/usr/lib/axcl\n");
        t.file("/usr/lib/axcl/libaxcl_rt.so.3.10.2", "not really an ELF file\n");
        Files.createSymbolicLink(t.path("/usr/lib/axcl/libaxcl_rt.so"), Path.of("libaxcl_rt.so.3.10.2"));
        t.file("/usr/lib/librkllmrt.so", "not really an ELF file\n");
        JsonNode j = new ObjectMapper().readTree(Cli.run("diagnose", "--json", "--root", dir.toString()).out());
        JsonNode rk = j.at("/libraries/0");
        assertEquals("librkllmrt.so", rk.get("fileName").asText());
        assertEquals("/usr/lib/librkllmrt.so", rk.get("path").asText());
        assertTrue(rk.get("version") == null);
        JsonNode ax = j.at("/libraries/1");
        assertEquals("/usr/lib/axcl/libaxcl_rt.so", ax.get("path").asText());
        assertEquals("3.10.2", ax.get("version").asText());
        assertEquals("OS search path", ax.get("foundBy").asText());
        for (JsonNode r : j.get("recommendations")) {
            assertFalse(r.asText().startsWith("Install"), r.asText());
        }
    }

    @Test
    void malformedFilesFailWithTheFileNamed() {
        HostTree t = Boards.cm3588(dir);
        t.file("/proc/interrupts", "garbage\n");
        Cli r = Cli.run("diagnose", "--root", dir.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("npu4j: " + t.path("/proc/interrupts") + ": expected a header line"), r.err());
    }

    @Test
    void diagnosesThisMachine() {
        Cli r = Cli.run("diagnose");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Board: "), r.out());
        assertTrue(r.out().contains("Runtime libraries"), r.out());
    }
}
