package org.npu4j.metrics;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;
import org.jspecify.annotations.Nullable;

/**
 * Latency histograms of one model (or one session), one HdrHistogram {@link Recorder} per
 * {@link Stage}, all values in nanoseconds, 3 significant digits, auto-resizing (no upper bound).
 *
 * <p>Every npu4j API records into one of these: an RKLLM model per run (TTFT, inter-token,
 * prefill, generation), an AXCL model per engine call (host to device, execute, device to host),
 * the samples their host-side pre- and post-processing.
 *
 * <p>Two ways to record. {@link #record} may be called from any number of threads at once (each
 * value goes through a concurrent {@link Recorder}: a few atomic updates). A {@link Writer} from
 * {@link #newWriter} serves one writer at a time (an IO binding that runs one call at a time, a
 * model whose callbacks come one after the other) through {@link SingleWriterRecorder}s: two atomic
 * updates per value, a third of the cost on the hot paths; its values join the same snapshots.
 *
 * <p>Thread safety: {@link #record} is wait-free and thread-safe; it allocates nothing once the
 * histograms cover the range of values seen (a value beyond it resizes that histogram once).
 * {@link #snapshot()}, {@link #reset()}, {@link #newWriter} and {@link Writer#close()} may be called
 * from any thread; they are serialised with each other. A snapshot takes the interval since the
 * previous snapshot and adds it to the running total.
 *
 * {@snippet :
 * LatencyRecorder latency = model.latency();          // an RKLLM or an AXCL model
 * // ... runs ...
 * LatencySnapshot s = latency.snapshot();
 * System.out.print(s.percentileTable());              // p50, p90, p99, p99.9, max per stage
 * Files.writeString(Path.of("latency.csv"), s.csv());
 * }
 */
public final class LatencyRecorder {
    private static final Stage[] STAGES = Stage.values();

    private final String name;
    /** Indexed by {@link Stage#ordinal()}. */
    private final Recorder[] recorders = new Recorder[STAGES.length];
    private final Histogram[] total = new Histogram[STAGES.length];
    private final @Nullable Histogram[] recycled = new Histogram[STAGES.length];
    /** Values of writers closed since the last snapshot, per stage; guarded by this. */
    private final Histogram[] closedWriters = new Histogram[STAGES.length];
    private final List<Writer> writers = new CopyOnWriteArrayList<>();
    private final long startEpochMillis = System.currentTimeMillis();

    /** @param name what is measured (a model file name, an emulator profile), used in reports */
    public LatencyRecorder(String name) {
        this.name = Objects.requireNonNull(name, "name");
        for (int i = 0; i < STAGES.length; i++) {
            recorders[i] = new Recorder(3);
            total[i] = new Histogram(3);
            closedWriters[i] = new Histogram(3);
        }
    }

    /** What is measured, as given to the constructor. */
    public String name() {
        return name;
    }

    /**
     * Records one latency. Thread-safe and wait-free.
     *
     * @param stage what was measured
     * @param nanos the latency in nanoseconds; negative values are recorded as 0
     */
    public void record(Stage stage, long nanos) {
        recorders[stage.ordinal()].recordValue(Math.max(0, nanos));
    }

    /**
     * Records a latency measured in a loop that should have run every {@code expectedIntervalNanos}
     * (HdrHistogram's correction for coordinated omission: stalls also count the calls they delayed).
     */
    public void record(Stage stage, long nanos, long expectedIntervalNanos) {
        recorders[stage.ordinal()].recordValueWithExpectedInterval(Math.max(0, nanos), expectedIntervalNanos);
    }

    /**
     * A writer for one writer at a time, for {@code stages} (other stages go through {@link #record}).
     * Close it when its owner is done; what it recorded stays in the recorder.
     */
    public synchronized Writer newWriter(Stage... stages) {
        Writer w = new Writer(this, stages.length == 0 ? EnumSet.allOf(Stage.class) : EnumSet.of(stages[0], stages));
        writers.add(w);
        return w;
    }

