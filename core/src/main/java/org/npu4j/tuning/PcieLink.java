package org.npu4j.tuning;

/**
 * A PCIe link's speed and width, as the {@code *_link_speed}/{@code *_link_width} sysfs files or
 * the Link Capabilities/Status registers report them.
 *
 * <p>Effective bandwidth = speed (GT/s) x lanes x encoding efficiency / 8 bits, per direction:
 * Gen1 (2.5 GT/s) and Gen2 (5 GT/s) use 8b/10b (80%), Gen3 and later 128b/130b. A Gen2 x1 link
 * (the CM3588 NAS M.2 slot) gives 500 000 000 bytes/s; the AX650N's own capability is Gen2 x2.
 *
 * @param speedGTs transfer rate in GT/s per lane (2.5, 5, 8, 16, 32, 64)
 * @param width    number of lanes
 */
public record PcieLink(double speedGTs, int width) {

    /** Checks the values. */
    public PcieLink {
        if (!(speedGTs > 0) || width <= 0) {
            throw new IllegalArgumentException("A PCIe link needs a positive speed and width: " + speedGTs + " GT/s x" + width);
        }
    }

    /** The PCIe generation of the speed: 1 (2.5 GT/s) to 6 (64 GT/s); 0 if not a standard rate. */
    public int generation() {
        double[] rates = {2.5, 5, 8, 16, 32, 64};
        for (int i = 0; i < rates.length; i++) {
            if (Math.abs(speedGTs - rates[i]) < 0.01) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The fraction of raw bits carrying data: 0.8 (8b/10b) up to 5 GT/s, 128/130 above. */
    public double encodingEfficiency() {
        return speedGTs <= 5.0 + 1e-9 ? 0.8 : 128.0 / 130.0;
    }

    /** Payload bandwidth per direction in bytes per second (before TLP/DLLP overhead). */
    public long effectiveBytesPerSecond() {
        return Math.round(speedGTs * 1e9 * width * encodingEfficiency() / 8);
    }

    /** The speed of a Link Capabilities/Status speed field (1 = 2.5 GT/s ... 6 = 64 GT/s); 0 if unknown. */
    static double speedOfCode(int code) {
        return switch (code) {
            case 1 -> 2.5;
            case 2 -> 5;
            case 3 -> 8;
            case 4 -> 16;
            case 5 -> 32;
            case 6 -> 64;
            default -> 0;
        };
    }

    /** E.g. {@code Gen2 x1 (5 GT/s)}. */
    @Override
    public String toString() {
        String speed = speedGTs == Math.rint(speedGTs) ? Long.toString((long) speedGTs) : Double.toString(speedGTs);
        int gen = generation();
        return (gen > 0 ? "Gen" + gen + " " : "") + "x" + width + " (" + speed + " GT/s)";
    }
}
