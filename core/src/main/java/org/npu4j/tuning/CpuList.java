package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The kernel's CPU list format ({@code cpulist}, as in {@code /sys/devices/system/cpu/online},
 * {@code related_cpus} and {@code /proc/irq/N/smp_affinity_list}): comma-separated CPU numbers and
 * inclusive ranges, e.g. {@code 0-3,6}. The empty string is the empty list. Whitespace also
 * separates, for the cpufreq {@code related_cpus}/{@code affected_cpus} files, which the kernel
 * prints as {@code 0 1 2 3}. Stateless, thread-safe.
 */
public final class CpuList {
    /** CPU numbers npu4j accepts: those a 1024-bit {@code cpu_set_t} can hold. */
    public static final int MAX_CPUS = 1024;

    private CpuList() {}

    /**
     * Parses a CPU list; surrounding whitespace (the trailing newline of a sysfs file) is ignored.
     *
     * @return the CPU numbers, ascending, without duplicates
     * @throws IllegalArgumentException if {@code text} is not a CPU list, or names a CPU of
     *                                  {@link #MAX_CPUS} or more
     */
    public static List<Integer> parse(String text) {
        String t = text.strip();
        TreeSet<Integer> cpus = new TreeSet<>();
        if (t.isEmpty()) {
            return List.of();
        }
        for (String part : t.split("[,\\s]+")) {
            String p = part.strip();
            int dash = p.indexOf('-');
            try {
                if (dash < 0) {
                    cpus.add(cpu(p, text));
                } else {
                    int lo = cpu(p.substring(0, dash), text);
                    int hi = cpu(p.substring(dash + 1), text);
                    if (hi < lo) {
                        throw new IllegalArgumentException("Not a CPU list: \"" + text.strip() + "\" (range " + p + ")");
                    }
                    for (int c = lo; c <= hi; c++) {
                        cpus.add(c);
                    }
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Not a CPU list: \"" + text.strip() + "\"", e);
            }
        }
        return List.copyOf(cpus);
    }

    private static int cpu(String s, String text) {
        int c = Integer.parseInt(s.strip());
        if (c < 0 || c >= MAX_CPUS) {
            throw new IllegalArgumentException("CPU " + c + " out of range 0-" + (MAX_CPUS - 1) + " in \"" + text.strip() + "\"");
        }
        return c;
    }

    /** Formats CPU numbers as a CPU list with ranges, e.g. [0,1,2,3,6] → {@code 0-3,6}. */
    public static String format(Collection<Integer> cpus) {
        List<Integer> sorted = new ArrayList<>(new TreeSet<>(cpus));
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < sorted.size()) {
            int start = sorted.get(i);
            int end = start;
            while (i + 1 < sorted.size() && sorted.get(i + 1) == end + 1) {
                end = sorted.get(++i);
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(start);
            if (end > start) {
                sb.append('-').append(end);
            }
            i++;
        }
        return sb.toString();
    }

    /**
     * The CPUs as a bit mask, bit N = CPU N (the form of RKLLM's {@code enabled_cpus_mask} and of
     * {@code taskset}).
     *
     * @throws IllegalArgumentException if a CPU number is 64 or more (it does not fit a {@code long})
     */
    public static long toMask(Collection<Integer> cpus) {
        long mask = 0;
        for (int c : cpus) {
            if (c < 0 || c >= 64) {
                throw new IllegalArgumentException("CPU " + c + " does not fit a 64-bit mask");
            }
            mask |= 1L << c;
        }
        return mask;
    }

    /** The CPUs of a bit mask, bit N = CPU N. */
    public static List<Integer> fromMask(long mask) {
        List<Integer> cpus = new ArrayList<>();
        for (int c = 0; c < 64; c++) {
            if ((mask & (1L << c)) != 0) {
                cpus.add(c);
            }
        }
        return List.copyOf(cpus);
    }
}
