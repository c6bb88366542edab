package org.npu4j.tuning;

/**
 * A CPU core design, identified by the {@code CPU implementer} and {@code CPU part} fields of
 * {@code /proc/cpuinfo} on Arm (implementer {@code 0x41} = Arm Ltd.). RK3588: Cortex-A55 + A76;
 * RK3576: A53 + A72; Raspberry Pi 5: A76. Anything else (other implementers, x86) is
 * {@link #UNKNOWN}; its description comes from {@code model name} where there is one.
 */
public enum CoreType {
    /** Cortex-A53, part {@code 0xd03} (RK3576 little cores). */
    CORTEX_A53("Cortex-A53", 0xd03),
    /** Cortex-A55, part {@code 0xd05} (RK3588 little cores CPU0-3). */
    CORTEX_A55("Cortex-A55", 0xd05),
    /** Cortex-A72, part {@code 0xd08} (RK3576 big cores). */
    CORTEX_A72("Cortex-A72", 0xd08),
    /** Cortex-A76, part {@code 0xd0b} (RK3588 big cores CPU4-7, Raspberry Pi 5). */
    CORTEX_A76("Cortex-A76", 0xd0b),
    /** Not one of the above, or not an Arm core. */
    UNKNOWN("unknown", -1);

    /** The {@code CPU implementer} of Arm Ltd. designs. */
    public static final int ARM_IMPLEMENTER = 0x41;

    private final String displayName;
    private final int part;

    CoreType(String displayName, int part) {
        this.displayName = displayName;
        this.part = part;
    }

    /** E.g. {@code "Cortex-A76"}, or {@code "unknown"}. */
    public String displayName() {
        return displayName;
    }

    /** The {@code CPU part} number, or -1 for {@link #UNKNOWN}. */
    public int part() {
        return part;
    }

    /** The core type of an implementer/part pair from {@code /proc/cpuinfo}. */
    public static CoreType of(int implementer, int part) {
        if (implementer == ARM_IMPLEMENTER) {
            for (CoreType t : values()) {
                if (t.part == part && t != UNKNOWN) {
                    return t;
                }
            }
        }
        return UNKNOWN;
    }
}
