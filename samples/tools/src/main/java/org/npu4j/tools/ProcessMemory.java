package org.npu4j.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Resident memory of this process from Linux {@code /proc/self}: {@code VmHWM} (peak resident set
 * size) and {@code VmRSS} of {@code status}, and the reset of the peak by writing {@code 5} to
 * {@code clear_refs} (Linux 4.0+), so that each model's runs report their own peak.
 *
 * <p>Stateless and thread-safe; every method reports absence instead of throwing (other systems have
 * no {@code /proc}).
 */
final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ProcessMemory() {}

    /** {@code VmHWM} in kB, if readable. */
    static OptionalLong peakRssKb() {
        return field("VmHWM:");
    }

    /** {@code VmRSS} in kB, if readable. */
    static OptionalLong rssKb() {
        return field("VmRSS:");
    }

    /** Resets {@code VmHWM} to the current RSS; false if the kernel refused (or there is no /proc). */
    static boolean resetPeak() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private static OptionalLong field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(parts[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc, or an unexpected format: no value
        }
        return OptionalLong.empty();
    }
}
