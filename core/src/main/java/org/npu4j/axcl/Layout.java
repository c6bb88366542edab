package org.npu4j.axcl;

/**
 * Memory layout of a model tensor, mirroring {@code axclrtEngineDataLayout} of the AXCL 3.x engine
 * header ({@code AXCL_DATA_LAYOUT_NONE = 0}, {@code NHWC = 1}, {@code NCHW = 2}). A value npu4j does
 * not know maps to {@link #UNKNOWN}.
 */
public enum Layout {
    /** Not an image tensor, or not stated by the model. */
    NONE(0),
    /** Batch, height, width, channels: channels vary fastest. */
    NHWC(1),
    /** Batch, channels, height, width: width varies fastest. */
    NCHW(2),
    /** A value outside the header's enum. */
    UNKNOWN(-1);

    private final int value;

    Layout(int value) {
        this.value = value;
    }

    /** The {@code axclrtEngineDataLayout} value; -1 for {@link #UNKNOWN}. */
    public int value() {
        return value;
    }

    /** The layout with this value, or {@link #UNKNOWN}. */
    public static Layout of(int value) {
        return switch (value) {
            case 0 -> NONE;
            case 1 -> NHWC;
            case 2 -> NCHW;
            default -> UNKNOWN;
        };
    }
}
