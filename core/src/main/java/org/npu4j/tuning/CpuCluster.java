package org.npu4j.tuning;

import java.util.List;
import java.util.Optional;

/**
 * CPUs that share a cpufreq policy (or, without cpufreq, the same core type and capacity).
 *
 * @param name     {@code policyN}, or e.g. {@code cluster0} without cpufreq
 * @param cpus     the CPUs, ascending
 * @param type     the core design of the first online CPU
 * @param capacity the highest {@code cpu_capacity} of its CPUs, if exposed
 * @param policy   the cpufreq policy, if present
 * @param big      whether these are big cores (see {@link CpuTopology#bigCores()})
 */
public record CpuCluster(String name, List<Integer> cpus, CoreType type, Optional<Integer> capacity,
        Optional<CpuFreqPolicy> policy, boolean big) {

    /** Checks the values and makes the lists immutable. */
    public CpuCluster {
        cpus = List.copyOf(cpus);
    }
}
