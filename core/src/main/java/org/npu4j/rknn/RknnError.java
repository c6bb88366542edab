package org.npu4j.rknn;

/**
 * The error codes of {@code rknn_api.h} 2.x ({@code RKNN_ERR_*}, shared/facts/rknn.md "Errors"), with
 * {@link #UNKNOWN} for any other value.
 *
 * <p>Immutable: safe from any thread.
 */
public enum RknnError {
    FAIL(-1, "RKNN_ERR_FAIL", "execution failed (on a board often a driver/kernel mismatch: \"failed to submit!\")"),
    TIMEOUT(-2, "RKNN_ERR_TIMEOUT", "timed out"),
    DEVICE_UNAVAILABLE(-3, "RKNN_ERR_DEVICE_UNAVAILABLE",
            "NPU unavailable (driver missing or no access to /dev/dri/renderD*: video/render group)"),
    MALLOC_FAIL(-4, "RKNN_ERR_MALLOC_FAIL", "out of memory"),
    PARAM_INVALID(-5, "RKNN_ERR_PARAM_INVALID", "invalid parameter"),
    MODEL_INVALID(-6, "RKNN_ERR_MODEL_INVALID", "invalid model (or a model newer than this librknnrt)"),
    CTX_INVALID(-7, "RKNN_ERR_CTX_INVALID", "invalid context"),
    INPUT_INVALID(-8, "RKNN_ERR_INPUT_INVALID", "invalid input"),
    OUTPUT_INVALID(-9, "RKNN_ERR_OUTPUT_INVALID", "invalid output"),
    DEVICE_UNMATCH(-10, "RKNN_ERR_DEVICE_UNMATCH", "the model was built for another device"),
    INCOMPATIBLE_PRE_COMPILE_MODEL(-11, "RKNN_ERR_INCOMPATILE_PRE_COMPILE_MODEL",
            "pre-compiled model incompatible with this runtime"),
    INCOMPATIBLE_OPTIMIZATION_LEVEL_VERSION(-12, "RKNN_ERR_INCOMPATILE_OPTIMIZATION_LEVEL_VERSION",
            "optimisation level incompatible with this runtime"),
    TARGET_PLATFORM_UNMATCH(-13, "RKNN_ERR_TARGET_PLATFORM_UNMATCH",
            "the model (or option, e.g. a core mask) was made for another platform"),
    UNKNOWN(0, "unknown", "unknown error code");

    private final int code;
    private final String cName;
    private final String meaning;

    RknnError(int code, String cName, String meaning) {
        this.code = code;
        this.cName = cName;
        this.meaning = meaning;
    }

    /** The C value, e.g. -5 ({@link #UNKNOWN}: 0). */
    public int code() {
        return code;
    }

    /** The C macro name, e.g. {@code RKNN_ERR_PARAM_INVALID}. */
    public String cName() {
        return cName;
    }

    /** What the code means, in a few words. */
    public String meaning() {
        return meaning;
    }

    /** The error for a return code ({@link #UNKNOWN} for anything not in {@code rknn_api.h}). */
    public static RknnError of(int code) {
        for (RknnError e : values()) {
            if (e.code == code && e != UNKNOWN) {
                return e;
            }
        }
        return UNKNOWN;
    }
}
