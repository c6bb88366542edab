package org.npu4j.tuning;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What npu4j knows about a host at one moment: the board model, CPU topology, accelerator cards on
 * PCIe and the Rockchip NPU driver. The input of {@link HostTuning} and of {@code npu4j diagnose}.
 *
 * @param model        the board: {@code /proc/device-tree/model} (e.g. {@code FriendlyElec CM3588NAS},
 *                     NUL-terminated in the file) or else the DMI {@code /sys/class/dmi/id/product_name}
 * @param topology     the CPUs
 * @param accelerators the {@link PciId#KNOWN_ACCELERATORS known accelerators} found, by address
 * @param rockchipNpu  the Rockchip NPU driver, if the host has one
 * @param ddr          the DDR controller's devfreq device ({@code /sys/class/devfreq/dmc}), if present
 */
public record HostState(Optional<String> model, CpuTopology topology, List<PciDevice> accelerators,
        Optional<RockchipNpu> rockchipNpu, Optional<DdrDevfreq> ddr) {
    static final String DT_MODEL = "/proc/device-tree/model";
    static final String DMI_PRODUCT = "/sys/class/dmi/id/product_name";

    /** Checks the values. */
    public HostState {
        Objects.requireNonNull(topology, "topology");
        accelerators = List.copyOf(accelerators);
    }

    /**
     * Reads the state of the host behind {@code files}.
     *
     * @param ids the accelerators to look for, usually {@link PciId#KNOWN_ACCELERATORS}
     * @throws HostFileException naming the file when a file the topology, a device or the NPU driver
     *                           needs is missing or malformed (see {@link CpuTopology#read},
     *                           {@link PciDevices#find}, {@link RockchipNpu#read})
     */
    public static HostState read(HostFiles files, List<PciId> ids) {
        return new HostState(model(files), CpuTopology.read(files), PciDevices.find(files, ids), RockchipNpu.read(files),
                DdrDevfreq.read(files));
    }

    /** {@link #read(HostFiles, List)} with the known accelerators. */
    public static HostState read(HostFiles files) {
        return read(files, PciId.KNOWN_ACCELERATORS);
    }

    /** The board model, see {@link #model()}; empty if neither file exists or both are blank. */
    public static Optional<String> model(HostFiles files) {
        for (String f : List.of(DT_MODEL, DMI_PRODUCT)) {
            Optional<String> text = files.readIfPresent(f).map(s -> s.replace("\0", "").strip()).filter(s -> !s.isEmpty());
            if (text.isPresent()) {
                return text;
            }
        }
        return Optional.empty();
    }
}
