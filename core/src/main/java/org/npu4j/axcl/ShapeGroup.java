package org.npu4j.axcl;

import java.util.List;

/**
 * One shape group of a model: the Pulsar2 compiler can build one model for several input shapes
 * (e.g. an LLM layer for prefill and for decode); a normally compiled model has one group, index 0.
 * Shapes and sizes belong to the group; names, element types and layouts are the model's.
 * Immutable.
 *
 * @param index   the group index passed to {@code axclrtEngineExecute}
 * @param inputs  the input tensors in engine order
 * @param outputs the output tensors in engine order
 */
public record ShapeGroup(int index, List<TensorInfo> inputs, List<TensorInfo> outputs) {
    public ShapeGroup {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }
}
