package org.npu4j.tuning;

import java.util.List;
import java.util.Objects;

/**
 * A PCI vendor:device pair that npu4j recognises as an accelerator card.
 *
 * @param vendor 16-bit PCI vendor id
 * @param device 16-bit PCI device id
 * @param name   what to call it, e.g. {@code "Axera AX650N"}
 */
public record PciId(int vendor, int device, String name) {
    /** Axera AX650N ({@code 1f4b:0650}), driven through the AXCL runtime. */
    public static final PciId AX650N = new PciId(0x1f4b, 0x0650, "Axera AX650N");

    /** The accelerators {@link PciDevices#accelerators(HostFiles)} looks for. */
    public static final List<PciId> KNOWN_ACCELERATORS = List.of(AX650N);

    /** Checks the values. */
    public PciId {
        if (vendor < 0 || vendor > 0xffff || device < 0 || device > 0xffff) {
            throw new IllegalArgumentException("PCI ids are 16-bit: " + vendor + ":" + device);
        }
        Objects.requireNonNull(name, "name");
    }

    /** {@code vvvv:dddd} in hex, as {@code lspci -n} prints it. */
    public String hex() {
        return String.format("%04x:%04x", vendor, device);
    }

    @Override
    public String toString() {
        return name + " (" + hex() + ")";
    }
}
