package org.npu4j.tuning;

/**
 * One cpuidle state of one CPU ({@code /sys/devices/system/cpu/cpuN/cpuidle/stateK}). State 0 is
 * the shallow WFI state; states 1 and up are the deep ones whose exit latency delays the interrupt
 * of an accelerator card.
 *
 * @param cpu      N
 * @param index    K
 * @param name     the {@code name} file (e.g. {@code WFI}, {@code cpu-sleep}); {@code "stateK"} if absent
 * @param disabled the {@code disable} file holds 1
 */
public record CpuIdleState(int cpu, int index, String name, boolean disabled) {

    /** The {@code disable} file, e.g. {@code /sys/devices/system/cpu/cpu4/cpuidle/state1/disable}. */
    public String disableFile() {
        return CpuTopology.CPU_DIR + "/cpu" + cpu + "/cpuidle/state" + index + "/disable";
    }
}
