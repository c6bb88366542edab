package org.npu4j.rknn;

/**
 * Element types of RKNN tensors ({@code rknn_tensor_type}; values as in {@code rknn_api.h} 2.3).
 *
 * <p>Immutable: safe from any thread.
 */
public enum TensorType {
    FLOAT32(0, 4), FLOAT16(1, 2), INT8(2, 1), UINT8(3, 1), INT16(4, 2), UINT16(5, 2), INT32(6, 4), UINT32(7, 4),
    INT64(8, 8), BOOL(9, 1), /** Packed: two elements per byte. */ INT4(10, 0), /** 2.3.0+. */ BFLOAT16(11, 2),
    /** A value this version of npu4j does not know. */ UNKNOWN(-1, 0);

    private final int value;
    private final int bytes;

    TensorType(int value, int bytes) {
        this.value = value;
        this.bytes = bytes;
    }

    /** The C value. */
    public int value() {
        return value;
    }

    /** Bytes per element (0 for INT4 and UNKNOWN). */
    public int bytes() {
        return bytes;
    }

    /** The type of a C value ({@link #UNKNOWN} when not listed). */
    public static TensorType of(int value) {
        for (TensorType t : values()) {
            if (t.value == value) {
                return t;
            }
        }
        return UNKNOWN;
    }
}
