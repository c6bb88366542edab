package org.npu4j.rkllm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import org.jspecify.annotations.Nullable;
import org.npu4j.tuning.CpuTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPUs the runtime's threads use when the application does not choose
 * ({@code RKLLMExtendParam.enabled_cpus_mask}, bit N = CPU N, 32 bits).
 */
final class CpuDefaults {
    private static final Logger LOG = LoggerFactory.getLogger(CpuDefaults.class);

    private CpuDefaults() {}

    /**
     * The default mask, decided here and nowhere else: the big cores ({@link CpuTopology#bigCoreMask()}:
     * on RK3588 the A76 cores 4-7, mask {@code 0xF0}, which is what the vendor demos pin with
     * {@code taskset f0}; every core where all are equal) that this process may run on. Falls back to
     * every usable CPU when the topology cannot be read or none of the big cores is usable.
     */
    static int defaultMask() {
        int usable = usableCpusMask();
        try {
            int big = (int) (CpuTopology.system().bigCoreMask() & 0xFFFF_FFFFL);
            if ((big & usable) != 0) {
                return big & usable;
            }
            LOG.debug("none of the big cores 0x{} is usable by this process; using 0x{}", Integer.toHexString(big),
                    Integer.toHexString(usable));
        } catch (RuntimeException e) {
            LOG.debug("CPU topology unreadable ({}); using every usable CPU 0x{}", e.toString(),
                    Integer.toHexString(usable));
        }
        return usable;
    }

    /**
     * CPUs online ({@code /sys/devices/system/cpu/online}) and allowed to this process
     * ({@code Cpus_allowed_list} of {@code /proc/self/status}), as a 32-bit mask; CPUs 32 and above
     * cannot be named in the runtime's mask and are left out. Falls back to the first
     * {@link Runtime#availableProcessors()} CPUs where those files do not exist.
     */
    static int usableCpusMask() {
        BitSet online = parseList(read(Path.of("/sys/devices/system/cpu/online")));
        BitSet allowed = null;
        String status = read(Path.of("/proc/self/status"));
        if (status != null) {
            for (String line : status.split("\n")) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    allowed = parseList(line.substring("Cpus_allowed_list:".length()));
                }
            }
        }
        BitSet cpus = online != null ? online : allowed;
        if (cpus != null && allowed != null) {
            cpus.and(allowed);
        }
        if (cpus == null || cpus.isEmpty()) {
            cpus = new BitSet();
            cpus.set(0, Math.min(32, Runtime.getRuntime().availableProcessors()));
        }
        int mask = 0;
        for (int c = cpus.nextSetBit(0); c >= 0 && c < 32; c = cpus.nextSetBit(c + 1)) {
            mask |= 1 << c;
        }
        if (cpus.length() > 32) {
            LOG.debug("CPUs from 32 up cannot be named in enabled_cpus_mask; using CPUs 0-31 of {}", cpus);
        }
        return mask;
    }

    /** A Linux CPU list such as {@code 0-3,6,8-9}; null for null or unreadable. */
    static @Nullable BitSet parseList(@Nullable String list) {
        if (list == null || list.isBlank()) {
            return null;
        }
        BitSet set = new BitSet();
        try {
            for (String part : list.strip().split(",")) {
                String p = part.strip();
                int dash = p.indexOf('-');
                if (dash < 0) {
                    set.set(Integer.parseInt(p));
                } else {
                    set.set(Integer.parseInt(p.substring(0, dash)), Integer.parseInt(p.substring(dash + 1)) + 1);
                }
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return set;
    }

    private static @Nullable String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
