package org.npu4j.axcl;

/**
 * Element type of a model tensor, mirroring {@code axclrtEngineDataType} of the AXCL 3.x engine
 * header (values {@code AXCL_DATA_TYPE_NONE = 0} … {@code AXCL_DATA_TYPE_FP64 = 16};
 * {@code shared/facts/boards.md}: FP16=13, BF16=14, FP32=15). A value npu4j does not know maps to
 * {@link #UNKNOWN}.
 */
public enum DataType {
    NONE(0, 0),
    INT4(1, 4),
    UINT4(2, 4),
    INT8(3, 8),
    UINT8(4, 8),
    INT16(5, 16),
    UINT16(6, 16),
    INT32(7, 32),
    UINT32(8, 32),
    INT64(9, 64),
    UINT64(10, 64),
    FP4(11, 4),
    FP8(12, 8),
    FP16(13, 16),
    BF16(14, 16),
    FP32(15, 32),
    FP64(16, 64),
    /** A value outside the header's enum. */
    UNKNOWN(-1, 0);

    private final int value;
    private final int bits;

    DataType(int value, int bits) {
        this.value = value;
        this.bits = bits;
    }

    /** The {@code axclrtEngineDataType} value; -1 for {@link #UNKNOWN}. */
    public int value() {
        return value;
    }

    /** Bits per element (4 for the 4-bit types); 0 for {@link #NONE} and {@link #UNKNOWN}. */
    public int bits() {
        return bits;
    }

    /** The type with this {@code axclrtEngineDataType} value, or {@link #UNKNOWN}. */
    public static DataType of(int value) {
        DataType[] all = values();
        return value >= 0 && value < all.length - 1 ? all[value] : UNKNOWN;
    }
}
