package org.npu4j.bench;

import java.util.concurrent.TimeUnit;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.axcl.AxclRuntime;
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
 * One AXCL engine call through a reused {@link AxBinding}, the Java side of
 * {@code native/bench/axcl_execute_bench}: host to device copy of the input, execute, device to host
 * copy of the output, on the emulated runtime's {@code identity-small} model (1x256 fp32 in and out)
 * with {@code NPU4J_EMULATOR_SPEED=0}.
 *
 * <ul>
 *   <li>{@link #execute()} (average time): the mean ns per call; {@code -prof gc}'s
 *       {@code gc.alloc.rate.norm} is bytes per call (no JFR recording runs, so no event object).</li>
 *   <li>{@link #executeBatch()} (sample time, {@value #BATCH} calls per invocation): its {@code p0.50} is
 *       the median over invocations of an invocation's ns per call, the statistic the C driver reports as
 *       {@code median_batch_ns_per_call} over batches of the same size; {@code overhead.sh} compares the
 *       medians, which a preemption on a shared, loaded machine moves far less than the means.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class AxclExecuteBenchmark {
    /** Calls per {@link #executeBatch()} invocation; {@code BENCH_BATCH} of {@code native/bench/bench_args.h} is the same. */
    public static final int BATCH = 1000;

    private AxclRuntime runtime;
    private AxModel model;
    private AxSession session;
    private AxBinding binding;

    /** Opens the emulated card, loads identity-small and binds its buffers once. */
    @Setup(Level.Trial)
    public void open() {
        Posix.setenv("NPU4J_EMULATOR_SPEED", "0");
        runtime = AxclRuntime.acquire(AxclRuntime.Options.emulator());
        model = runtime.device().load(Emulator.model("axcl", "identity-small.model"));
        session = model.newSession();
        binding = session.bind();
    }

    /** Closes everything (the runtime finalises). */
    @TearDown(Level.Trial)
    public void close() {
        binding.close();
        session.close();
        model.close();
        runtime.close();
    }

    /** One call on the reused binding. */
    @Benchmark
    public void execute() {
        binding.run();
    }

    /** {@value #BATCH} calls on the reused binding, timed together; scores are per call. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OperationsPerInvocation(BATCH)
    public void executeBatch() {
        for (int i = 0; i < BATCH; i++) {
            binding.run();
        }
    }
}
