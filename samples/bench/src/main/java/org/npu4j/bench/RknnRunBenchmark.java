package org.npu4j.bench;

import java.util.concurrent.TimeUnit;
import org.npu4j.Emulator;
import org.npu4j.rknn.RknnBinding;
import org.npu4j.rknn.RknnModel;
import org.npu4j.rknn.RknnRuntime;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One zero-copy RKNN run through a reused {@link RknnBinding}, the Java side of
 * {@code native/bench/rknn_run_bench}: {@code rknn_run} on memories bound once, on the emulated
 * runtime's {@code identity-tiny} model (UINT8 NHWC 4x4x4 in, INT8 NCHW out) with
 * {@code NPU4J_EMULATOR_SPEED=0}.
 *
 * <ul>
 *   <li>{@link #run()} (average time): the mean ns per call; {@code -prof gc}'s
 *       {@code gc.alloc.rate.norm} is bytes per call (no JFR recording runs, so no event object).</li>
 *   <li>{@link #runBatch()} (sample time, {@value #BATCH} calls per invocation): its {@code p0.50} is the
 *       median over invocations of an invocation's ns per call, the statistic the C driver reports as
 *       {@code median_batch_ns_per_call} over batches of the same size. On a shared, loaded machine a
 *       preemption lands in a few batches and moves the mean of both sides by hundreds of ns from run to
 *       run, the medians far less: {@code overhead.sh} compares the medians.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class RknnRunBenchmark {
    /** Calls per {@link #runBatch()} invocation; {@code BENCH_BATCH} of {@code native/bench/bench_args.h} is the same. */
    public static final int BATCH = 1000;

    private RknnModel model;
    private RknnBinding binding;

    /** Loads identity-tiny on the emulated runtime and binds its memories once. */
    @Setup(Level.Trial)
    public void open() {
        Posix.setenv("NPU4J_EMULATOR_SPEED", "0");
        model = RknnRuntime.emulator().open(Emulator.model("rknn", "identity-tiny.model"));
        binding = model.context().bind();
    }

    /** Closes the binding and the model. */
    @TearDown(Level.Trial)
    public void close() {
        binding.close();
        model.close();
    }

    /** One run on the reused binding. */
    @Benchmark
    public void run() {
        binding.run();
    }

    /** {@value #BATCH} runs on the reused binding, timed together; scores are per run. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OperationsPerInvocation(BATCH)
    public void runBatch() {
        for (int i = 0; i < BATCH; i++) {
            binding.run();
        }
    }
}
