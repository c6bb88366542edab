package org.npu4j.metrics;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latency histograms of one model (or one session), one HdrHistogram {@link Recorder} per
 * {@link Stage}, all values in nanoseconds, 3 significant digits, auto-resizing (no upper bound).
 *
 * <p>Every npu4j API records into one of these: an RKLLM model per run (TTFT, inter-token,
 * prefill, generation), an AXCL model per engine call (host to device, execute, device to host),
 * the samples their host-side pre- and post-processing.
 *
 * <p>Thread safety: {@link #record} is wait-free and may be called from any number of threads at
 * once, including runtime callback threads; it allocates nothing once the histograms cover the
 * range of values seen (a value beyond it resizes that histogram once). {@link #snapshot()} and
 * {@link #reset()} may be called from any thread; they are serialised with each other. A snapshot
 * takes the interval since the previous snapshot and adds it to the running total.
 *
 * {@snippet :
 * LatencyRecorder latency = model.metrics();          // or an AXCL model's latency()
 * // ... runs ...
 * LatencySnapshot s = latency.snapshot();
 * System.out.print(s.percentileTable());              // p50, p90, p99, p99.9, max per stage
 * Files.writeString(Path.of("latency.csv"), s.csv());
 * }
 */
public final class LatencyRecorder {
    private final String name;
    private final EnumMap<Stage, Recorder> recorders = new EnumMap<>(Stage.class);
    private final EnumMap<Stage, Histogram> total = new EnumMap<>(Stage.class);
    private final EnumMap<Stage, Histogram> recycled = new EnumMap<>(Stage.class);
    private final long startEpochMillis = System.currentTimeMillis();

    /** @param name what is measured (a model file name, an emulator profile), used in reports */
    public LatencyRecorder(String name) {
        this.name = Objects.requireNonNull(name, "name");
        for (Stage s : Stage.values()) {
            recorders.put(s, new Recorder(3));
            total.put(s, new Histogram(3));
        }
    }

    /** What is measured, as given to the constructor. */
    public String name() {
        return name;
    }

    /**
     * Records one latency.
     *
     * @param stage what was measured
     * @param nanos the latency in nanoseconds; negative values are recorded as 0
     */
    public void record(Stage stage, long nanos) {
        recorders.get(stage).recordValue(Math.max(0, nanos));
    }

    /**
     * Records a latency measured in a loop that should have run every {@code expectedIntervalNanos}
     * (HdrHistogram's correction for coordinated omission: stalls also count the calls they delayed).
     */
    public void record(Stage stage, long nanos, long expectedIntervalNanos) {
        recorders.get(stage).recordValueWithExpectedInterval(Math.max(0, nanos), expectedIntervalNanos);
    }

    /**
     * Takes the values recorded since the previous snapshot (the interval) and the running total.
     * The returned histograms are copies owned by the caller.
     */
    public synchronized LatencySnapshot snapshot() {
        long now = System.currentTimeMillis();
        Map<Stage, Histogram> interval = new EnumMap<>(Stage.class);
        Map<Stage, Histogram> cumulative = new EnumMap<>(Stage.class);
        for (Stage s : Stage.values()) {
            Histogram h = recorders.get(s).getIntervalHistogram(recycled.get(s));
            recycled.put(s, h);
            total.get(s).add(h);
            interval.put(s, h.copy());
            cumulative.put(s, total.get(s).copy());
        }
        return new LatencySnapshot(name, startEpochMillis, now, Collections.unmodifiableMap(interval),
                Collections.unmodifiableMap(cumulative));
    }

    /** Discards everything recorded so far. */
    public synchronized void reset() {
        for (Stage s : Stage.values()) {
            recorders.get(s).reset();
            total.get(s).reset();
        }
    }
}
