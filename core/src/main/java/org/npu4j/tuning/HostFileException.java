package org.npu4j.tuning;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.npu4j.NpuException;

/**
 * A sysfs or procfs file is missing, unreadable, unwritable or does not hold what npu4j expected.
 * The message names the file (as resolved under the {@link HostFiles#root() root}) and what was
 * expected, e.g. {@code /sys/devices/system/cpu/cpu0/cpu_capacity: expected the CPU capacity (an
 * integer 0-1024), found "garbage"}.
 */
public class HostFileException extends NpuException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final String resolved;

    /**
     * @param file     the file as the host sees it, e.g. {@code /proc/interrupts}
     * @param resolved the file actually read (the same path under a fixture root)
     * @param problem  what went wrong and what was expected
     * @param cause    the I/O error, if any
     */
    public HostFileException(String file, Path resolved, String problem, @Nullable Throwable cause) {
        super(resolved + ": " + problem, cause);
        this.file = Objects.requireNonNull(file, "file");
        this.resolved = resolved.toString();
    }

    /** The file as the host sees it, e.g. {@code /proc/irq/93/smp_affinity_list}. */
    public String file() {
        return file;
    }

    /** The file actually read or written: {@link #file()} under the {@link HostFiles#root() root}. */
    public String resolvedFile() {
        return resolved;
    }
}
