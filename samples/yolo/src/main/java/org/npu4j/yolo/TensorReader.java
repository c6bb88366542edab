package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads elements of an output tensor, whatever its element type. */
final class TensorReader {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private TensorReader() {}

    /**
     * Element {@code index} (not byte offset) of {@code s} holding {@code type} values, as a real
     * number: 8-bit integers {@code q} as {@code (q − zeroPoint) · scale}.
     */
    static float get(MemorySegment s, ElementType type, int zeroPoint, float scale, long index) {
        return switch (type) {
            case FP32 -> s.get(F32, index * 4);
            case FP16 -> Float.float16ToFloat(s.get(I16, index * 2));
            case BF16 -> Float.intBitsToFloat((s.get(I16, index * 2) & 0xFFFF) << 16);
            case INT8, UINT8 -> (quantized(s, type, index) - zeroPoint) * scale;
            case OTHER -> throw new IllegalArgumentException("cannot read " + type + " outputs");
        };
    }

    /** The integer at element {@code index} of an INT8 or UINT8 tensor. */
    static int quantized(MemorySegment s, ElementType type, long index) {
        byte b = s.get(ValueLayout.JAVA_BYTE, index);
        return type == ElementType.UINT8 ? b & 0xFF : b;
    }
}
