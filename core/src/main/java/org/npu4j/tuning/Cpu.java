package org.npu4j.tuning;

import java.util.Optional;

/**
 * One logical CPU as sysfs and {@code /proc/cpuinfo} describe it.
 *
 * @param id          N of {@code cpuN}
 * @param online      listed in {@code /sys/devices/system/cpu/online}
 * @param type        the core design from {@code CPU implementer}/{@code CPU part}
 * @param description the core design's name, or the x86 {@code model name}, or {@code "unknown"}
 * @param capacity    {@code cpu_capacity} (0-1024, relative to the fastest core), if the kernel
 *                    exposes it (arm64 with capacity-dmips-mhz in the device tree)
 * @param policy      N of the cpufreq {@code policyN} the CPU belongs to, if cpufreq is present
 */
public record Cpu(int id, boolean online, CoreType type, String description, Optional<Integer> capacity,
        Optional<Integer> policy) {}
