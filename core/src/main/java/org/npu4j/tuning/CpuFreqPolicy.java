package org.npu4j.tuning;

import java.util.List;
import java.util.Optional;

/**
 * One cpufreq policy ({@code /sys/devices/system/cpu/cpufreq/policyN}): the CPUs that share a
 * clock and its frequency limits. All frequencies in kHz, as the kernel's cpufreq files
 * (RK3588: policy0 A55 up to 1800000, policy4 and policy6 A76 up to 2256000-2400000; the vendor
 * fix-frequency script sets 2352000).
 *
 * @param id                  N of {@code policyN}
 * @param cpus                the CPUs of the policy ({@code related_cpus}), ascending
 * @param governor            {@code scaling_governor}, e.g. {@code schedutil}
 * @param availableGovernors  {@code scaling_available_governors}; empty if the file is absent
 * @param minKHz              {@code cpuinfo_min_freq}
 * @param maxKHz              {@code cpuinfo_max_freq}: the hardware maximum
 * @param scalingMinKHz       {@code scaling_min_freq}, if present
 * @param scalingMaxKHz       {@code scaling_max_freq}, if present: the current upper limit
 * @param curKHz              {@code scaling_cur_freq}, if present
 * @param availableFrequencies {@code scaling_available_frequencies} in kHz; empty if absent
 */
public record CpuFreqPolicy(int id, List<Integer> cpus, String governor, List<String> availableGovernors,
        long minKHz, long maxKHz, Optional<Long> scalingMinKHz, Optional<Long> scalingMaxKHz,
        Optional<Long> curKHz, List<Long> availableFrequencies) {

    /** Checks the values and makes the lists immutable. */
    public CpuFreqPolicy {
        cpus = List.copyOf(cpus);
        availableGovernors = List.copyOf(availableGovernors);
        availableFrequencies = List.copyOf(availableFrequencies);
    }

    /** The policy directory, e.g. {@code /sys/devices/system/cpu/cpufreq/policy4}. */
    public String directory() {
        return CpuTopology.CPUFREQ + "/policy" + id;
    }

    /** {@code policyN}. */
    public String name() {
        return "policy" + id;
    }
}
