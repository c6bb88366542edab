package org.npu4j.rknn;

/**
 * Layouts of RKNN tensors ({@code rknn_tensor_format}). {@link #NC1HWC2} is the NPU's native output
 * layout: dims {@code [N, C1, H, W, C2]}, channel {@code c} in plane {@code c / C2} at offset
 * {@code c % C2} (shared/facts/rknn.md "Zero-copy").
 *
 * <p>Immutable: safe from any thread.
 */
public enum TensorFormat {
    NCHW(0), NHWC(1), NC1HWC2(2), UNDEFINED(3), /** A value this version of npu4j does not know. */ UNKNOWN(-1);

    private final int value;

    TensorFormat(int value) {
        this.value = value;
    }

    /** The C value. */
    public int value() {
        return value;
    }

    /** The format of a C value ({@link #UNKNOWN} when not listed). */
    public static TensorFormat of(int value) {
        for (TensorFormat f : values()) {
            if (f.value == value) {
                return f;
            }
        }
        return UNKNOWN;
    }
}
