package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Rockchip NPU driver as the host reports it: driver version, per-core load and the NPU's
 * devfreq device.
 *
 * <p>Sources (boards.md): {@code /sys/kernel/debug/rknpu/version} ("RKNPU driver: v0.9.8"; debugfs,
 * root only) or else {@code /sys/module/rknpu/version}; {@code /sys/kernel/debug/rknpu/load}
 * ("NPU load:  Core0:  0%, Core1:  0%, Core2:  0%,"); {@code /sys/class/devfreq/fdab0000.npu} on
 * RK3588 (other SoCs: the devfreq device whose name ends in {@code .npu}). RKLLM needs driver
 * 0.9.8 or later.
 *
 * @param driverVersion the version number, e.g. {@code 0.9.8}, if a version file exists
 * @param versionFile   the file it was read from
 * @param loadPercent   per NPU core load in percent (core 0 first), if the load file exists
 * @param devfreq       the NPU's devfreq device, if present
 */
public record RockchipNpu(Optional<String> driverVersion, Optional<String> versionFile, List<Integer> loadPercent,
        Optional<NpuDevfreq> devfreq) {
    static final String DEBUG_VERSION = "/sys/kernel/debug/rknpu/version";
    static final String MODULE_VERSION = "/sys/module/rknpu/version";
    static final String LOAD = "/sys/kernel/debug/rknpu/load";
    static final String DEVFREQ = "/sys/class/devfreq";
    static final String RK3588_DEVFREQ = DEVFREQ + "/fdab0000.npu";
    /** RK3576's NPU devfreq device (rknn-llm v1.3.0 fix-frequency script). */
    static final String RK3576_DEVFREQ = DEVFREQ + "/27700000.npu";
    /** The oldest driver RKLLM works with. */
    public static final String MIN_DRIVER_FOR_RKLLM = "0.9.8";

    private static final Pattern VERSION = Pattern.compile("v?(\\d+\\.\\d+(?:\\.\\d+)?)");
    private static final Pattern CORE_LOAD = Pattern.compile("Core(\\d+):\\s*(\\d+)%");
    private static final Pattern ANY_LOAD = Pattern.compile("(\\d+)%");

    /** Checks the values and makes the lists immutable. */
    public RockchipNpu {
        loadPercent = List.copyOf(loadPercent);
    }

    /**
     * Reads what the host exposes of the Rockchip NPU driver; empty when none of its files exist
     * (no Rockchip NPU, or the driver is not loaded).
     *
     * @throws HostFileException naming the file if a version, load or devfreq file exists but does
     *                           not hold what is described above
     */
    public static Optional<RockchipNpu> read(HostFiles files) {
        Optional<String> versionFile = files.exists(DEBUG_VERSION) ? Optional.of(DEBUG_VERSION)
                : files.exists(MODULE_VERSION) ? Optional.of(MODULE_VERSION) : Optional.empty();
        Optional<String> version = versionFile.map(f -> {
            String text = files.read(f);
            Matcher m = VERSION.matcher(text);
            if (!m.find()) {
                throw Parse.malformed(files, f, "a driver version such as \"RKNPU driver: v0.9.8\"", text);
            }
            return m.group(1);
        });
        List<Integer> load = new ArrayList<>();
        if (files.exists(LOAD)) {
            String text = files.read(LOAD);
            Matcher m = CORE_LOAD.matcher(text);
            while (m.find()) {
                load.add(Integer.parseInt(m.group(2)));
            }
            if (load.isEmpty()) {
                Matcher any = ANY_LOAD.matcher(text);
                if (any.find()) {
                    load.add(Integer.parseInt(any.group(1)));
                } else {
                    throw Parse.malformed(files, LOAD, "\"NPU load:  Core0:  N%, ...\"", text);
                }
            }
        }
        Optional<NpuDevfreq> devfreq = devfreqDirectory(files).map(d -> readDevfreq(files, d));
        if (versionFile.isEmpty() && !files.exists(LOAD) && devfreq.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RockchipNpu(version, versionFile, load, devfreq));
    }

    private static Optional<String> devfreqDirectory(HostFiles files) {
        for (String known : List.of(RK3588_DEVFREQ, RK3576_DEVFREQ)) {
            if (files.exists(known)) {
                return Optional.of(known);
            }
        }
        return files.list(DEVFREQ).stream().filter(n -> n.endsWith(".npu")).findFirst().map(n -> DEVFREQ + "/" + n);
    }

    /** Reads one devfreq directory (governor, available governors and frequencies, cur_freq, userspace/set_freq). */
    static NpuDevfreq readDevfreq(HostFiles files, String dir) {
        List<String> governors = files.exists(dir + "/available_governors")
                ? Parse.words(files, dir + "/available_governors", "governor names separated by spaces")
                : List.of();
        String governor = Parse.governor(files, dir + "/governor", governors);
        List<Long> freqs = files.exists(dir + "/available_frequencies")
                ? Parse.longList(files, dir + "/available_frequencies", "frequencies in Hz separated by spaces")
                : List.of();
        Optional<Long> cur = Parse.optionalLong(files, dir + "/cur_freq", "a frequency in Hz");
        Optional<Long> set = Parse.optionalLong(files, dir + "/userspace/set_freq", "a frequency in Hz");
        return new NpuDevfreq(dir, governor, governors, freqs, cur, set);
    }

    /** Whether the driver is at least {@link #MIN_DRIVER_FOR_RKLLM}; empty if the version is unknown. */
    public Optional<Boolean> driverSupportsRkllm() {
        return driverVersion.map(v -> compareVersions(v, MIN_DRIVER_FOR_RKLLM) >= 0);
    }

    /** Compares dotted version numbers numerically ({@code 0.9.10 > 0.9.8}). */
    static int compareVersions(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int p = i < x.length ? Integer.parseInt(x[i]) : 0;
            int q = i < y.length ? Integer.parseInt(y[i]) : 0;
            if (p != q) {
                return Integer.compare(p, q);
            }
        }
        return 0;
    }
}