    /**
     * Takes the values recorded since the previous snapshot (the interval) and the running total.
     * The returned histograms are copies owned by the caller.
     */
    public synchronized LatencySnapshot snapshot() {
        long now = System.currentTimeMillis();
        Map<Stage, Histogram> interval = new EnumMap<>(Stage.class);
        Map<Stage, Histogram> cumulative = new EnumMap<>(Stage.class);
        for (int i = 0; i < STAGES.length; i++) {
            Histogram h = recorders[i].getIntervalHistogram(recycled[i]);
            recycled[i] = h;
            for (Writer w : writers) {
                w.drain(i, h);
            }
            if (closedWriters[i].getTotalCount() > 0) {
                h.add(closedWriters[i]);
                closedWriters[i].reset();
            }
            total[i].add(h);
            interval.put(STAGES[i], h.copy());
            cumulative.put(STAGES[i], total[i].copy());
        }
        return new LatencySnapshot(name, startEpochMillis, now, Collections.unmodifiableMap(interval),
                Collections.unmodifiableMap(cumulative));
    }

    /** Discards everything recorded so far (by {@link #record} and by the open writers). */
    public synchronized void reset() {
        for (int i = 0; i < STAGES.length; i++) {
            recorders[i].reset();
            total[i].reset();
            closedWriters[i].reset();
            for (Writer w : writers) {
                w.reset(i);
            }
        }
    }

    private synchronized void closed(Writer w) {
        if (writers.remove(w)) {
            for (int i = 0; i < STAGES.length; i++) {
                w.drain(i, closedWriters[i]);
            }
        }
    }

    /**
     * Records into its {@link LatencyRecorder} for one writer at a time: one HdrHistogram
     * {@link SingleWriterRecorder} per stage it was made for.
     *
     * <p>Thread safety: {@link #record} must not be called by two threads at once; successive callers
     * on different threads need a happens-before edge between their calls (a lock, a volatile
     * hand-over: what makes an object "one call at a time" gives it). Snapshots of the recorder may run
     * at any time from any thread. {@link #close()} is thread-safe and idempotent; call it after the
     * last {@link #record} (a value recorded while it runs may be lost); recording after it goes
     * through {@link LatencyRecorder#record}.
     */
    public static final class Writer implements AutoCloseable {
        private final LatencyRecorder owner;
        private final @Nullable SingleWriterRecorder[] recorders = new SingleWriterRecorder[STAGES.length];
        private final @Nullable Histogram[] recycled = new Histogram[STAGES.length];
        private volatile boolean closed;

        private Writer(LatencyRecorder owner, EnumSet<Stage> stages) {
            this.owner = owner;
            for (Stage s : stages) {
                recorders[s.ordinal()] = new SingleWriterRecorder(3);
            }
        }

        /**
         * Records one latency (one writer at a time, see the class description).
         *
         * @param nanos the latency in nanoseconds; negative values are recorded as 0
         */
        public void record(Stage stage, long nanos) {
            SingleWriterRecorder r = recorders[stage.ordinal()];
            if (r == null || closed) {
                owner.record(stage, nanos);
            } else {
                r.recordValue(Math.max(0, nanos));
            }
        }

        /** Stops this writer; its values stay in the recorder (they join the next snapshot). */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                owner.closed(this);
            }
        }

        /** Adds the values recorded since the last drain of stage {@code i} to {@code into}; under the owner's lock. */
        private void drain(int i, Histogram into) {
            SingleWriterRecorder r = recorders[i];
            if (r != null) {
                Histogram h = r.getIntervalHistogram(recycled[i]);
                recycled[i] = h;
                if (h.getTotalCount() > 0) {
                    into.add(h);
                }
            }
        }

        private void reset(int i) {
            SingleWriterRecorder r = recorders[i];
            if (r != null) {
                r.reset();
            }
        }
    }
}
