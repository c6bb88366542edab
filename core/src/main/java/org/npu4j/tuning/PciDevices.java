package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Finds PCI devices by vendor:device under {@code /sys/bus/pci/devices} and reads their link,
 * PCIe capability and interrupts, without {@code lspci}: every value comes from sysfs and procfs
 * through {@link HostFiles}.
 *
 * <p>Files read per device: {@code vendor}, {@code device}, {@code driver} (link),
 * {@code current_link_speed}, {@code current_link_width}, {@code max_link_speed},
 * {@code max_link_width}, {@code config}, {@code msi_irqs/}, {@code irq}; per interrupt
 * {@code /proc/irq/N/smp_affinity_list}, {@code effective_affinity_list} and
 * {@code /proc/interrupts}. Stateless, thread-safe.
 */
public final class PciDevices {
    static final String DEVICES = "/sys/bus/pci/devices";
    private static final Pattern SPEED = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*GT/s.*");

    private PciDevices() {}

    /** The {@link PciId#KNOWN_ACCELERATORS known accelerators} (the AX650N) on the host. */
    public static List<PciDevice> accelerators(HostFiles files) {
        return find(files, PciId.KNOWN_ACCELERATORS);
    }

    /**
     * The devices matching any of {@code ids}, by address. No PCI bus (no
     * {@code /sys/bus/pci/devices}) means none.
     *
     * @throws HostFileException naming the file if a matching device's files are malformed (a
     *                           {@code vendor} that is not hex, a link speed that is not "N GT/s",
     *                           a config space shorter than 64 bytes, ...), or {@code /proc/interrupts}
     *                           or an IRQ's {@code smp_affinity_list} is missing or malformed
     */
    public static List<PciDevice> find(HostFiles files, List<PciId> ids) {
        Objects.requireNonNull(ids, "ids");
        List<PciDevice> out = new ArrayList<>();
        InterruptCounts interrupts = null;
        for (String address : files.list(DEVICES)) {
            String dir = DEVICES + "/" + address;
            if (!files.exists(dir + "/vendor") || !files.exists(dir + "/device")) {
                continue;
            }
            int vendor = Parse.hexValue(files, dir + "/vendor", "a PCI vendor id such as 0x1f4b");
            int device = Parse.hexValue(files, dir + "/device", "a PCI device id such as 0x0650");
            PciId id = ids.stream().filter(i -> i.vendor() == vendor && i.device() == device).findFirst().orElse(null);
            if (id == null) {
                continue;
            }
            if (interrupts == null) {
                interrupts = InterruptCounts.read(files);
            }
            out.add(read(files, address, id, interrupts));
        }
        return List.copyOf(out);
    }

    private static PciDevice read(HostFiles files, String address, PciId id, InterruptCounts interrupts) {
        String dir = DEVICES + "/" + address;
        Optional<String> driver = files.linkName(dir + "/driver");
        Optional<PcieLink> current = link(files, dir + "/current_link_speed", dir + "/current_link_width");
        Optional<PcieLink> max = link(files, dir + "/max_link_speed", dir + "/max_link_width");
        Optional<PcieCapability> capability = Optional.empty();
        Optional<String> problem = Optional.empty();
        if (files.exists(dir + "/config")) {
            byte[] config = files.readBytes(dir + "/config");
            try {
                switch (PcieCapability.decode(config)) {
                    case PcieCapability.Found f -> capability = Optional.of(f.capability());
                    case PcieCapability.Unreadable u -> problem = Optional.of(u.reason());
                }
            } catch (IllegalArgumentException e) {
                throw new HostFileException(dir + "/config", files.resolve(dir + "/config"), e.getMessage(), e);
            }
        } else {
            problem = Optional.of("no config file");
        }
        TreeSet<Integer> irqNumbers = new TreeSet<>();
        for (String name : files.list(dir + "/msi_irqs")) {
            try {
                irqNumbers.add(Integer.parseInt(name));
            } catch (NumberFormatException e) {
                throw new HostFileException(dir + "/msi_irqs", files.resolve(dir + "/msi_irqs"),
                        "expected entries named by IRQ number, found \"" + name + "\"", e);
            }
        }
        if (irqNumbers.isEmpty() && files.exists(dir + "/irq")) {
            int legacy = Parse.intValue(files, dir + "/irq", "an IRQ number");
            if (legacy > 0) {
                irqNumbers.add(legacy);
            }
        }
        List<IrqInfo> irqs = new ArrayList<>();
        for (int n : irqNumbers) {
            irqs.add(irq(files, n, interrupts));
        }
        return new PciDevice(address, id, driver, current, max, capability, problem, irqs);
    }

    static IrqInfo irq(HostFiles files, int n, InterruptCounts interrupts) {
        String dir = "/proc/irq/" + n;
        List<Integer> affinity = Parse.cpuList(files, dir + "/smp_affinity_list", false);
        Optional<List<Integer>> effective = files.exists(dir + "/effective_affinity_list")
                ? Optional.of(Parse.cpuList(files, dir + "/effective_affinity_list", true))
                : Optional.empty();
        return new IrqInfo(n, interrupts.description(n).orElse(""), affinity, effective, interrupts.counts(n));
    }

    private static Optional<PcieLink> link(HostFiles files, String speedFile, String widthFile) {
        if (!files.exists(speedFile) || !files.exists(widthFile)) {
            return Optional.empty();
        }
        @Nullable Double speed = speed(files, speedFile);
        int width = Parse.intValue(files, widthFile, "a link width (number of lanes)");
        return speed == null || width <= 0 ? Optional.empty() : Optional.of(new PcieLink(speed, width));
    }

    /** "5.0 GT/s PCIe" or "5 GT/s" → 5.0; "Unknown" (link down) → null. */
    private static @Nullable Double speed(HostFiles files, String file) {
        String s = files.read(file).strip();
        if (s.startsWith("Unknown")) {
            return null;
        }
        Matcher m = SPEED.matcher(s);
        if (!m.matches()) {
            throw Parse.malformed(files, file, "a link speed such as \"5.0 GT/s PCIe\"", s);
        }
        return Double.parseDouble(m.group(1));
    }
}
