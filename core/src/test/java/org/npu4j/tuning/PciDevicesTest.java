package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

class PciDevicesTest {
    @TempDir
    Path dir;

    @Test
    void findsTheAx650nOnTheCm3588WithItsGen2X1LinkAndMsiIrqOnCpu0() {
        List<PciDevice> found = PciDevices.accelerators(Boards.cm3588(dir).files());
        assertEquals(1, found.size());
        PciDevice ax = found.get(0);
        assertEquals("0000:01:00.0", ax.address());
        assertEquals(PciId.AX650N, ax.id());
        assertEquals("1f4b:0650", ax.id().hex());
        assertEquals(Optional.of(new PcieLink(5.0, 1)), ax.currentLink());
        assertEquals(Optional.of(new PcieLink(5.0, 2)), ax.maxLink());
        assertTrue(ax.linkDegraded());
        assertEquals(500_000_000L, ax.currentLink().orElseThrow().effectiveBytesPerSecond());
        assertEquals(1_000_000_000L, ax.maxLink().orElseThrow().effectiveBytesPerSecond());

        PcieCapability cap = ax.capability().orElseThrow();
        assertEquals(0x70, cap.offset());
        assertEquals(128, cap.maxPayloadSupported());
        assertEquals(128, cap.maxPayload());
        assertEquals(512, cap.maxReadRequest());
        assertTrue(cap.maxReadRequestOk());
        assertEquals(Optional.of(new PcieLink(5.0, 2)), cap.linkCapability());
        assertEquals(Optional.of(new PcieLink(5.0, 1)), cap.linkStatus());

        assertEquals(1, ax.irqs().size());
        IrqInfo irq = ax.irqs().get(0);
        assertEquals(93, irq.number());
        assertEquals("axcl_host", irq.name());
        assertEquals("ITS-MSI 524288 Edge axcl_host", irq.description());
        assertEquals(List.of(0), irq.affinity());
        assertEquals(Optional.of(List.of(0)), irq.effectiveAffinity());
        assertEquals(812_345L, irq.countsPerCpu().get(0));
        assertEquals(37L, irq.countsPerCpu().get(1));
        assertEquals(812_382L, irq.total());
        assertEquals(Optional.of(0), irq.busiestCpu());
        assertEquals("/proc/irq/93/smp_affinity_list", irq.affinityFile());
    }

    @Test
    void findsTheAx650nOnTheRaspberryPi5() {
        PciDevice ax = PciDevices.accelerators(Boards.pi5(dir).files()).get(0);
        assertEquals(List.of(0, 1, 2, 3), ax.irqs().get(0).affinity());
        assertEquals(List.of(0), ax.irqs().get(0).servingCpus());
        assertEquals("Gen2 x1 (5 GT/s)", ax.currentLink().orElseThrow().toString());
    }

    @Test
    void boardsWithoutACardHaveNone() {
        assertEquals(List.of(), PciDevices.accelerators(Boards.rk3576(dir.resolve("rk3576")).files()));
        assertEquals(List.of(), PciDevices.accelerators(Boards.x86(dir.resolve("x86")).files()));
        HostTree noPci = new HostTree(dir.resolve("nopci")).dir("/sys");
        assertEquals(List.of(), PciDevices.accelerators(noPci.files()));
    }

    @Test
    void otherIdsCanBeAdded() {
        PciId virtio = new PciId(0x1af4, 0x1041, "virtio-net");
        List<PciDevice> found = PciDevices.find(Boards.x86(dir).files(), List.of(PciId.AX650N, virtio));
        assertEquals(1, found.size());
        assertEquals(virtio, found.get(0).id());
        assertTrue(found.get(0).irqs().isEmpty());
    }

    @Test
    void legacyIrqIsUsedWithoutMsi() {
        HostTree t = Boards.cm3588(dir);
        t.delete(Boards.AX_DIR + "/msi_irqs/93");
        PciDevice ax = PciDevices.accelerators(t.files()).get(0);
        assertEquals(List.of(93), ax.irqs().stream().map(IrqInfo::number).toList());
        t.file(Boards.AX_DIR + "/irq", "0\n");
        assertTrue(PciDevices.accelerators(t.files()).get(0).irqs().isEmpty());
    }

