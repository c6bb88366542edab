package org.npu4j.yolo;

/**
 * Element type of a head output, whichever NPU runtime reported it. The detector reads the
 * floating-point types as they are and the 8-bit integer types through their affine quantisation
 * ({@code real = (q − zeroPoint) · scale}).
 *
 * <p>Immutable.
 */
public enum ElementType {
    FP32(4), FP16(2), BF16(2), INT8(1), UINT8(1),
    /** Any other type (the detector refuses it, naming it). */
    OTHER(0);

    private final int bytes;

    ElementType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element (0 for {@link #OTHER}). */
    public int bytes() {
        return bytes;
    }

    /** True for the 8-bit integer types, read through zero point and scale. */
    public boolean quantized() {
        return this == INT8 || this == UINT8;
    }
}
