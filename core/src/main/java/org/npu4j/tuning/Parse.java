package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reading typed values from sysfs/procfs files, failing with the file's name and what was expected. */
final class Parse {
    private Parse() {}

    static HostFileException malformed(HostFiles files, String file, String expected, String found) {
        String shown = found.strip();
        String what = shown.isEmpty() ? "the file is empty" : "found \"" + abbreviate(shown) + "\"";
        return new HostFileException(file, files.resolve(file), "expected " + expected + ", " + what, null);
    }

    static String abbreviate(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() <= 60 ? one : one.substring(0, 57) + "...";
    }

    /** The file's stripped content, which must not be empty. */
    static String text(HostFiles files, String file, String expected) {
        String s = files.read(file).strip();
        if (s.isEmpty()) {
            throw malformed(files, file, expected, s);
        }
        return s;
    }

    /**
     * A governor name (cpufreq {@code scaling_governor}, devfreq {@code governor}) that must be one
     * of the {@code available} ones the kernel lists, when it lists any.
     */
    static String governor(HostFiles files, String file, List<String> available) {
        String g = text(files, file, "a governor name such as \"schedutil\"");
        if (!available.isEmpty() && !available.contains(g)) {
            throw malformed(files, file, "a governor name, one of the available governors (" + String.join(" ", available)
                    + ")", g);
        }
        return g;
    }

    static long longValue(HostFiles files, String file, String expected) {
        String s = files.read(file);
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw malformed(files, file, expected, s);
        }
    }

    static int intValue(HostFiles files, String file, String expected) {
        long v = longValue(files, file, expected);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw malformed(files, file, expected, Long.toString(v));
        }
        return (int) v;
    }

    static Optional<Long> optionalLong(HostFiles files, String file, String expected) {
        return files.exists(file) ? Optional.of(longValue(files, file, expected)) : Optional.empty();
    }

    /** A hex number with or without {@code 0x}, e.g. the {@code vendor} file of a PCI device. */
    static int hexValue(HostFiles files, String file, String expected) {
        String s = files.read(file);
        String t = s.strip();
        if (t.startsWith("0x") || t.startsWith("0X")) {
            t = t.substring(2);
        }
        try {
            return Integer.parseUnsignedInt(t, 16);
        } catch (NumberFormatException e) {
            throw malformed(files, file, expected, s);
        }
    }

    /** A whitespace-separated list of numbers (e.g. {@code scaling_available_frequencies}). */
    static List<Long> longList(HostFiles files, String file, String expected) {
        String s = files.read(file);
        List<Long> out = new ArrayList<>();
        for (String tok : s.strip().split("\\s+")) {
            if (tok.isEmpty()) {
                continue;
            }
            try {
                out.add(Long.parseLong(tok));
            } catch (NumberFormatException e) {
                throw malformed(files, file, expected, s);
            }
        }
        if (out.isEmpty()) {
            throw malformed(files, file, expected, s);
        }
        return List.copyOf(out);
    }

    /** A whitespace-separated list of words (e.g. {@code scaling_available_governors}). */
    static List<String> words(HostFiles files, String file, String expected) {
        String s = files.read(file);
        String t = s.strip();
        if (t.isEmpty()) {
            throw malformed(files, file, expected, s);
        }
        return List.of(t.split("\\s+"));
    }

    /** A Linux CPU list such as {@code 0-3,6}. */
    static List<Integer> cpuList(HostFiles files, String file, boolean emptyAllowed) {
        String s = files.read(file);
        try {
            List<Integer> cpus = CpuList.parse(s);
            if (cpus.isEmpty() && !emptyAllowed) {
                throw malformed(files, file, "a CPU list such as \"0-3,6\"", s);
            }
            return cpus;
        } catch (IllegalArgumentException e) {
            throw malformed(files, file, "a CPU list such as \"0-3,6\"", s);
        }
    }
}
