package org.npu4j.tuning;

import java.nio.file.Path;
import java.util.List;

/**
 * Fixture trees of the boards in shared/facts/boards.md, written file by file: CM3588 NAS (RK3588)
 * with an AX650N, Raspberry Pi 5 with an AX650N, an RK3576 board without a card, an x86 machine.
 */
final class Boards {
    static final String AX_BDF = "0000:01:00.0";
    static final String AX_DIR = "/sys/bus/pci/devices/" + AX_BDF;
    static final int AX_IRQ = 93;
    static final String NPU = "/sys/class/devfreq/fdab0000.npu";

    private Boards() {}

    /** A cpufreq policy; frequencies in kHz. */
    record Policy(int id, List<Integer> cpus, String governor, long min, long max, long cur, List<Long> freqs) {}

    static void cpus(HostTree t, int count, String online) {
        t.file("/sys/devices/system/cpu/online", online + "\n");
        t.file("/sys/devices/system/cpu/possible", "0-" + (count - 1) + "\n");
        t.file("/sys/devices/system/cpu/present", "0-" + (count - 1) + "\n");
        for (int c = 0; c < count; c++) {
            t.dir("/sys/devices/system/cpu/cpu" + c);
        }
    }

    static void capacity(HostTree t, int cpu, int capacity) {
        t.file("/sys/devices/system/cpu/cpu" + cpu + "/cpu_capacity", capacity + "\n");
    }

    static void idle(HostTree t, int cpu, String... names) {
        for (int k = 0; k < names.length; k++) {
            String d = "/sys/devices/system/cpu/cpu" + cpu + "/cpuidle/state" + k;
            t.file(d + "/name", names[k] + "\n");
            t.file(d + "/disable", "0\n");
        }
    }

    static void policy(HostTree t, Policy p, String governors) {
        String d = "/sys/devices/system/cpu/cpufreq/policy" + p.id();
        String cpus = String.join(" ", p.cpus().stream().map(String::valueOf).toList());
        t.file(d + "/related_cpus", cpus + "\n");
        t.file(d + "/affected_cpus", cpus + "\n");
        t.file(d + "/scaling_governor", p.governor() + "\n");
        t.file(d + "/scaling_available_governors", governors + "\n");
        t.file(d + "/cpuinfo_min_freq", p.min() + "\n");
        t.file(d + "/cpuinfo_max_freq", p.max() + "\n");
        t.file(d + "/scaling_min_freq", p.min() + "\n");
        t.file(d + "/scaling_max_freq", p.max() + "\n");
        t.file(d + "/scaling_cur_freq", p.cur() + "\n");
        t.file(d + "/scaling_available_frequencies",
                String.join(" ", p.freqs().stream().map(String::valueOf).toList()) + " \n");
    }