    @Test
    void configSpaceOfSixtyFourBytesGivesNoCapabilityAndSaysWhy() {
        // What a process without root reads from the config file.
        HostTree t = Boards.cm3588(dir);
        t.bytes(Boards.AX_DIR + "/config", Arrays.copyOf(Boards.ax650nConfig(1), 64));
        PciDevice ax = PciDevices.accelerators(t.files()).get(0);
        assertTrue(ax.capability().isEmpty());
        assertTrue(ax.capabilityProblem().orElseThrow().contains("needs root"), ax.capabilityProblem().orElseThrow());
    }

    @Test
    void decodesOtherPayloadAndReadRequestSizes() {
        byte[] c = Boards.config(0x1f4b, 0x0650, 1, 1, 5, 3, 4, 3, 4);
        PcieCapability cap = ((PcieCapability.Found) PcieCapability.decode(c)).capability();
        assertEquals(256, cap.maxPayloadSupported());
        assertEquals(256, cap.maxPayload());
        assertEquals(4096, cap.maxReadRequest());
        assertFalse(cap.maxReadRequestOk());
        assertEquals(new PcieLink(8, 4), cap.linkStatus().orElseThrow());
    }

    @Test
    void malformedCapabilityListsAreRejected() {
        byte[] loop = Boards.ax650nConfig(1);
        loop[0x41] = 0x40; // the PM capability points to itself
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PcieCapability.decode(loop));
        assertTrue(e.getMessage().contains("loop"), e.getMessage());
        byte[] header = Boards.ax650nConfig(1);
        header[0x34] = 0x10;
        assertThrows(IllegalArgumentException.class, () -> PcieCapability.decode(header));
        byte[] none = Boards.ax650nConfig(1);
        none[0x06] = 0;
        assertTrue(PcieCapability.decode(none) instanceof PcieCapability.Unreadable);
    }

    @Test
    void unknownLinkSpeedMeansNoLink() {
        HostTree t = Boards.cm3588(dir);
        t.file(Boards.AX_DIR + "/current_link_speed", "Unknown\n");
        assertEquals(Optional.empty(), PciDevices.accelerators(t.files()).get(0).currentLink());
        t.file(Boards.AX_DIR + "/current_link_speed", "5 GT/s\n");
        assertEquals(Optional.of(new PcieLink(5, 1)), PciDevices.accelerators(t.files()).get(0).currentLink());
    }

    @Test
    void interruptCountsFollowTheHeaderCpus() {
        HostTree t = Boards.cm3588(dir);
        // CPU2 offline: /proc/interrupts has no column for it.
        t.file("/proc/interrupts", "           CPU0       CPU1       CPU3\n"
                + " 93:         10          0         90   ITS-MSI 524288 Edge      axcl_host\n"
                + "IPI0:         1          2          3  Rescheduling interrupts\n");
        InterruptCounts ic = InterruptCounts.read(t.files());
        assertEquals(List.of(0, 1, 3), ic.cpus());
        assertEquals(Map.of(0, 10L, 1, 0L, 3, 90L), ic.counts(93));
        assertEquals(Optional.of(3), PciDevices.accelerators(t.files()).get(0).irqs().get(0).busiestCpu());
        assertEquals(Map.of(), ic.counts(12345));
    }

    @Test
    void bandwidthUsesTheLineEncodingOfEachGeneration() {
        assertEquals(250_000_000L, new PcieLink(2.5, 1).effectiveBytesPerSecond());
        assertEquals(500_000_000L, new PcieLink(5, 1).effectiveBytesPerSecond());
        assertEquals(984_615_385L, new PcieLink(8, 1).effectiveBytesPerSecond());
        assertEquals(7_876_923_077L, new PcieLink(16, 4).effectiveBytesPerSecond());
        assertEquals(2, new PcieLink(5, 2).generation());
        assertEquals(4, new PcieLink(16, 4).generation());
        assertThrows(IllegalArgumentException.class, () -> new PcieLink(0, 1));
    }
}
