package org.npu4j.yolo;

/**
 * Memory layout of an image input or a head output, whichever NPU runtime reported it.
 *
 * <p>Immutable.
 */
public enum TensorLayout {
    /** Channels last: {@code [N, H, W, C]}. */
    NHWC,
    /** Channels first: {@code [N, C, H, W]}. */
    NCHW,
    /** The runtime states none (the decoder then picks the arrangement whose grid divides the input). */
    UNKNOWN
}
