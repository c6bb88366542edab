package org.npu4j.tuning;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One write {@link HostTuning} makes (or would make): a file, its value before and after, and why.
 *
 * @param kind     what the change tunes
 * @param file     the host file, e.g. {@code /proc/irq/93/smp_affinity_list}
 * @param oldValue its value when planned (stripped), or null if the file does not exist yet (the
 *                 devfreq {@code userspace/set_freq} appears when the userspace governor starts, and
 *                 disappears when the previous governor is restored)
 * @param newValue the value written (stripped; written with a trailing newline, as {@code echo} does)
 * @param reason   one sentence saying why, with the fact behind it
 */
public record Change(Kind kind, String file, @Nullable String oldValue, String newValue, String reason) {

    /** What a change tunes. */
    public enum Kind {
        /** {@code /proc/irq/N/smp_affinity_list} of an accelerator's interrupt. */
        IRQ_AFFINITY,
        /** {@code scaling_governor} of a big-core cpufreq policy. */
        CPU_GOVERNOR,
        /** {@code governor} of the Rockchip NPU devfreq device. */
        NPU_GOVERNOR,
        /** {@code userspace/set_freq} of the Rockchip NPU devfreq device, Hz. */
        NPU_FREQUENCY,
        /** {@code governor} of the DDR controller's devfreq device ({@code dmc}). */
        DDR_GOVERNOR,
        /** {@code userspace/set_freq} of the DDR controller's devfreq device, Hz. */
        DDR_FREQUENCY,
        /** {@code cpuidle/stateK/disable} of a CPU. */
        CPUIDLE
    }

    /** Checks the values. */
    public Change {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(newValue, "newValue");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return file + ": " + (oldValue == null ? "(absent)" : oldValue) + " -> " + newValue + "  (" + reason + ")";
    }
}
