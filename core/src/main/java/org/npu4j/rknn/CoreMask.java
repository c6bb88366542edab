package org.npu4j.rknn;

/**
 * NPU cores a context runs on ({@code rknn_core_mask}, {@code rknn_set_core_mask}). RK3588 has three
 * cores, RK3576 two (no {@link #CORE_2}, {@link #CORE_0_1_2}); other SoCs accept only {@link #AUTO}
 * (rknpu 0.9.8, shared/facts/rknn.md "Core masks"). A mask the SoC does not have is refused by the
 * runtime with {@link RknnError#PARAM_INVALID} ("Not support core mask") or
 * {@link RknnError#TARGET_PLATFORM_UNMATCH}.
 *
 * <p>Immutable: safe from any thread.
 */
public enum CoreMask {
    /** The runtime picks an idle core. */
    AUTO(0), CORE_0(1), CORE_1(2), CORE_2(4), CORE_0_1(3), CORE_0_1_2(7),
    /** Every core of the SoC (2.0.0-beta0+). */
    ALL(0xffff);

    private final int value;

    CoreMask(int value) {
        this.value = value;
    }

    /** The C value. */
    public int value() {
        return value;
    }
}
