package org.npu4j.tuning;

import java.util.List;
import java.util.Optional;

/**
 * The devfreq device of a Rockchip NPU (RK3588: {@code /sys/class/devfreq/fdab0000.npu}). All
 * frequencies in Hz, as the kernel's devfreq files (RK3588 NPU maximum 1 GHz = 1000000000).
 *
 * @param directory              e.g. {@code /sys/class/devfreq/fdab0000.npu}
 * @param governor               the {@code governor} file, e.g. {@code rknpu_ondemand}
 * @param availableGovernors     {@code available_governors}; empty if absent
 * @param availableFrequencies   {@code available_frequencies} in Hz, ascending; empty if absent
 * @param curFreqHz              {@code cur_freq}, if present
 * @param userspaceSetFreqHz     {@code userspace/set_freq}, present only while the {@code userspace}
 *                               governor runs (the kernel adds the file when it starts)
 */
public record NpuDevfreq(String directory, String governor, List<String> availableGovernors,
        List<Long> availableFrequencies, Optional<Long> curFreqHz, Optional<Long> userspaceSetFreqHz) {

    /** Checks the values and makes the lists immutable. */
    public NpuDevfreq {
        availableGovernors = List.copyOf(availableGovernors);
        availableFrequencies = availableFrequencies.stream().sorted().toList();
    }

    /** The highest available frequency in Hz, if the list is known. */
    public Optional<Long> maxFreqHz() {
        return availableFrequencies.isEmpty() ? Optional.empty()
                : Optional.of(availableFrequencies.get(availableFrequencies.size() - 1));
    }

    /** Whether the NPU runs at (and is held at) its maximum: {@code performance}, or {@code userspace} at the maximum. */
    public boolean atMaximum() {
        if (governor.equals("performance")) {
            return true;
        }
        return governor.equals("userspace") && userspaceSetFreqHz.isPresent() && userspaceSetFreqHz.equals(maxFreqHz());
    }
}