    /** arm64 /proc/cpuinfo: one block per CPU with implementer 0x41 and the part number. */
    static String armCpuinfo(int[] parts) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < parts.length; c++) {
            sb.append("processor\t: ").append(c).append('\n')
                    .append("BogoMIPS\t: 48.00\n")
                    .append("Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\n")
                    .append("CPU implementer\t: 0x41\n")
                    .append("CPU architecture: 8\n")
                    .append("CPU variant\t: ").append(parts[c] == 0xd0b ? "0x4" : "0x2").append('\n')
                    .append(String.format("CPU part\t: 0x%03x%n", parts[c]))
                    .append("CPU revision\t: ").append(parts[c] == 0xd0b ? "0" : "0").append("\n\n");
        }
        return sb.toString();
    }

    /** /proc/interrupts: header for `cpus` CPUs, a timer, the given device lines, IPIs. */
    static String interrupts(int cpus, String... lines) {
        StringBuilder sb = new StringBuilder("    ");
        for (int c = 0; c < cpus; c++) {
            sb.append(String.format("       CPU%d", c));
        }
        sb.append('\n');
        sb.append(row(11, cpus, 2_000_000L, "GICv3  26 Level     arch_timer"));
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        sb.append(String.format("%4s:", "IPI0"));
        for (int c = 0; c < cpus; c++) {
            sb.append(String.format(" %10d", 1000 + c));
        }
        sb.append("       Rescheduling interrupts\n");
        sb.append("Err:          0\n");
        return sb.toString();
    }

    static String row(int irq, int cpus, long eachCount, String description) {
        StringBuilder sb = new StringBuilder(String.format("%4d:", irq));
        for (int c = 0; c < cpus; c++) {
            sb.append(String.format(" %10d", eachCount));
        }
        return sb.append("   ").append(description).append('\n').toString();
    }

    static String row(int irq, long[] counts, String description) {
        StringBuilder sb = new StringBuilder(String.format("%4d:", irq));
        for (long n : counts) {
            sb.append(String.format(" %10d", n));
        }
        return sb.append("   ").append(description).toString();
    }

    /**
     * A type 0 config space of 256 bytes with PM (0x40) → MSI (0x50) → PCIe (0x70) capabilities.
     * Codes: payload/read request {@code 128 << code}; speed 1 = 2.5 GT/s, 2 = 5 GT/s.
     */
    static byte[] config(int vendor, int device, int mpsSupported, int mps, int mrrs, int capSpeed, int capWidth,
            int staSpeed, int staWidth) {
        byte[] c = new byte[256];
        le16(c, 0x00, vendor);
        le16(c, 0x02, device);
        le16(c, 0x04, 0x0006);              // command: memory space, bus master
        le16(c, 0x06, 0x0010);              // status: capability list
        c[0x08] = 0x01;                     // revision
        c[0x0b] = 0x12;                     // class: processing accelerator
        c[0x34] = 0x40;                     // capability pointer
        c[0x40] = 0x01; c[0x41] = 0x50; le16(c, 0x42, 0x0003);          // power management
        c[0x50] = 0x05; c[0x51] = 0x70; le16(c, 0x52, 0x0081);          // MSI, 64-bit, enabled
        c[0x70] = 0x10; c[0x71] = 0x00; le16(c, 0x72, 0x0002);          // PCIe v2, endpoint
        le32(c, 0x74, 0x00008000 | mpsSupported);                      // Device Capabilities
        le16(c, 0x78, mrrs << 12 | mps << 5 | 0x0010);                 // Device Control (+ relaxed ordering)
        le32(c, 0x7c, capSpeed | capWidth << 4 | 0x00000c00);          // Link Capabilities (+ ASPM L0s/L1)
        le16(c, 0x82, staSpeed | staWidth << 4 | 0x1000);              // Link Status (+ slot clock)
        return c;
    }

    /** The AX650N: MaxPayload 128 B (its maximum), MaxReadReq 512 B, Gen2 x2 capable, linked at Gen2 x`width`. */
    static byte[] ax650nConfig(int width) {
        return config(0x1f4b, 0x0650, 0, 0, 2, 2, 2, 2, width);
    }

    static void le16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
    }

    static void le32(byte[] b, int off, int v) {
        le16(b, off, v & 0xffff);
        le16(b, off + 2, v >>> 16);
    }

    static void pciDevice(HostTree t, String bdf, int vendor, int device) {
        String d = "/sys/bus/pci/devices/" + bdf;
        t.file(d + "/vendor", String.format("0x%04x%n", vendor));
        t.file(d + "/device", String.format("0x%04x%n", device));
        t.file(d + "/class", "0x060400\n");
    }

    /** The AX650N at `bdf`: Gen2 x`width` negotiated of Gen2 x2, one MSI vector `irq` on CPUs `affinity`. */
    static void ax650n(HostTree t, String bdf, int width, int irq, String affinity, String effective) {
        String d = "/sys/bus/pci/devices/" + bdf;
        t.file(d + "/vendor", "0x1f4b\n");
        t.file(d + "/device", "0x0650\n");
        t.file(d + "/class", "0x128000\n");
        t.file(d + "/current_link_speed", "5.0 GT/s PCIe\n");
        t.file(d + "/current_link_width", width + "\n");
        t.file(d + "/max_link_speed", "5.0 GT/s PCIe\n");
        t.file(d + "/max_link_width", "2\n");
        t.bytes(d + "/config", ax650nConfig(width));
        t.file(d + "/irq", irq + "\n");
        t.file(d + "/msi_irqs/" + irq, "msi\n");
        t.file("/proc/irq/" + irq + "/smp_affinity_list", affinity + "\n");
        t.file("/proc/irq/" + irq + "/smp_affinity", String.format("%02x%n", CpuList.toMask(CpuList.parse(affinity))));
        t.file("/proc/irq/" + irq + "/effective_affinity_list", effective + "\n");
    }

    /**
     * FriendlyElec CM3588 NAS: RK3588 (CPU0-3 Cortex-A55 1.8 GHz policy0, CPU4-5 A76 2.352 GHz
     * policy4, CPU6-7 A76 2.4 GHz policy6; cpu_capacity 414/1024), AX650N at 0000:01:00.0 on a
     * Gen2 x1 link (capable of x2), its MSI IRQ 93 on CPU0 and served almost only there; the NPU
     * devfreq fdab0000.npu and the rknpu driver 0.9.8.
     */
    static HostTree cm3588(Path root) {
        HostTree t = new HostTree(root);
        cpus(t, 8, "0-7");
        for (int c = 0; c < 8; c++) {
            capacity(t, c, c < 4 ? 414 : 1024);
            idle(t, c, "WFI", "cpu-sleep", "cluster-sleep");
        }
        String governors = "conservative ondemand userspace powersave performance schedutil";
        policy(t, new Policy(0, List.of(0, 1, 2, 3), "schedutil", 408000, 1800000, 1416000,
                List.of(408000L, 600000L, 816000L, 1008000L, 1200000L, 1416000L, 1608000L, 1800000L)), governors);
        policy(t, new Policy(4, List.of(4, 5), "schedutil", 408000, 2352000, 1800000,
                List.of(408000L, 600000L, 816000L, 1008000L, 1200000L, 1416000L, 1608000L, 1800000L, 2016000L, 2208000L,
                        2352000L)), governors);
        policy(t, new Policy(6, List.of(6, 7), "schedutil", 408000, 2400000, 1800000,
                List.of(408000L, 600000L, 816000L, 1008000L, 1200000L, 1416000L, 1608000L, 1800000L, 2016000L, 2208000L,
                        2400000L)), governors);
        t.file("/proc/cpuinfo", armCpuinfo(new int[] {0xd05, 0xd05, 0xd05, 0xd05, 0xd0b, 0xd0b, 0xd0b, 0xd0b}));
        t.file("/proc/device-tree/model", "FriendlyElec CM3588NAS\0");
        pciDevice(t, "0000:00:00.0", 0x1d87, 0x3588);
        ax650n(t, AX_BDF, 1, AX_IRQ, "0", "0");
        t.file("/proc/interrupts", interrupts(8,
                row(AX_IRQ, new long[] {812_345, 37, 0, 0, 0, 0, 0, 0}, "ITS-MSI 524288 Edge      axcl_host"),
                row(94, new long[] {0, 0, 0, 0, 15, 0, 0, 0}, "ITS-MSI 1048576 Edge      eth0")));
        t.file(NPU + "/governor", "rknpu_ondemand\n");
        t.file(NPU + "/available_governors", "rknpu_ondemand userspace powersave performance simple_ondemand\n");
        t.file(NPU + "/available_frequencies",
                "300000000 400000000 500000000 600000000 700000000 800000000 900000000 1000000000\n");
        t.file(NPU + "/cur_freq", "300000000\n");
        t.file("/sys/kernel/debug/rknpu/version", "RKNPU driver: v0.9.8\n");
        t.file("/sys/kernel/debug/rknpu/load", "NPU load:  Core0:  0%, Core1:  0%, Core2:  0%,\n");
        return t;
    }

    /** Raspberry Pi 5: 4x Cortex-A76 2.4 GHz, all equal; an AX650N on the Gen2 x1 connector, IRQ on CPU0-3. */
    static HostTree pi5(Path root) {
        HostTree t = new HostTree(root);
        cpus(t, 4, "0-3");
        for (int c = 0; c < 4; c++) {
            capacity(t, c, 1024);
            idle(t, c, "WFI");
        }
        policy(t, new Policy(0, List.of(0, 1, 2, 3), "ondemand", 1500000, 2400000, 1500000,
                List.of(1500000L, 1600000L, 1700000L, 1800000L, 1900000L, 2000000L, 2100000L, 2200000L, 2300000L,
                        2400000L)),
                "conservative ondemand userspace powersave performance schedutil");
        String cpuinfo = armCpuinfo(new int[] {0xd0b, 0xd0b, 0xd0b, 0xd0b})
                + "Revision\t: d04170\nSerial\t\t: 1234567890abcdef\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n";
        t.file("/proc/cpuinfo", cpuinfo);
        t.file("/proc/device-tree/model", "Raspberry Pi 5 Model B Rev 1.0\0");
        pciDevice(t, "0000:00:00.0", 0x14e4, 0x2712);
        ax650n(t, AX_BDF, 1, 160, "0-3", "0");
        t.file("/proc/interrupts", interrupts(4,
                row(160, new long[] {52_001, 0, 0, 0}, "PCIe MSI 524288 Edge      axcl_host")));
        return t;
    }

    /** RK3576: CPU0-3 Cortex-A53 (policy0, 1.8 GHz), CPU4-7 Cortex-A72 (policy4, 2.2 GHz); no cpu_capacity, no card. */
    static HostTree rk3576(Path root) {
        HostTree t = new HostTree(root);
        cpus(t, 8, "0-7");
        for (int c = 0; c < 8; c++) {
            idle(t, c, "WFI", "cpu-sleep");
        }
        String governors = "userspace powersave performance schedutil";
        policy(t, new Policy(0, List.of(0, 1, 2, 3), "schedutil", 408000, 1800000, 1008000,
                List.of(408000L, 816000L, 1200000L, 1416000L, 1608000L, 1800000L)), governors);
        policy(t, new Policy(4, List.of(4, 5, 6, 7), "schedutil", 408000, 2208000, 1416000,
                List.of(408000L, 816000L, 1200000L, 1416000L, 1608000L, 1800000L, 2016000L, 2208000L)), governors);
        t.file("/proc/cpuinfo", armCpuinfo(new int[] {0xd03, 0xd03, 0xd03, 0xd03, 0xd08, 0xd08, 0xd08, 0xd08}));
        t.file("/proc/device-tree/model", "Rockchip RK3576 EVB1 V10 Board\0");
        pciDevice(t, "0000:00:00.0", 0x1d87, 0x3576);
        t.file("/proc/interrupts", interrupts(8));
        return t;
    }

    /** An x86 virtual machine: 2 CPUs, no cpufreq, no cpu_capacity, a virtio NIC, no accelerator. */
    static HostTree x86(Path root) {
        HostTree t = new HostTree(root);
        cpus(t, 2, "0-1");
        StringBuilder cpuinfo = new StringBuilder();
        for (int c = 0; c < 2; c++) {
            cpuinfo.append("processor\t: ").append(c).append("\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n")
                    .append("model\t\t: 167\nmodel name\t: Intel(R) Xeon(R) Processor\nstepping\t: 8\n")
                    .append("cpu MHz\t\t: 2000.000\nflags\t\t: fpu vme de pse tsc msr pae\n\n");
        }
        t.file("/proc/cpuinfo", cpuinfo.toString());
        t.file("/sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
        pciDevice(t, "0000:00:04.0", 0x1af4, 0x1041);
        t.file("/proc/interrupts", interrupts(2, row(41, new long[] {6428, 0}, "PCI-MSIX-0000:00:04.0   1-edge      virtio3-rx")));
        return t;
    }
}
