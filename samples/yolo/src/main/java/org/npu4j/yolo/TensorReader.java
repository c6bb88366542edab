package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.npu4j.axcl.DataType;

/** Reads elements of an output tensor as float, whatever its floating-point type. */
final class TensorReader {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private TensorReader() {}

    /** True for the element types {@link #get} reads. */
    static boolean supports(DataType t) {
        return t == DataType.FP32 || t == DataType.FP16 || t == DataType.BF16;
    }

    /** Element {@code index} (not byte offset) of {@code s} holding {@code type} values. */
    static float get(MemorySegment s, DataType type, long index) {
        return switch (type) {
            case FP32 -> s.get(F32, index * 4);
            case FP16 -> Float.float16ToFloat(s.get(I16, index * 2));
            case BF16 -> Float.intBitsToFloat((s.get(I16, index * 2) & 0xFFFF) << 16);
            default -> throw new IllegalArgumentException("cannot read " + type + " outputs");
        };
    }
}
