package org.npu4j.bench;

import java.util.concurrent.TimeUnit;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What recording costs on the hot paths: one {@link LatencyRecorder#record} (an AXCL call makes three,
 * an RKLLM token two), the same through a {@link LatencyRecorder.Writer}, and the
 * {@link System#nanoTime()} that goes with each; one thread, as a binding or a generation is.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LatencyRecorderBenchmark {
    private final LatencyRecorder recorder = new LatencyRecorder("bench");
    private final LatencyRecorder.Writer writer = recorder.newWriter(Stage.EXECUTE);
    private long value = 1000;

    /** One record of a varying latency (1 to 4 µs). */
    @Benchmark
    public void record() {
        value = value * 6364136223846793005L + 1442695040888963407L;
        recorder.record(Stage.EXECUTE, 1000 + (value >>> 52));
    }

    /** One record through a single-writer {@link LatencyRecorder.Writer}. */
    @Benchmark
    public void writerRecord() {
        value = value * 6364136223846793005L + 1442695040888963407L;
        writer.record(Stage.EXECUTE, 1000 + (value >>> 52));
    }

    /** The clock read that goes with each recorded stage. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
