package org.npu4j.yolo;

import java.util.List;

/**
 * One output tensor of a detection model as the decoder sees it, whichever runtime reported it
 * (AXCL's {@code TensorInfo}, RKNN's {@code rknn_tensor_attr}): its position among the outputs, its
 * shape, layout and element type, and, for 8-bit integer types, the affine quantisation
 * {@code real = (q − zeroPoint) · scale}.
 *
 * <p>Immutable.
 *
 * @param index       position among the model's outputs (the index of its buffer)
 * @param shape       dimensions, outermost first (e.g. {@code [1, 64, 80, 80]})
 * @param type        element type
 * @param layout      layout of {@code shape}
 * @param zeroPoint   affine zero point (0 for floating-point types)
 * @param scale       affine scale (1 for floating-point types)
 * @param description the runtime's own description of the tensor, for error messages
 */
public record HeadTensor(int index, List<Integer> shape, ElementType type, TensorLayout layout, int zeroPoint,
        float scale, String description) {
    /** Copies {@code shape}. */
    public HeadTensor {
        shape = List.copyOf(shape);
    }

    /** The real value of the quantised integer {@code q}. */
    float dequantize(int q) {
        return (q - zeroPoint) * scale;
    }

    @Override
    public String toString() {
        return description;
    }
}
