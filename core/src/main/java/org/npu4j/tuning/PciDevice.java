package org.npu4j.tuning;

import java.util.List;
import java.util.Optional;

/**
 * A PCI device found under {@code /sys/bus/pci/devices}, with its link and interrupts.
 *
 * @param address           the bus/device/function, e.g. {@code 0000:01:00.0}
 * @param id                vendor:device and the name npu4j gives it
 * @param driver            the bound driver (name of the {@code driver} link), if bound
 * @param currentLink       {@code current_link_speed}/{@code current_link_width}; empty if absent or "Unknown"
 * @param maxLink           {@code max_link_speed}/{@code max_link_width}: what the device supports
 * @param capability        the decoded PCIe capability from {@code config}, if readable
 * @param capabilityProblem why {@code capability} is empty (e.g. config space past 64 bytes needs root)
 * @param irqs              its interrupts: MSI vectors from {@code msi_irqs/}, else the legacy {@code irq}
 */
public record PciDevice(String address, PciId id, Optional<String> driver, Optional<PcieLink> currentLink,
        Optional<PcieLink> maxLink, Optional<PcieCapability> capability, Optional<String> capabilityProblem,
        List<IrqInfo> irqs) {

    /** Checks the values and makes the lists immutable. */
    public PciDevice {
        irqs = List.copyOf(irqs);
    }

    /** The sysfs directory, e.g. {@code /sys/bus/pci/devices/0000:01:00.0}. */
    public String directory() {
        return PciDevices.DEVICES + "/" + address;
    }

    /** Whether the negotiated link is slower or narrower than the device supports. */
    public boolean linkDegraded() {
        if (currentLink.isEmpty() || maxLink.isEmpty()) {
            return false;
        }
        PcieLink cur = currentLink.get();
        PcieLink max = maxLink.get();
        return cur.speedGTs() < max.speedGTs() || cur.width() < max.width();
    }
}
