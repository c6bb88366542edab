package org.npu4j.llm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import org.npu4j.llm.spi.LanguageModelProvider;
import org.npu4j.metrics.LatencyRecorder;

/**
 * A loaded language model on an NPU, whatever the backend: an {@code .rkllm} file on a Rockchip NPU
 * (RKLLM runtime) or an ax-llm package directory on an Axera AX650N card (AXCL runtime), or either on
 * npu4j's emulated runtimes.
 *
 * {@snippet :
 * try (LanguageModel model = LanguageModel.open(Path.of("Qwen3-0.6B-ax650"))) {
 *     Completion c = model.chat().systemPrompt("You are terse.").send("What is an NPU?",
 *             TokenListener.onText(System.out::print));
 *     System.out.printf("%nTTFT %.0f ms%n", c.timings().ttftNanos() / 1e6);
 * }
 * }
 *
 * <h2>Threading</h2>
 * Thread-safe. A model runs one generation at a time (one KV cache): concurrent calls wait their turn,
 * in arrival order. Listeners are called on the backend's thread ({@link TokenListener}).
 *
 * <h2>Stopping</h2>
 * {@link #abort()}, cancelling the future of {@link #generateAsync} or the subscription of
 * {@link #stream}, and {@link #close()} stop a run at the backend's next token or callback, whenever they
 * are issued (also just before the run starts).
 */
public interface LanguageModel extends AutoCloseable {

    /**
     * Opens a model file or package directory with the backend that accepts it: {@code *.rkllm} on
     * RKLLM, a directory holding an ax-llm package ({@code config.json} and {@code *.axmodel} layers) on
     * AXCL.
     *
     * @throws IllegalArgumentException if no backend accepts {@code path}, naming what each expects
     * @throws org.npu4j.NpuException   if the runtime or the model fails to load
     */
    static LanguageModel open(Path path, LoadOptions options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        List<String> names = new ArrayList<>();
        for (LanguageModelProvider p : providers()) {
            if (p.accepts(path)) {
                return p.open(path, options);
            }
            names.add(p.backend());
        }
        throw new IllegalArgumentException(path + " is not a model of any backend (" + String.join(", ", names)
                + "): expected an .rkllm file (RKLLM) or an ax-llm package directory with config.json and"
                + " *.axmodel files (AXCL)");
    }

    /** {@link #open(Path, LoadOptions)} with the defaults. */
    static LanguageModel open(Path path) {
        return open(path, LoadOptions.DEFAULTS);
    }

    /**
     * Opens an emulator profile ({@link #emulatorProfiles()}) on npu4j's emulated runtime of its backend.
     *
     * @throws IllegalArgumentException for an unknown profile, listing the known ones
     */
    static LanguageModel openEmulator(String profile, LoadOptions options) {
        Objects.requireNonNull(profile, "profile");
        for (LanguageModelProvider p : providers()) {
            if (p.emulatorProfiles().contains(profile)) {
                return p.openEmulator(profile, options.withEmulator(true));
            }
        }
        throw new IllegalArgumentException("unknown emulator profile \"" + profile + "\": expected one of "
                + emulatorProfiles());
    }

    /** Every emulator profile of every backend. */
    static List<String> emulatorProfiles() {
        List<String> all = new ArrayList<>();
        for (LanguageModelProvider p : providers()) {
            all.addAll(p.emulatorProfiles());
        }
        return all;
    }

    private static List<LanguageModelProvider> providers() {
        List<LanguageModelProvider> list = new ArrayList<>();
        ServiceLoader.load(LanguageModelProvider.class, LanguageModel.class.getClassLoader()).forEach(list::add);
        return list;
    }

    /** What the model is and runs on. */
    ModelInfo info();

    /** {@link ModelInfo#name()}. */
    default String name() {
        return info().name();
    }

    /**
     * Runs {@code request} and blocks until it ends.
     *
     * @return the answer taken apart, with its statistics; {@link Outcome#ABORTED} if a stop ended it
     * @throws IllegalArgumentException if the request does not fit the model (context length, a
     *                                  capability it lacks), naming what was wrong
     * @throws IllegalStateException    if the model is closed
     * @throws org.npu4j.NpuException   if the runtime fails
     * @throws RuntimeException         whatever the listener threw, as it was thrown
     */
    Completion generate(LlmRequest request, TokenListener listener);

    /** {@link #generate(LlmRequest, TokenListener)} without a listener. */
    default Completion generate(LlmRequest request) {
        return generate(request, TokenListener.NONE);
    }

    /**
     * Runs {@code request} on another thread. Cancelling the returned future stops the run (or keeps it
     * from starting); the future completes exceptionally with what {@link #generate} would throw.
     */
    CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener);

    /**
     * The tokens of {@code request} as a cold {@link Flow.Publisher}: each subscription runs it once.
     * Demand is honoured by making the backend wait; {@code cancel()} stops the run.
     */
    Flow.Publisher<Token> stream(LlmRequest request);

    /**
     * Stops the running generation at its next token. Does not wait.
     *
     * @return true if a generation was running
     */
    boolean abort();

    /**
     * The token ids this model would prefill for {@code request} on an empty KV cache (its chat template,
     * system prompt and tokenizer applied), when the backend tokenizes on the host (AXCL); empty when
     * the runtime tokenizes itself (RKLLM). Runs nothing on the NPU; thread-safe.
     *
     * @throws IllegalStateException if the model is closed
     */
    default java.util.Optional<int[]> promptTokenIds(LlmRequest request) {
        java.util.Objects.requireNonNull(request, "request");
        return java.util.Optional.empty();
    }

        /** Latency histograms of this model's runs (TTFT, inter-token, prefill, per engine call stage). */
    LatencyRecorder latency();

    /** A new conversation with this model. */
    default ChatSession chat() {
        return new ChatSession(this);
    }

    /**
     * Stops a running generation, waits for it to end, and frees the model (native and device memory).
     * Idempotent.
     */
    @Override
    void close();
}
