package org.npu4j.bench;

import java.util.concurrent.TimeUnit;
import org.npu4j.Emulator;
import org.npu4j.rkllm.GenerationListener;
import org.npu4j.rkllm.GenerationRequest;
import org.npu4j.rkllm.GenerationResult;
import org.npu4j.rkllm.Input;
import org.npu4j.rkllm.RkllmAbi;
import org.npu4j.rkllm.RkllmModel;
import org.npu4j.rkllm.RkllmRuntime;
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
 * Token streaming through the RKLLM Java API, the Java side of {@code native/bench/rkllm_stream_bench}:
 * one generation of {@value #TOKENS} tokens from the emulated RK3588 Qwen3-0.6B (RKLLM 1.3.0 ABI,
 * {@code NPU4J_EMULATOR_SPEED=0}: no board delays), with the C driver's prompt and settings
 * ({@code max_context_len} 4096, {@code ignore_eos_token}, {@code skip_special_token}), delivered to a
 * listener that does nothing. One JMH operation is one token ({@link OperationsPerInvocation}), so the
 * score is ns per token and {@code -prof gc}'s {@code gc.alloc.rate.norm} is bytes per token.
 *
 * <p>What the Java side adds per token: the upcall, npu4j's callback (reading the result struct,
 * UTF-8 decoding, two latency records, the listener call) and what {@link RkllmModel#generate} keeps
 * for its {@link GenerationResult} (the text and the token ids).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class RkllmStreamBenchmark {
    /** Tokens per generation (per JMH invocation). */
    public static final int TOKENS = 20_000;
    /** The prompt of the C driver {@code rkllm_stream_bench}. */
    static final String PROMPT = "Write a very long story about rivers, boards and memory.";

    /**
     * A listener that does nothing with the tokens, but is not {@link GenerationListener#NONE}: the
     * text of every token is decoded and handed over as it would be to an application's listener.
     */
    private static final GenerationListener NO_OP = new GenerationListener() {
        @Override
        public void onToken(String text, int tokenId) {
            // nothing
        }
    };

    private RkllmModel model;
    private GenerationRequest request;

    /** Loads the emulated runtime and model with the board delays off. */
    @Setup(Level.Trial)
    public void load() {
        Posix.setenv("NPU4J_EMULATOR_SPEED", "0");
        model = RkllmModel.builder(Emulator.model("rkllm", "rk3588-qwen3-0.6b-w8a8.model"))
                .runtime(RkllmRuntime.emulator(RkllmAbi.V1_3))
                .maxContextLen(4096)
                .maxNewTokens(TOKENS)
                .ignoreEosToken(true)
                .skipSpecialToken(true)
                .load();
        request = GenerationRequest.builder(Input.prompt(PROMPT)).maxNewTokens(TOKENS).build();
    }

    /** Closes the model. */
    @TearDown(Level.Trial)
    public void close() {
        model.close();
    }

    /** One generation of {@value #TOKENS} tokens; fails if the runtime delivered another count. */
    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public GenerationResult stream() {
        GenerationResult r = model.generate(request, NO_OP);
        if (r.tokenCount() != TOKENS) {
            throw new IllegalStateException("expected " + TOKENS + " tokens, got " + r.tokenCount());
        }
        return r;
    }
}
