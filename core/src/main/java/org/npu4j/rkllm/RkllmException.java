package org.npu4j.rkllm;

import org.npu4j.NpuException;

/**
 * An RKLLM runtime function returned a failure, or a generation ended in the {@code RKLLM_RUN_ERROR}
 * state. The runtime reports no error codes beyond "non-zero"; its reason is in its log on stderr
 * (the vendor runtime and npu4j's emulators both write one line per failure there).
 */
public class RkllmException extends NpuException {
    private static final long serialVersionUID = 1L;

    private final String function;
    private final int code;

    /**
     * @param function the runtime function, e.g. {@code rkllm_init}
     * @param code     what it returned
     * @param context  what was being done, for the message
     */
    public RkllmException(String function, int code, String context) {
        super(function + " returned " + code + " (" + context + "); the runtime's log on stderr says why");
        this.function = function;
        this.code = code;
    }

    /** A run that ended in the {@code RKLLM_RUN_ERROR} state. */
    static RkllmException runError(String function, int code, String context) {
        return new RkllmException(function, code, context);
    }

    /** The runtime function that failed, e.g. {@code rkllm_run}. */
    public String function() {
        return function;
    }

    /** The value it returned (-1 when the failure was reported through {@code RKLLM_RUN_ERROR}). */
    public int code() {
        return code;
    }
}
