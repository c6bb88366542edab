package org.npu4j.rknn;

import org.jspecify.annotations.Nullable;
import org.npu4j.NpuException;

/**
 * An RKNN runtime call returned an error. Keeps the raw return code ({@link #code()}), its decoding
 * ({@link #error()}), the function that failed and what npu4j was doing.
 *
 * <p>Immutable.
 */
public final class RknnException extends NpuException {
    private static final long serialVersionUID = 1L;

    private final String function;
    private final int code;

    RknnException(String function, int code, @Nullable String detail) {
        super(message(function, code, detail));
        this.function = function;
        this.code = code;
    }

    private static String message(String function, int code, @Nullable String detail) {
        RknnError e = RknnError.of(code);
        return function + " failed: " + (e == RknnError.UNKNOWN ? "unknown code" : e.cName()) + " (" + code + ", "
                + e.meaning() + ")" + (detail == null ? "" : ": " + detail);
    }

    /** The C function that failed, e.g. {@code rknn_init}. */
    public String function() {
        return function;
    }

    /** The raw return code, e.g. -6. */
    public int code() {
        return code;
    }

    /** The decoded code. */
    public RknnError error() {
        return RknnError.of(code);
    }
}
