package org.npu4j.tuning;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The PCI Express capability (capability id {@code 0x10}) of a device, decoded from its
 * configuration space (the device's sysfs {@code config} file).
 *
 * <p>Found by walking the capability list from the pointer at offset {@code 0x34}. Decoded:
 * Device Capabilities (cap+4) bits 2:0 = Max_Payload_Size Supported; Device Control (cap+8)
 * bits 7:5 = Max_Payload_Size, bits 14:12 = Max_Read_Request_Size; each {@code 128 << value}
 * bytes. Link Capabilities (cap+0x0C) bits 3:0 speed, 9:4 width; Link Status (cap+0x12) the same
 * for the negotiated link.
 *
 * <p>npu4j reads these and never writes them. MaxReadReq in particular must stay 512 B on the
 * AX650N: 128 and 256 B crash the AXCL driver, 4096 B is 30% slower (boards.md).
 *
 * @param offset              where the capability starts in config space
 * @param maxPayloadSupported Max_Payload_Size Supported, bytes (128 on the AX650N: its hardware maximum)
 * @param maxPayload          Max_Payload_Size in use, bytes
 * @param maxReadRequest      Max_Read_Request_Size in use, bytes (512 expected on the AX650N)
 * @param linkCapability      the link the device supports, if the register holds a known speed and a width
 * @param linkStatus          the link as negotiated, if the register holds a known speed and a width
 */
public record PcieCapability(int offset, int maxPayloadSupported, int maxPayload, int maxReadRequest,
        Optional<PcieLink> linkCapability, Optional<PcieLink> linkStatus) {

    /** PCI Express capability id. */
    public static final int CAP_ID_PCIE = 0x10;
    /** Where the first capability pointer is in a type 0/1 header. */
    public static final int CAP_POINTER = 0x34;
    /** MaxReadReq the AX650N driver needs, bytes. */
    public static final int REQUIRED_MAX_READ_REQUEST = 512;

    /** Outcome of decoding a config space: the capability, or why it could not be read. */
    sealed interface Result {}

    record Found(PcieCapability capability) implements Result {}

    record Unreadable(String reason) implements Result {}

    /**
     * Decodes the PCIe capability of a config space image.
     *
     * @param config the bytes of the {@code config} file: 64 of them for a process without root
     *               (then the capability is usually {@link Unreadable}), 256 or 4096 with root
     * @throws IllegalArgumentException if the image is shorter than the 64-byte header, or the
     *                                  capability list is malformed (a pointer into the header, a loop)
     */
    static Result decode(byte[] config) {
        if (config.length < 0x40) {
            throw new IllegalArgumentException("expected at least the 64-byte PCI configuration header, found "
                    + config.length + " bytes");
        }
        int status = u16(config, 0x06);
        if ((status & 0x10) == 0) {
            return new Unreadable("the device has no capability list (status register bit 4 clear)");
        }
        int ptr = config[CAP_POINTER] & 0xfc;
        Set<Integer> seen = new HashSet<>();
        while (ptr != 0) {
            if (ptr < 0x40) {
                throw new IllegalArgumentException(String.format("malformed capability list: pointer 0x%02x into the header", ptr));
            }
            if (!seen.add(ptr)) {
                throw new IllegalArgumentException(String.format("malformed capability list: loop at 0x%02x", ptr));
            }
            if (ptr + 2 > config.length) {
                return new Unreadable(String.format(
                        "the capability at 0x%02x lies beyond the %d bytes readable (config space past 64 bytes needs root)",
                        ptr, config.length));
            }
            int id = config[ptr] & 0xff;
            if (id == CAP_ID_PCIE) {
                if (ptr + 0x14 > config.length) {
                    return new Unreadable(String.format(
                            "the PCIe capability at 0x%02x lies beyond the %d bytes readable (needs root)", ptr, config.length));
                }
                int devCap = (int) u32(config, ptr + 4);
                int devCtl = u16(config, ptr + 8);
                long linkCap = u32(config, ptr + 0x0c);
                int linkStatus = u16(config, ptr + 0x12);
                return new Found(new PcieCapability(ptr, 128 << (devCap & 0x7), 128 << ((devCtl >> 5) & 0x7),
                        128 << ((devCtl >> 12) & 0x7), link((int) (linkCap & 0xf), (int) ((linkCap >> 4) & 0x3f)),
                        link(linkStatus & 0xf, (linkStatus >> 4) & 0x3f)));
            }
            ptr = config[ptr + 1] & 0xfc;
        }
        return new Unreadable("the device has no PCI Express capability (id 0x10)");
    }

    private static Optional<PcieLink> link(int speedCode, int width) {
        double speed = PcieLink.speedOfCode(speedCode);
        return speed > 0 && width > 0 ? Optional.of(new PcieLink(speed, width)) : Optional.empty();
    }

    private static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    private static long u32(byte[] b, int off) {
        return (u16(b, off) | (long) u16(b, off + 2) << 16) & 0xffffffffL;
    }

    /** Whether MaxReadReq is the 512 B the AX650N driver needs. */
    public boolean maxReadRequestOk() {
        return maxReadRequest == REQUIRED_MAX_READ_REQUEST;
    }
}
