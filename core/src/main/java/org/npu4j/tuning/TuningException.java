package org.npu4j.tuning;

import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.npu4j.NpuException;

/**
 * A tuning change could not be planned, applied or undone: a value failed validation (a CPU that
 * is not online, a governor the policy does not offer, a frequency not in the available list), a
 * write failed (the message names the file; everything changed before it has been restored), a
 * restore failed, or strict mode refused a plan the process has no rights to apply.
 */
public class TuningException extends NpuException {
    private static final long serialVersionUID = 1L;

    private final @Nullable String file;

    /**
     * @param message what failed and why
     * @param file    the host file concerned, if one
     * @param cause   the underlying error, if any
     */
    public TuningException(String message, @Nullable String file, @Nullable Throwable cause) {
        super(message, cause);
        this.file = file;
    }

    /** @param message what failed and why */
    public TuningException(String message) {
        this(message, null, null);
    }

    /** The host file whose write, restore or validation failed, e.g. {@code /proc/irq/93/smp_affinity_list}. */
    public Optional<String> file() {
        return Optional.ofNullable(file);
    }
}
