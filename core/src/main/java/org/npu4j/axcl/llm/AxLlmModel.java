package org.npu4j.axcl.llm;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.npu4j.NpuException;
import org.npu4j.axcl.AxCallCounts;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatMl;
import org.npu4j.llm.Completion;
import org.npu4j.llm.EngineCalls;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.JinjaChatTemplate;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Role;
import org.npu4j.llm.StopSequences;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * An ax-llm package ({@link AxLlmPackage}) running on an AX650N card through AXCL (or on npu4j's
 * emulated AXCL runtime), behind {@link LanguageModel}. Opened by {@link LanguageModel#open} for a
 * package directory, or by {@link #open(AxLlmPackage, AxclRuntime.Options, Options)}.
 *
 * <h2>Generation</h2>
 * The conversation is rendered by the model's own chat template when its HF tokenizer directory has one
 * ({@link JinjaChatTemplate}, {@code tokenizer_config.json}), else in ChatML ({@link ChatMl}); the
 * package's {@code system_prompt} is used when the
 * request has no system message, thinking as the request, else the package, says), tokenized, and
 * compared with the token ids the KV cache holds: only the tokens after the common prefix are
 * prefilled ({@link Capability#KV_REUSE}; a shorter common prefix just rewinds the cache). Then tokens
 * are sampled on the host ({@link Sampler}: the package's {@code post_config.json}, overridden per
 * request) and decoded one by one until a stop id of the tokenizer, the token limit or the context
 * length ({@link #contextLength()}). A prompt that does not fit the context is an
 * {@link IllegalArgumentException} naming both sizes; nothing is run.
 *
 * <h2>Images</h2>
 * A package with a vision encoder ({@link AxLlmPackage#vision()}; {@link Capability#IMAGES}) takes the
 * images of user messages: each becomes {@code <|vision_start|>}, T × {@code <|image_pad|>},
 * {@code <|vision_end|>} before the message's text (ax-llm's Qwen-VL template), and the encoder's T bf16
 * rows ({@link AxVisionEncoder}: letterboxed image, one run on the card) are written over the
 * placeholder rows of the prefill ({@code shared/facts/axllm.md}, "VLM"). T and the row width come from
 * the encoder's tensor info, checked against the hidden size at load. The KV cache is keyed by the
 * images' pixels as well as the token ids: a conversation that shows another image at a placeholder is
 * another conversation from there on, and an image the cache already holds is not encoded again. A
 * package without an encoder refuses messages with images ({@link IllegalArgumentException}), and so
 * does a text that holds placeholder tokens of its own; both before anything runs. Qwen-VL packages
 * whose layers take three rows of positions get mRoPE ids (temporal, height, width of each image token
 * on the encoder's token grid; text after an image continues from its largest id: {@link MropePositions}),
 * and Qwen3-VL encoders' deepstack outputs are added after the first layers ({@link AxLlmEngine}).
 *
 * <h2>Several cards</h2>
 * The layers may be split across AX650N cards ({@link Options#devices()}, or the package's
 * {@code devices}; one card, the first, by default): contiguous blocks per card, the post model on the
 * last, the hidden state through the host at each block boundary ({@link AxLlmEngine}, which cards and
 * which layers: {@link AxLlmDevices}). The answers are the tokens of a one-card run.
 *
 * <h2>Threading</h2>
 * Thread-safe. Requests run on the model's own platform thread ({@code npu4j-axcl-llm}), one after the
 * other in arrival order; listeners are called there. On one card every AXCL call runs on that thread,
 * which keeps the device context bound; on several, each card's calls run on its own thread
 * ({@code npu4j-axcl-llm-dev<id>}). Stops ({@link #abort()}, a cancelled future or subscription,
 * {@link #close()}) take effect before the next decoded token.
 */
public final class AxLlmModel implements LanguageModel {
    /**
     * Settings of the runner.
     *
     * @param name         the model's name, or null for the package's {@code model_name}
     * @param maxNewTokens tokens per answer when a request sets none; 0 = up to the context length
     * @param kvStrategy   {@code "copy"} (default: device-to-device copy of new K/V rows, as ax-llm) or
     *                     {@code "bind"} (decode binds {@code K_cache_out}/{@code V_cache_out} at the cache
     *                     row: no copy; not confirmed on a board yet)
     * @param deviceId     the AXCL device, or -1 for the package's {@code devices} (else the first card)
     * @param ignoreEos     true: answers run to their token limit, stop ids included ({@link Capability#IGNORE_EOS})
     * @param devices      AXCL device ids to split the layers across, in order (LoadOptions
     *                     {@code axcl.devices}); empty = {@code deviceId}. Checked at open
     *                     ({@link AxLlmDevices#resolve}): present, distinct, at most one per layer
     */
    public record Options(@Nullable String name, int maxNewTokens, String kvStrategy, int deviceId, boolean ignoreEos,
            List<Integer> devices) {
        public static final Options DEFAULTS = new Options(null, 0, "copy", -1, false);

        /** Options for one card ({@code deviceId}, or the package's {@code devices}). */
        public Options(@Nullable String name, int maxNewTokens, String kvStrategy, int deviceId, boolean ignoreEos) {
            this(name, maxNewTokens, kvStrategy, deviceId, ignoreEos, List.of());
        }

        /** Options that stop at the tokenizer's stop ids. */
        public Options(@Nullable String name, int maxNewTokens, String kvStrategy, int deviceId) {
            this(name, maxNewTokens, kvStrategy, deviceId, false);
        }

        public Options {
            if (maxNewTokens < 0) {
                throw new IllegalArgumentException("maxNewTokens = " + maxNewTokens + ": expected >= 0");
            }
            if (!kvStrategy.equals("copy") && !kvStrategy.equals("bind")) {
                throw new IllegalArgumentException("axcl.kv = " + kvStrategy + ": expected copy or bind");
            }
            devices = List.copyOf(devices);
        }

        /** These options on the cards {@code ids} (AXCL device ids), the layers split across them. */
        public Options withDevices(List<Integer> ids) {
            return new Options(name, maxNewTokens, kvStrategy, deviceId, ignoreEos, ids);
        }
    }

    private final AxLlmPackage pkg;
    private final AxclRuntime runtime;
    private final LlmTokenizer tokenizer;
    private final @Nullable JinjaChatTemplate chatTemplate;
    private final AxLlmEngine engine;
    static final String VISION_START = "<|vision_start|>";
    static final String VISION_END = "<|vision_end|>";
    static final String IMAGE_PAD = "<|image_pad|>";

    private final Sampler sampler;
    private final ModelInfo info;
    private final int maxNewTokens;
    private final boolean ignoreEos;
    private final LatencyRecorder latency;
    private final ExecutorService worker;
    /** The vision encoder, or null for a text-only package. */
    private final @Nullable AxVisionEncoder vision;
    /** The images' placeholders and rows (null without a vision encoder). */
    private final @Nullable AxImagePrompt imagePrompt;
    /**
     * What the KV cache holds, [0, engine.position()): token ids (>= 0), and for image tokens a negative
     * key of the image's pixels and the token's index in it ({@link #imageKey}). Touched on the worker only.
     */
    private final long[] cached;
    /** Decoded text of each token id that holds whole characters ({@link Utf8Stream}), filled lazily. */
    private final String[] pieces;
    private volatile @Nullable Run current;
    private volatile boolean closed;

    private AxLlmModel(AxLlmPackage pkg, AxclRuntime runtime, LlmTokenizer tokenizer,
            @Nullable JinjaChatTemplate chatTemplate, AxLlmEngine engine, @Nullable AxVisionEncoder vision, Options o,
            String name) {
        this.pkg = pkg;
        this.runtime = runtime;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.engine = engine;
        this.vision = vision;
        this.latency = new LatencyRecorder(name);
        this.imagePrompt = vision == null ? null : new AxImagePrompt(vision, tokenizer, name, latency,
                task -> engine.onFirstDevice(() -> {
                    task.run();
                    return null;
                }));
        this.sampler = new Sampler(pkg.vocab());
        this.maxNewTokens = o.maxNewTokens();
        this.ignoreEos = o.ignoreEos();
        this.cached = new long[engine.contextLength];
        this.pieces = new String[Math.max(pkg.vocab(), tokenizer.size())];
        this.worker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("npu4j-axcl-llm").unstarted(r));
        StringBuilder caps = new StringBuilder();
        for (int g = 1; g < engine.caps.length; g++) {
            caps.append(g == 1 ? "" : "/").append(engine.caps[g]);
        }
        EnumSet<Capability> capabilities = EnumSet.of(Capability.TOOLS, Capability.THINKING, Capability.SEED,
                Capability.KV_REUSE);
        if (vision != null) {
            capabilities.add(Capability.IMAGES);
        }
        if (o.ignoreEos()) {
            capabilities.add(Capability.IGNORE_EOS);
        }
        StringBuilder cards = new StringBuilder();
        int[][] blocks = engine.blocks();
        for (int i = 0; blocks.length > 1 && i < blocks.length; i++) {
            cards.append(i == 0 ? ", layers " : ", ").append(blocks[i][0]).append("-").append(blocks[i][1] - 1)
                    .append(" on device ").append(engine.devices().get(i).id());
        }
        this.info = new ModelInfo(name, "axcl", runtime.runtimeVersion().full(), runtime.isEmulator(), pkg.dir(),
                engine.contextLength, pkg.vocab(), engine.memoryBytes() + (vision == null ? 0 : vision.memoryBytes()),
                capabilities,
                "AXCL " + runtime.runtimeVersion().full() + (runtime.isEmulator() ? " (emulator)" : "") + ", "
                        + engine.layerCount + " layers" + cards + ", context " + engine.contextLength + ", prefill chunk "
                        + engine.chunk + ", prefill history " + caps + ", KV " + o.kvStrategy() + ", chat template "
                        + (chatTemplate != null ? "tokenizer_config.json" : "ChatML")
                        + (vision == null ? "" : ", vision encoder " + vision.width() + "x" + vision.height() + " -> "
                                + vision.tokens() + " x " + vision.embedSize()
                                + (vision.deepstack() > 0 ? " + " + vision.deepstack() + " deepstack" : ""))
                        + (engine.mrope ? ", mRoPE positions" : ""));
    }

    /**
     * Loads {@code pkg} on the cards {@link AxLlmDevices#resolve} chooses (one, the first, by default) of
     * the AXCL runtime found through {@code runtimeOptions} ({@link AxclRuntime.Options#emulator()} for the
     * emulator). On any failure everything loaded so far is released, on every card.
     *
     * @throws IllegalArgumentException naming the file and the key when the package's tensors disagree with
     *                                  its description (e.g. a vision encoder whose rows are not of the
     *                                  hidden size), or the tokenizer is of another format or lacks the
     *                                  image placeholder tokens a VLM package needs; naming the key and the
     *                                  value for a device that is not present, named twice, or more devices
     *                                  than layers
     * @throws org.npu4j.NpuException   if the runtime or a model fails to load, or a card's models need more
     *                                  CMM than it has free (checked per card before any is loaded)
     */
    public static AxLlmModel open(AxLlmPackage pkg, AxclRuntime.Options runtimeOptions, Options options) {
        Objects.requireNonNull(pkg, "pkg");
        AxclRuntime rt = AxclRuntime.acquire(runtimeOptions);
        LlmTokenizer tok = null;
        AxLlmEngine eng = null;
        AxVisionEncoder vis = null;
        try {
            JinjaChatTemplate template = chatTemplateOf(pkg.tokenizer());
            tok = LlmTokenizer.open(pkg.tokenizer());
            List<Integer> ids = AxLlmDevices.resolve(rt, pkg, options);
            AxLlmEngine.KvStrategy kv = options.kvStrategy().equals("bind") ? AxLlmEngine.KvStrategy.BIND
                    : AxLlmEngine.KvStrategy.COPY;
            eng = ids.size() == 1 ? new AxLlmEngine(rt.device(ids.getFirst()), pkg, kv) : new AxLlmEngine(rt, ids, pkg, kv);
            if (tok.size() > pkg.vocab()) {
                throw new IllegalArgumentException(pkg.tokenizer() + " (url_tokenizer_model): " + tok.size()
                        + " tokens, more than tokens_embed_num " + pkg.vocab());
            }
            if (pkg.vision() != null) {
                AxLlmEngine e = eng;
                vis = eng.onFirstDevice(() -> new AxVisionEncoder(e.devices().getFirst(), pkg.vision(), pkg.hidden(),
                        e.layerCount));
                if (eng.mrope) {
                    vis.checkGrid();
                }
            }
            return new AxLlmModel(pkg, rt, tok, template, eng, vis, options, options.name() != null ? options.name()
                    : pkg.modelName());
        } catch (RuntimeException e) {
            if (vis != null) {
                AxVisionEncoder v = vis;
                eng.onFirstDevice(() -> {
                    v.close();
                    return null;
                });
            }
            if (eng != null) {
                eng.close();
            }
            if (tok != null) {
                tok.close();
            }
            rt.close();
            throw e;
        }
    }

    /**
     * The model's own chat template: the {@code chat_template} of the {@code tokenizer_config.json} beside
     * a HF tokenizer (older packages), or null (the current packages' MNN tokenizer: ChatML).
     */
    private static @Nullable JinjaChatTemplate chatTemplateOf(Path tokenizer) {
        Path dir = Files.isDirectory(tokenizer) ? tokenizer : tokenizer.toAbsolutePath().getParent();
        Path config = dir == null ? null : dir.resolve("tokenizer_config.json");
        return config != null && Files.isRegularFile(config) ? JinjaChatTemplate.fromTokenizerConfig(config) : null;
    }

    /** The package this model runs. */
    public AxLlmPackage pkg() {
        return pkg;
    }

    /** The context length C: cached, prompt and generated tokens together (layer 0's decode mask has C + 1 columns). */
    public int contextLength() {
        return engine.contextLength;
    }

    /** Tokens per prefill chunk P (layer 0's {@code indices} of group 1). */
    public int prefillChunk() {
        return engine.chunk;
    }

    /** History capacity of each prefill shape group 1.. (mask columns − P), in group order. */
    public int[] prefillHistoryCapacities() {
        return Arrays.copyOfRange(engine.caps, 1, engine.caps.length);
    }

    /** The tokenizer. */
    public LlmTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The cards this model runs on, in layer order (the first takes the embedding rows, the last runs the
     * post model): e.g. for their {@link AxDevice#callCounts()}.
     */
    public List<AxDevice> devices() {
        return engine.devices();
    }

    /** Tokens the KV cache holds now. */
    public int cachedTokens() {
        return engine.position();
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public Completion generate(LlmRequest request, TokenListener listener) {
        CompletableFuture<Completion> f = generateAsync(request, listener);
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while generating");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new CompletionException(c);
        }
    }

    @Override
    public CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        if (closed) {
            throw new IllegalStateException(info.name() + " is closed");
        }
        if (vision == null) {
            for (ChatMessage m : request.messages()) {
                if (!m.images().isEmpty()) {
                    throw new IllegalArgumentException(info.name() + ": a message carries " + m.images().size()
                            + " image(s), but the package has no vision encoder (filename_image_encoder_axmodel):"
                            + " expected text-only messages, or a VLM package");
                }
            }
        }
        Run run = new Run(request, listener);
        CompletableFuture<Completion> f = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                run.stop = true;
                return super.cancel(mayInterruptIfRunning);
            }
        };
        try {
            worker.execute(() -> {
                if (f.isDone()) {
                    return;
                }
                try {
                    f.complete(run.execute());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException(info.name() + " is closed");
        }
        return f;
    }

    @Override
    public Flow.Publisher<Token> stream(LlmRequest request) {
        Objects.requireNonNull(request, "request");
        return subscriber -> {
            SubmissionPublisher<Token> pub = new SubmissionPublisher<>(Runnable::run, 16);
            CompletableFuture<?>[] run = new CompletableFuture<?>[1];
            pub.subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscriber.onSubscribe(new Flow.Subscription() {
                        @Override
                        public void request(long n) {
                            s.request(n);
                        }

                        @Override
                        public void cancel() {
                            s.cancel();
                            CompletableFuture<?> r = run[0];
                            if (r != null) {
                                r.cancel(true);
                            }
                        }
                    });
                }

                @Override
                public void onNext(Token item) {
                    subscriber.onNext(item);
                }

                @Override
                public void onError(Throwable t) {
                    subscriber.onError(t);
                }

                @Override
                public void onComplete() {
                    subscriber.onComplete();
                }
            });
            try {
                run[0] = generateAsync(request, new TokenListener() {
                    @Override
                    public void onToken(String text, int tokenId) {
                        if (pub.getNumberOfSubscribers() == 0) {
                            abort();
                            return;
                        }
                        pub.submit(new Token(text, tokenId));
                    }
                }).whenComplete((c, t) -> {
                    if (t != null && !(t instanceof CancellationException)) {
                        pub.closeExceptionally(t);
                    } else {
                        pub.close();
                    }
                });
            } catch (RuntimeException e) {
                pub.closeExceptionally(e);
            }
        };
    }

    @Override
    public boolean abort() {
        Run r = current;
        if (r == null) {
            return false;
        }
        r.stop = true;
        return true;
    }

    /**
     * The ids of the rendered conversation ({@link #render}), as {@link Run} prefills them on an empty
     * cache. On the caller's thread: tokenizing touches no device.
     */
    @Override
    public Optional<int[]> promptTokenIds(LlmRequest request) {
        Objects.requireNonNull(request, "request");
        if (closed) {
            throw new IllegalStateException(info.name() + " is closed");
        }
        return Optional.of(tokenizer.encode(render(request)));
    }

    @Override
    public LatencyRecorder latency() {
        return latency;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        abort();
        worker.shutdown();
        try {
            while (!worker.awaitTermination(10, TimeUnit.SECONDS)) {
                abort();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RuntimeException failure = null;
        AutoCloseable visionOnItsCard = vision == null ? null : () -> engine.onFirstDevice(() -> {
            vision.close();
            return null;
        });
        for (AutoCloseable c : new AutoCloseable[] {visionOnItsCard, engine, tokenizer, runtime}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * The prompt text of a request: ChatML with the package's system prompt and thinking default, each
     * image of a user message as {@code <|vision_start|>}, T {@code <|image_pad|>}, {@code <|vision_end|>}
     * before its text.
     */
    String render(LlmRequest r) {
        List<ChatMessage> ms = r.messages();
        if (vision != null) {
            String one = VISION_START + IMAGE_PAD.repeat(vision.tokens()) + VISION_END;
            List<ChatMessage> tagged = new ArrayList<>(ms.size());
            for (ChatMessage m : ms) {
                tagged.add(m.images().isEmpty() ? m : ChatMessage.user(one.repeat(m.images().size()) + m.content()));
            }
            ms = tagged;
        }
        if ((ms.isEmpty() || ms.get(0).role() != Role.SYSTEM) && pkg.systemPrompt() != null && !pkg.systemPrompt().isEmpty()) {
            List<ChatMessage> with = new ArrayList<>(ms.size() + 1);
            with.add(ChatMessage.system(pkg.systemPrompt()));
            with.addAll(ms);
            ms = with;
        }
        boolean thinking = r.thinking() != null ? r.thinking() : pkg.thinking() == null || pkg.thinking();
        return chatTemplate != null ? chatTemplate.render(ms, r.tools(), thinking, true)
                : ChatMl.render(ms, r.tools(), thinking);
    }

    /** One request, executed on the worker thread. */
    private final class Run {
        final LlmRequest request;
        final TokenListener listener;
        volatile boolean stop;

        Run(LlmRequest request, TokenListener listener) {
            this.request = request;
            this.listener = listener;
        }

        Completion execute() {
            if (closed || stop) {
                return aborted();
            }
            current = this;
            try {
                return generateOnWorker();
            } finally {
                current = null;
            }
        }

        private Completion aborted() {
            return Completion.of(Outcome.ABORTED, false, "", new int[0], 0, PerfStats.NONE,
                    new GenerationTimings(-1, 0, 0, 0, 0, 0, 0));
        }

        private Completion generateOnWorker() {
            long t0 = System.nanoTime();
            List<ImageData> images = new ArrayList<>();
            for (ChatMessage m : request.messages()) {
                images.addAll(m.images());
            }
            int[] ids = tokenizer.encode(render(request));
            int ctx = engine.contextLength;
            if (ids.length >= ctx) {
                throw new IllegalArgumentException("the prompt has " + ids.length + " tokens"
                        + (images.isEmpty() ? "" : " (" + images.size() * vision.tokens() + " of them for "
                                + images.size() + " image(s))")
                        + ": the context of " + info.name() + " is " + ctx + " tokens (prompt and answer)");
            }
            long[] keys = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                keys[i] = ids[i];
            }
            int[] starts = images.isEmpty() ? new int[0] : imagePrompt.placeholders(ids, images.size());
            for (int k = 0; k < starts.length; k++) {
                long d = AxImagePrompt.digest(images.get(k));
                for (int j = 0; j < vision.tokens(); j++) {
                    keys[starts[k] + j] = AxImagePrompt.imageKey(d, j);
                }
            }
            int common = 0;
            int held = engine.position();
            while (common < held && common < ids.length && cached[common] == keys[common]) {
                common++;
            }
            if (!request.reuseCache()) {
                common = 0;
            }
            common = Math.min(common, ids.length - 1); // at least one token to prefill: its logits start the answer
            try (Arena imageArena = starts.length == 0 ? null : Arena.ofShared()) { // shared: the cards' threads read it
                AxLlmEngine.Rows rows = imageArena == null ? null : imagePrompt.encode(images, starts, common, ids.length,
                        imageArena, () -> stop || closed);
                if (stop || closed) {
                    return aborted(); // stopped while the images were encoded: nothing prefilled
                }
                return prefillAndDecode(t0, ids, keys, common, rows);
            }
        }

        private Completion prefillAndDecode(long t0, int[] ids, long[] keys, int common,
                AxLlmEngine.@Nullable Rows rows) {
            int ctx = engine.contextLength;
            engine.truncate(common);
            int limit = request.maxNewTokens() > 0 ? request.maxNewTokens() : maxNewTokens > 0 ? maxNewTokens : ctx;
            sampler.configure(pkg.postConfig(), request.sampling());

            StopSequences stops = request.stop().isEmpty() ? null
                    : new StopSequences(request.stop(), listener, () -> stop = true);
            TokenListener out = stops != null ? stops : listener;
            Utf8Stream utf8 = new Utf8Stream(pieces);
            StringBuilder text = new StringBuilder();
            int[] generated = new int[Math.min(limit, ctx)];
            long[] times = new long[generated.length];
            int n = 0;
            boolean lengthLimited = false;
            boolean aborted = false;
            long prefillStart = System.nanoTime();
            long prefillEnd;
            AxCallCounts c0 = engine.calls();
            AxCallCounts c1;
            int prefillSteps;
            int decodeSteps = 0;
            try {
                prefillSteps = engine.prefill(ids, common, ids.length, rows);
                c1 = engine.calls();
                System.arraycopy(keys, common, cached, common, ids.length - common);
                prefillEnd = System.nanoTime();
                while (true) {
                    int token = sampler.sample(engine.logits(), generated, n);
                    if (!ignoreEos && tokenizer.isStop(token)) {
                        break;
                    }
                    generated[n] = token;
                    times[n] = System.nanoTime();
                    n++;
                    String piece = utf8.push(token, tokenizer.bytes(token));
                    text.append(piece);
                    out.onToken(piece, token);
                    if (stop) {
                        aborted = stops == null || !stops.matched();
                        break;
                    }
                    if (n >= limit || engine.position() >= ctx) {
                        lengthLimited = true;
                        break;
                    }
                    int p = engine.position();
                    engine.decode(token);
                    decodeSteps++;
                    cached[p] = token;
                }
            } catch (RuntimeException e) {
                engine.truncate(0); // what the cache holds is no longer known
                throw e;
            }
            String tail = utf8.flush();
            if (!tail.isEmpty()) {
                text.append(tail);
                out.onToken(tail, n > 0 ? generated[n - 1] : -1);
            }
            long end = System.nanoTime();
            AxCallCounts pf = c1.minus(c0);
            AxCallCounts dc = engine.calls().minus(c1);
            EngineCalls calls = new EngineCalls(prefillSteps, pf.executes(), pf.transfers(), pf.binds(), decodeSteps,
                    dc.executes(), dc.transfers(), dc.binds());
            long decodeNanos = n > 0 ? times[n - 1] - prefillEnd : 0;
            PerfStats perf = new PerfStats((prefillEnd - prefillStart) / 1e6f, ids.length - common, decodeNanos / 1e6f, n,
                    info.memoryBytes() / (1024f * 1024f), calls);
            out.onFinish(perf);
            GenerationTimings timings = TokenTimes.timings(t0, end, times, n);
            if (timings.ttftNanos() >= 0) {
                latency.record(Stage.TTFT, timings.ttftNanos());
            }
            latency.record(Stage.PREFILL, prefillEnd - prefillStart);
            latency.record(Stage.GENERATION, end - t0);
            for (int i = 1; i < n; i++) {
                latency.record(Stage.INTER_TOKEN, times[i] - times[i - 1]);
            }
            String answer = stops != null ? stops.text() : text.toString();
            Outcome outcome = aborted ? Outcome.ABORTED : Outcome.FINISHED;
            return Completion.of(outcome, lengthLimited && !(stops != null && stops.matched()), answer,
                    Arrays.copyOf(generated, n), ids.length - common, common, perf, timings);
        }
    }

    /**
     * The image rows of a prompt's ids with every image encoded, as a request's prefill takes them (for
     * tests that drive the engine). Call with no request running.
     *
     * @throws IllegalArgumentException if the placeholders do not match the images
     */
    AxLlmEngine.Rows imageRows(int[] ids, List<ImageData> images, Arena arena) {
        return imagePrompt.encode(images, imagePrompt.placeholders(ids, images.size()), 0, ids.length, arena, () -> false);
    }
}
