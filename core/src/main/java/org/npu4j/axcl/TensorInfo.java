package org.npu4j.axcl;

import java.util.List;
import java.util.Objects;

/**
 * One input or output tensor of a model in one shape group, as the engine describes it
 * ({@code axclrtEngineGet{Input,Output}{NameByIndex,Dims,DataType,DataLayout,SizeByIndex}}).
 * Immutable.
 *
 * @param index    position among the model's inputs (or outputs), as used by the engine
 * @param name     the tensor name the model was compiled with
 * @param shape    the dimensions, outermost first (e.g. {@code [1, 640, 640, 3]} for an NHWC image);
 *                 at most 32 ({@code AXCLRT_ENGINE_MAX_DIM_CNT})
 * @param dataType element type
 * @param layout   memory layout ({@link Layout#NONE} for non-image tensors)
 * @param byteSize size of the tensor's buffer in bytes as the engine reports it (the size npu4j
 *                 allocates and copies; it may exceed the product of the dims times the element
 *                 size when the model pads)
 */
public record TensorInfo(int index, String name, List<Integer> shape, DataType dataType, Layout layout,
        long byteSize) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        shape = List.copyOf(shape);
        Objects.requireNonNull(dataType, "dataType");
        Objects.requireNonNull(layout, "layout");
    }

    /** The dimensions as a new array. */
    public int[] dims() {
        return shape.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Product of the dimensions (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + shape + " " + dataType + " " + layout + " " + byteSize + " B";
    }
}
