package org.npu4j.tuning;

import java.util.List;
import java.util.Optional;

/**
 * The DDR memory controller's devfreq device of a Rockchip SoC ({@code /sys/class/devfreq/dmc}). All
 * frequencies in Hz, as the kernel's devfreq files.
 *
 * <p>The vendor's fix-frequency scripts (rknn-llm v1.3.0 {@code scripts/}, shared/facts/rknn.md
 * "Frequency scripts") select the {@code userspace} governor and write {@link #VENDOR_FIXED_HZ}
 * (2112000000) to {@code userspace/set_freq} on RK3588 and RK3576 alike.
 *
 * @param directory            {@code /sys/class/devfreq/dmc}
 * @param governor             the {@code governor} file, e.g. {@code dmc_ondemand}
 * @param availableGovernors   {@code available_governors}; empty if absent
 * @param availableFrequencies {@code available_frequencies} in Hz, ascending; empty if absent
 * @param curFreqHz            {@code cur_freq}, if present
 * @param userspaceSetFreqHz   {@code userspace/set_freq}, present only while {@code userspace} runs
 */
public record DdrDevfreq(String directory, String governor, List<String> availableGovernors,
        List<Long> availableFrequencies, Optional<Long> curFreqHz, Optional<Long> userspaceSetFreqHz) {
    /** {@code /sys/class/devfreq/dmc}. */
    public static final String DIRECTORY = RockchipNpu.DEVFREQ + "/dmc";

    /** The DDR frequency the vendor scripts fix, Hz (RK3588 and RK3576). */
    public static final long VENDOR_FIXED_HZ = 2_112_000_000L;

    /** Makes the lists immutable, frequencies ascending. */
    public DdrDevfreq {
        availableGovernors = List.copyOf(availableGovernors);
        availableFrequencies = availableFrequencies.stream().sorted().toList();
    }

    /**
     * The frequency to fix: {@link #VENDOR_FIXED_HZ} when available, else the highest available; empty
     * if {@code available_frequencies} is unknown.
     */
    public Optional<Long> fixedTargetHz() {
        if (availableFrequencies.contains(VENDOR_FIXED_HZ)) {
            return Optional.of(VENDOR_FIXED_HZ);
        }
        return availableFrequencies.isEmpty() ? Optional.empty()
                : Optional.of(availableFrequencies.get(availableFrequencies.size() - 1));
    }

    /** Whether DDR is held at its fixed frequency: {@code userspace} at {@link #fixedTargetHz()}. */
    public boolean atFixedFrequency() {
        return governor.equals(HostTuning.USERSPACE) && userspaceSetFreqHz.isPresent()
                && userspaceSetFreqHz.equals(fixedTargetHz());
    }

    /**
     * Reads {@link #DIRECTORY}; empty when the host has none.
     *
     * @throws HostFileException naming the file if one exists but is malformed
     */
    static Optional<DdrDevfreq> read(HostFiles files) {
        if (!files.exists(DIRECTORY + "/governor")) {
            return Optional.empty();
        }
        NpuDevfreq d = RockchipNpu.readDevfreq(files, DIRECTORY);
        return Optional.of(new DdrDevfreq(d.directory(), d.governor(), d.availableGovernors(), d.availableFrequencies(),
                d.curFreqHz(), d.userspaceSetFreqHz()));
    }
}
