package org.npu4j.rkllm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.BatchEntry;
import org.npu4j.llm.BatchingLanguageModel;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.llm.ToolCall;
import org.npu4j.metrics.GenerationEvent;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;
import org.npu4j.tuning.CpuList;
import org.npu4j.tuning.TuningException;
import org.npu4j.tuning.TuningSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An LLM loaded into the RKLLM runtime: one {@code LLMHandle}, from {@code rkllm_init} to
 * {@code rkllm_destroy}.
 *
 * {@snippet :
 * try (RkllmModel model = RkllmModel.builder(Path.of("Qwen3-0.6B-w8a8.rkllm"))
 *         .maxContextLen(4096)
 *         .maxNewTokens(512)
 *         .load()) {
 *     GenerationResult r = model.generate(GenerationRequest.prompt("Why is the sky blue?"),
 *             GenerationListener.onText(System.out::print));
 *     System.out.printf("%nTTFT %d ms, %.1f tok/s%n", r.timings().ttftNanos() / 1_000_000,
 *             r.timings().decodeTokensPerSecond());
 * }
 * }
 *
 * <h2>Threading</h2>
 * Thread-safe. The runtime serves one run per handle at a time, and so does this class:
 * {@link #generate}, {@link #generateBatch}, {@link #generateAsync}, {@link #stream} and the calls that
 * change the model's state (LoRA, prompt cache, KV cache, templates, tools) take a <b>fair lock</b>:
 * concurrent callers wait, in the order they came, for the running generation to end. By default they
 * wait without limit (interruptibly: an interrupted waiter gets a {@link CancellationException});
 * with {@link RkllmModelBuilder#runWaitTimeout(Duration)} they give up after that time with a
 * {@link RkllmBusyException}. {@link #abort()}, {@link #isRunning()}, {@link #kvCacheSizes()} and
 * {@link #close()} do not wait. Listeners are called on the runtime's own thread (see
 * {@link GenerationListener}).
 *
 * <h2>Memory and lifetime</h2>
 * Each model owns a shared {@link Arena}: the parameters and strings given to {@code rkllm_init}
 * (the runtime may keep pointers to them) and the one upcall stub of the result callback live there
 * until {@link #close()}, which aborts a running generation, waits for it to end, calls
 * {@code rkllm_destroy} and closes the arena. {@code close()} is idempotent; every other method throws
 * {@link IllegalStateException} after it. Inputs of a run live in a confined arena of that run.
 *
 * <h2>Upcalls never throw</h2>
 * The result callback catches every {@link Throwable} (a listener's, or npu4j's own), records it,
 * returns "pause" to the runtime (the ABI's only way to stop from inside the callback; the runtime
 * then ends the run with FINISH) and the exception reaches the caller.
 *
 * <h2>Measurements</h2>
 * Every run records into {@link #latency()} (nanoseconds): {@link Stage#TTFT} (to the first token),
 * {@link Stage#INTER_TOKEN} (between tokens), {@link Stage#PREFILL} (the runtime's prefill time) and
 * {@link Stage#GENERATION} (the whole run); the result carries npu4j's {@link GenerationTimings}
 * beside the runtime's {@link PerfStats}; one JFR {@link GenerationEvent} is committed per run.
 */
public final class RkllmModel implements BatchingLanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(RkllmModel.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final RkllmRuntime runtime;
    private final AbiAdapter abi;
    private final Path modelFile;
    private final String name;
    private final ParamValues params;
    private final @Nullable Duration runWaitTimeout;
    private final Arena arena;
    private final MemorySegment handle;
    private final LatencyRecorder metrics;
    private final RkllmConversation conversation = new RkllmConversation(this);
    private final RkllmBatch batch = new RkllmBatch(this, conversation);
    private final Run.Entry[] entries;
    private final RkllmInputs inputs;
    private final RunCompletion completion;
    /** Inter-token gaps of the current run (ns, up to one hour), reused. */
    private final Histogram interToken = new Histogram(TimeUnit.HOURS.toNanos(1), 3);
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Guards native calls that may run beside a generation (abort, is_running, KV size) against destroy. */
    private final Object guard = new Object();
    private final Set<String> loras = Collections.synchronizedSet(new TreeSet<>());

    private volatile @Nullable Run current;
    private volatile boolean closed;
    /** Guarded by {@link #guard}. */
    private boolean handleAlive;
    /** Guarded by {@link #lock}. */
    private boolean destroyed;
    private volatile int hiddenSize;
    private volatile int vocabSize;
    /** The vision encoder images go through (owned, closed with the model), or null: no images. */
    private final @Nullable VisionEncoder vision;
    /** Cross-attention buffers handed to the runtime, kept until replaced or closed; guarded by lock. */
    private @Nullable Arena crossArena;
    /** The host tuning applied for this model's life (RkllmModelBuilder.tuning), restored by destroy(); null: none. */
    private final @Nullable TuningSession tuning;

    private RkllmModel(RkllmModelBuilder b, RkllmRuntime runtime, @Nullable TuningSession tuning) {
        this.runtime = runtime;
        this.tuning = tuning;
        this.abi = runtime.adapter();
        this.modelFile = b.modelFile;
        this.name = b.name != null ? b.name : b.modelFile.getFileName().toString();
        this.runWaitTimeout = b.runWaitTimeout;
        this.metrics = new LatencyRecorder(name);
        this.hiddenSize = b.hiddenSize;
        this.vision = b.vision;
        this.arena = Arena.ofShared();
        try {
            MemorySegment param = abi.defaultParam(arena);
            ParamValues v = abi.readParam(param);
            LOG.debug("{}: runtime defaults: {}", name, v);
            b.apply(v, runtime.abi());
            abi.writeParam(param, v, arena);
            this.params = v;
            this.inputs = new RkllmInputs(this, abi, runtime.abi(), v.nBatch, vision);
            this.entries = new Run.Entry[v.nBatch];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = new Run.Entry();
            }
            MemorySegment callback = ResultCallback.stub(this, abi, arena);
            MemorySegment handleOut = arena.allocate(ValueLayout.ADDRESS);
            int rc = abi.init(handleOut, param, callback, arena);
            if (rc != 0) {
                throw new RkllmException("rkllm_init", rc, "loading " + modelFile + " with " + v);
            }
            this.handle = handleOut.get(ValueLayout.ADDRESS, 0);
            this.completion = new RunCompletion(this, abi, handle, metrics, v.nBatch, v.isAsync);
            synchronized (guard) {
                handleAlive = true;
            }
            LOG.info("{}: loaded on {} ({})", name, runtime, v);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A builder for the model in {@code modelFile} (a {@code .rkllm} file, or an npu4j emulator model
     * descriptor on an emulated runtime). Every setting starts from {@code rkllm_createDefaultParam()}.
     */
    public static RkllmModelBuilder builder(Path modelFile) {
        return new RkllmModelBuilder(modelFile);
    }

    /** Loads the model {@code b} describes (for {@link RkllmModelBuilder#load()}). */
    static RkllmModel load(RkllmModelBuilder b, RkllmRuntime runtime, @Nullable TuningSession tuning) {
        return new RkllmModel(b, runtime, tuning);
    }

    // ------------------------------------------------------------------------------- generation

    /** {@link #generate(GenerationRequest, GenerationListener)} of a prompt, without a listener. */
    public GenerationResult generate(String prompt) {
        return generate(GenerationRequest.prompt(prompt), GenerationListener.NONE);
    }

    /**
     * Runs {@code request} and blocks until it ends (the runtime's {@code rkllm_run}, or
     * {@code rkllm_run_async} plus a wait when the model was loaded with {@link RkllmModelBuilder#async}).
     * The wait inside the runtime cannot be interrupted: stop it with {@link #abort()}.
     *
     * @param listener receives tokens (and hidden states, logits, the FINISH statistics) on the
     *                 runtime's thread
     * @return the text, tokens and statistics; {@link Outcome#ABORTED} if {@link #abort()} stopped it
     * @throws IllegalArgumentException if the request does not fit the model (shape, ABI, LoRA name), or
     *                                  its shape cannot be checked: an embedding, image or video input
     *                                  while the hidden size is unknown ({@link RkllmModelBuilder#hiddenSize})
     * @throws IllegalStateException    if the model is closed, or was loaded with {@code nBatch > 1}
     *                                  (use {@link #generateBatch})
     * @throws RkllmException           if the runtime refuses the run or ends it with {@code RKLLM_RUN_ERROR}
     * @throws RkllmBusyException       if {@link RkllmModelBuilder#runWaitTimeout} passed while another run went on
     * @throws CancellationException    if the thread was interrupted while waiting for another run
     * @throws RuntimeException         (or {@link Error}) whatever the listener threw, as it was thrown
     */
    public GenerationResult generate(GenerationRequest request, GenerationListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (params.nBatch != 1) {
            throw new IllegalStateException(name + " was loaded with nBatch " + params.nBatch
                    + ": use generateBatch with one input and one listener per batch entry");
        }
        return execute(request, List.of(listener), null).get(0);
    }

    /**
     * Runs a batched request (a model loaded with {@link RkllmModelBuilder#nBatch} N > 1): one input and one
     * listener per batch entry, one result per entry, in order. Otherwise as {@link #generate}.
     *
     * @throws IllegalArgumentException if the numbers of inputs, listeners and batch entries differ
     */
    public List<GenerationResult> generateBatch(GenerationRequest request,
            List<? extends GenerationListener> listeners) {
        if (listeners.size() != request.inputs().size()) {
            throw new IllegalArgumentException(listeners.size() + " listeners for " + request.inputs().size()
                    + " inputs: give one listener per batch entry");
        }
        return execute(request, List.copyOf(listeners), null);
    }

    /**
     * Runs {@code request} on a new virtual thread. Cancelling the returned future
     * ({@code cancel(true)} or {@code cancel(false)}) aborts the run ({@code rkllm_abort}) or, if it
     * has not started yet, keeps it from starting; cancelling futures derived from it
     * ({@code thenApply}...) does not. The future completes exceptionally with what
     * {@link #generate} would throw.
     */
    public CompletableFuture<GenerationResult> generateAsync(GenerationRequest request, GenerationListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        if (params.nBatch != 1) {
            throw new IllegalStateException(name + " was loaded with nBatch " + params.nBatch
                    + ": use generateBatch");
        }
        CancelToken token = new CancelToken();
        GenerationFuture future = new GenerationFuture(token, this);
        Thread.ofVirtual().name("npu4j-rkllm-" + THREADS.incrementAndGet()).start(() -> {
            try {
                future.complete(execute(request, List.of(listener), token).get(0));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    /**
     * The tokens of {@code request} as a {@link Flow.Publisher}. Cold: each subscription runs the
     * request once (on a new virtual thread). Tokens are signalled on the runtime's thread; when the
     * subscriber has no outstanding demand, the runtime's thread waits (the run holds the model until
     * the subscriber requests more, cancels, or the run is stopped by {@link #abort()} or
     * {@link #close()}). {@code Subscription.cancel()} aborts the run.
     * {@code onComplete} follows a finished or aborted run; {@code onError} carries what
     * {@link #generate} would throw.
     */
    public Flow.Publisher<Token> stream(GenerationRequest request) {
        Objects.requireNonNull(request, "request");
        checkOpen();
        if (params.nBatch != 1) {
            throw new IllegalStateException(name + " was loaded with nBatch " + params.nBatch
                    + ": use generateBatch");
        }
        return subscriber -> TokenPublisher.subscribe(this, request, subscriber);
    }

    /** A batched run on the calling thread with a cancel token (for {@link RkllmBatch}). */
    List<GenerationResult> generateBatch(GenerationRequest request, List<? extends GenerationListener> listeners,
            CancelToken token) {
        return execute(request, List.copyOf(listeners), token);
    }

    /** Runs on the calling thread with a cancel token (for {@link TokenPublisher}). */
    GenerationResult generate(GenerationRequest request, GenerationListener listener, CancelToken token) {
        return execute(request, List.of(listener), token).get(0);
    }

    /**
     * Stops the running generation ({@code rkllm_abort}); the run ends with {@link Outcome#ABORTED}.
     * Does not wait. Safe from any thread, listeners included (from the runtime's thread the callback
     * returns "pause" instead of calling into the runtime).
     *
     * <p>The stop holds whatever the moment: a run that has not reached the runtime yet is not started;
     * until the run has ended, {@code rkllm_abort} is sent again every 10 ms (a runtime may drop an
     * abort that came before it took the task, and a long prefill calls nothing back), and the callback
     * returns "pause" from its next call on. So a stop takes effect within about 10 ms plus the
     * runtime's reaction (the emulator: at once, also inside the prefill).
     *
     * @return true if a generation was running
     * @throws IllegalStateException if the model is closed
     */
    public boolean abort() {
        checkOpen();
        Run run = current;
        if (run == null) {
            return false;
        }
        abortRun(run);
        return true;
    }

    /** Stops {@code run}: marks it, sends {@code rkllm_abort} and keeps sending it until the run ends. */
    void abortRun(Run run) {
        run.requestStop();
        if (Thread.currentThread() == run.callbackThread) {
            return; // inside the callback: it returns PAUSE; never call the runtime from its own thread
        }
        sendAbort(run);
        AbortRepeater.start(this, run);
    }

    /**
     * Sends {@code rkllm_abort} if {@code run} is the model's run and its FINISH/ERROR has not been
     * handled yet.
     *
     * @return false when there is nothing (more) to abort: the run ended or is not registered (a run
     *         registered later sees its stop flag before calling the runtime)
     */
    boolean sendAbort(Run run) {
        synchronized (guard) {
            if (current != run || !handleAlive || run.terminal >= 0) {
                return false;
            }
            int rc = abi.abort(handle);
            if (rc != 0) {
                LOG.warn("{}: rkllm_abort returned {}", name, rc);
            }
            return true;
        }
    }

    /**
     * Whether the runtime says a task is running on this handle ({@code rkllm_is_running}, with the
     * meaning of its return value of the ABI in use: 0 while running on 1.2, 1 on 1.3).
     *
     * @throws IllegalStateException if the model is closed
     */
    public boolean isRunning() {
        synchronized (guard) {
            checkAlive();
            return abi.isRunning(handle);
        }
    }

    private List<GenerationResult> execute(GenerationRequest request, List<? extends GenerationListener> listeners,
            @Nullable CancelToken token) {
        Objects.requireNonNull(request, "request");
        checkOpen();
        inputs.validate(request, listeners.size());
        acquire();
        Run run = null;
        boolean hooksDone = false;
        RunHooks hooks0 = request.hooks();
        try {
            checkOpen();
            if (token != null && token.cancelled) {
                throw new CancellationException("cancelled before the run started");
            }
            RunHooks hooks = request.hooks();
            if (hooks != null) {
                request = hooks.beforeRun();
                inputs.validate(request, listeners.size());
            }
            GenerationEvent event = new GenerationEvent();
            event.begin();
            int rc = 0;
            try (Arena local = Arena.ofConfined()) {
                MemorySegment in = inputs.inputs(local, request);
                MemorySegment infer = inputs.inferParam(local, request);
                run = new Run(this, abi.resultOffsets(), entries, listeners, request.mode(), request.keepHistory(),
                        metrics, interToken);
                if (token != null && !token.bind(run)) {
                    throw new CancellationException("cancelled before the run started");
                }
                // Registered before the stop flags are read: a stop from now on finds the run (abortRun), and
                // one that came before is seen here (both sides are volatile: one sees the other's write).
                current = run;
                if (closed) {
                    run.requestStop(); // a close() that came after the open check found no run to abort
                }
                if (!run.stopRequested) {
                    rc = params.isAsync ? abi.runAsync(handle, in, infer) : abi.run(handle, in, infer);
                    if (params.isAsync && rc == 0) {
                        completion.awaitAsync(run);
                    }
                } // else: stopped before the runtime got the task; nothing is run, the outcome is ABORTED
                synchronized (guard) {
                    current = null;
                }
            }
            List<GenerationResult> results = completion.finish(run, rc, request, event);
            if (hooks != null) {
                hooks.afterRun(results.get(0));
                hooksDone = true;
            }
            return results;
        } finally {
            if (hooks0 != null && !hooksDone) {
                hooks0.afterRun(null);
            }
            if (current != null) {
                synchronized (guard) {
                    current = null;
                }
            }
            try {
                if (closed) {
                    destroy();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    // -------------------------------------------------------------------- state of the model

    /**
     * Loads a LoRA adapter ({@code rkllm_load_lora}); requests apply it by {@link LoraAdapter#name()}.
     *
     * @throws IllegalArgumentException if the file does not exist
     * @throws RkllmException           if the runtime refuses it (wrong model, bad file)
     */
    public void loadLora(LoraAdapter adapter) {
        Objects.requireNonNull(adapter, "adapter");
        requireFile(adapter.file(), "LoRA adapter file");
        withLock(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = abi.loraAdapter(a, a.allocateFrom(adapter.file().toAbsolutePath().toString()),
                        a.allocateFrom(adapter.name()), adapter.scale());
                check(abi.loadLora(handle, s), "rkllm_load_lora", "loading " + adapter);
            }
            loras.add(adapter.name());
        });
    }

    /** Names of the LoRA adapters loaded so far, sorted. */
    public List<String> loadedLoras() {
        synchronized (loras) {
            return List.copyOf(loras);
        }
    }

    /**
     * Loads a prompt cache saved by an earlier run ({@code rkllm_load_prompt_cache}; see
     * {@link GenerationRequest.Builder#savePromptCache}): later prompts that start the same way skip
     * the prefill of the common part.
     *
     * @throws IllegalArgumentException if the file does not exist
     * @throws RkllmException           if the runtime refuses it (made by another model, damaged)
     */
    public void loadPromptCache(Path file) {
        requireFile(file, "prompt cache file");
        withLock(() -> {
            try (Arena a = Arena.ofConfined()) {
                check(abi.loadPromptCache(handle, a.allocateFrom(file.toAbsolutePath().toString())),
                        "rkllm_load_prompt_cache", "loading " + file);
            }
        });
    }

    /** Frees a loaded prompt cache ({@code rkllm_release_prompt_cache}). */
    public void releasePromptCache() {
        withLock(() -> check(abi.releasePromptCache(handle), "rkllm_release_prompt_cache", "releasing"));
    }

    /** Positions in the KV cache of batch entry 0 ({@code rkllm_get_kv_cache_size}): prompt and answers kept. */
    public int kvCacheSize() {
        return kvCacheSizes()[0];
    }

    /** Positions in the KV cache per batch entry ({@code rkllm_get_kv_cache_size}). Does not wait for a run. */
    public int[] kvCacheSizes() {
        synchronized (guard) {
            checkAlive();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment sizes = a.allocate(ValueLayout.JAVA_INT, params.nBatch);
                check(abi.kvCacheSize(handle, sizes), "rkllm_get_kv_cache_size", "reading the KV cache size");
                return sizes.toArray(ValueLayout.JAVA_INT);
            }
        }
    }

    /**
     * Clears the KV cache ({@code rkllm_clear_kv_cache} without ranges): the conversation is forgotten.
     *
     * @param keepSystemPrompt keep the system prompt's positions (then the next run does not prefill it
     *                         again)
     */
    public void clearKvCache(boolean keepSystemPrompt) {
        withLock(() -> check(abi.clearKvCache(handle, keepSystemPrompt, MemorySegment.NULL, MemorySegment.NULL),
                "rkllm_clear_kv_cache", "clearing the KV cache"));
    }

    /**
     * Clears positions {@code [start[i], end[i])} of batch entry {@code i}'s KV cache (entries with
     * {@code start >= end} are left alone). Vendor header: ranges apply to runs without history that
     * were paused; the cache's system-prompt flag is ignored.
     *
     * @throws IllegalArgumentException unless both arrays have one entry per batch entry and
     *                                  {@code 0 <= start[i]}
     */
    public void clearKvCache(int[] start, int[] end) {
        if (start.length != params.nBatch || end.length != params.nBatch) {
            throw new IllegalArgumentException("start has " + start.length + " and end " + end.length
                    + " entries: expected one per batch entry (" + params.nBatch + ")");
        }
        for (int i = 0; i < start.length; i++) {
            if (start[i] < 0 && start[i] < end[i]) {
                throw new IllegalArgumentException("range " + i + " [" + start[i] + ", " + end[i] + "): accepted"
                        + " 0 <= start (start >= end leaves the entry alone)");
            }
        }
        withLock(() -> {
            try (Arena a = Arena.ofConfined()) {
                check(abi.clearKvCache(handle, false, a.allocateFrom(ValueLayout.JAVA_INT, start),
                        a.allocateFrom(ValueLayout.JAVA_INT, end)), "rkllm_clear_kv_cache", "clearing KV ranges");
            }
        });
    }

    /** Sets the chat template ({@code rkllm_set_chat_template}); see {@link ChatTemplate}. */
    public void setChatTemplate(ChatTemplate template) {
        Objects.requireNonNull(template, "template");
        withLock(() -> {
            try (Arena a = Arena.ofConfined()) {
                check(abi.setChatTemplate(handle, a.allocateFrom(template.systemPrompt()),
                        a.allocateFrom(template.prefix()), a.allocateFrom(template.postfix())),
                        "rkllm_set_chat_template", "setting the chat template");
            }
        });
    }

    /**
     * Declares functions the model may call ({@code rkllm_set_function_tools}). The model answers a
     * call with {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} ({@link ToolCall#parse});
     * send the function's result back with role {@code "tool"}.
     *
     * @param systemPrompt    plain system text (the runtime adds the tool declarations and markup)
     * @param tools           a JSON array of function declarations, OpenAI style
     *                        ({@code [{"type": "function", "function": {"name": ..., "parameters": {...}}}]})
     * @param toolResponseTag the tag that wraps function results in the conversation, e.g.
     *                        {@code tool_response}
     * @throws IllegalArgumentException if {@code tools} is not a JSON array of objects
     */
    public void setFunctionTools(String systemPrompt, String tools, String toolResponseTag) {
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        Objects.requireNonNull(tools, "tools");
        Objects.requireNonNull(toolResponseTag, "toolResponseTag");
        Strings.checkNoNul(systemPrompt, "systemPrompt");
        Strings.checkNoNul(toolResponseTag, "toolResponseTag");
        JsonNode parsed;
        try {
            parsed = JSON.readTree(tools);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tools is not JSON: " + e.getOriginalMessage(), e);
        }
        if (parsed == null || !parsed.isArray()) {
            throw new IllegalArgumentException("tools must be a JSON array of function declarations");
        }
        for (JsonNode t : parsed) {
            if (!t.isObject()) {
                throw new IllegalArgumentException("tools must be a JSON array of objects; found " + t.getNodeType());
            }
        }
        String compact = parsed.toString();
        withLock(() -> {
            try (Arena a = Arena.ofConfined()) {
                check(abi.setFunctionTools(handle, a.allocateFrom(systemPrompt), a.allocateFrom(compact),
                        a.allocateFrom(toolResponseTag)), "rkllm_set_function_tools", "declaring the function tools");
            }
        });
    }

    /**
     * Hands encoder outputs to a cross-attention decoder ({@code rkllm_set_cross_attn_params}). The
     * buffers are copied to native memory that stays valid until the next call or {@link #close()}.
     *
     * @throws IllegalStateException if the model was not loaded with {@link RkllmModelBuilder#crossAttention}
     */
    public void setCrossAttention(CrossAttention ca) {
        Objects.requireNonNull(ca, "ca");
        if (!params.useCrossAttn) {
            throw new IllegalStateException(name + " was loaded without cross attention: set"
                    + " RkllmModelBuilder.crossAttention(true) (extend_param.use_cross_attn)");
        }
        withLock(() -> {
            Arena a = Arena.ofShared();
            try {
                MemorySegment p = abi.crossAttnParam(a, a.allocateFrom(ValueLayout.JAVA_FLOAT, ca.kCache()),
                        a.allocateFrom(ValueLayout.JAVA_FLOAT, ca.vCache()), a.allocateFrom(ValueLayout.JAVA_FLOAT,
                                ca.mask()), a.allocateFrom(ValueLayout.JAVA_INT, ca.positions()), ca.numTokens());
                check(abi.setCrossAttnParams(handle, p), "rkllm_set_cross_attn_params", "setting cross attention");
            } catch (RuntimeException e) {
                a.close();
                throw e;
            }
            if (crossArena != null) {
                crossArena.close();
            }
            crossArena = a;
        });
    }

    // ------------------------------------------------------------------------------- LLM API

    /**
     * {@inheritDoc}
     *
     * <p>On RKLLM: the runtime's chat template and function declarations, the history in the KV cache
     * ({@code keep_history}); see {@link #generate(GenerationRequest, GenerationListener)} for the
     * exceptions, and the package documentation of {@link org.npu4j.llm} for the rules of KV reuse.
     */
    @Override
    public Completion generate(LlmRequest request, TokenListener listener) {
        checkOpen();
        if (params.nBatch > 1) {
            return batch.runAlone(request, listener);
        }
        return conversation.generate(request, listener);
    }

    /**
     * {@inheritDoc}
     *
     * <p>On a model loaded with {@code nBatch} N &gt; 1 the request runs as a batch of one (padded).
     */
    @Override
    public CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
        checkOpen();
        if (params.nBatch > 1) {
            return batch.runAloneAsync(request, listener);
        }
        return conversation.generateAsync(request, listener);
    }

    /** {@code nBatch} N of {@link RkllmModelBuilder#nBatch} (the load option {@code batch=N}). */
    @Override
    public int maxBatch() {
        return params.nBatch;
    }

    /** The same system prompt, function declarations, thinking switch and (ABI 1.3) sampling; no images. */
    @Override
    public boolean batchable(LlmRequest a, LlmRequest b) {
        return batch.batchable(a, b);
    }

    /**
     * {@inheritDoc}
     *
     * <p>On RKLLM: one {@code rkllm_run} with {@code nBatch} inputs (fewer entries are padded with filler
     * prompts whose output is dropped), {@code keep_history = 0}; see {@link RkllmBatch} for per-entry
     * limits, stops and usage.
     */
    @Override
    public List<Completion> generateBatch(List<BatchEntry> entries) {
        checkOpen();
        if (params.nBatch < 2) {
            throw new IllegalStateException(name + " was loaded with nBatch 1: open it with the option batch=N"
                    + " (RkllmModelBuilder.nBatch) to run batches");
        }
        return batch.run(List.copyOf(entries));
    }

    /** {@inheritDoc} @throws IllegalStateException if the model is closed */
    @Override
    public ChatSession chat() {
        checkOpen();
        return BatchingLanguageModel.super.chat();
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException on a model loaded with {@code nBatch} &gt; 1 (use {@link #generate},
     *                               {@link #generateAsync} or {@link #generateBatch} with a listener)
     */
    @Override
    public Flow.Publisher<Token> stream(LlmRequest request) {
        Objects.requireNonNull(request, "request");
        checkOpen();
        if (params.nBatch > 1) {
            throw new IllegalStateException(name + " was loaded with nBatch " + params.nBatch + ": stream its"
                    + " tokens with a listener (generate, generateAsync, generateBatch)");
        }
        return conversation.stream(request);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Capabilities: tools, thinking and KV reuse (the runtime renders the template; function calling
     * needs a model whose template supports it); no seed (RKLLM takes none); images when the model was
     * loaded with a {@link RkllmModelBuilder#vision vision encoder}. Loaded with {@code nBatch} &gt; 1: tools,
     * thinking and {@link Capability#BATCH}, without KV reuse and images.
     */
    @Override
    public ModelInfo info() {
        int vocab = vocabSize;
        return new ModelInfo(name, "rkllm", runtime.version().orElse("unknown") + (runtime.isEmulator()
                ? " (npu4j emulator)" : ""), runtime.isEmulator(), modelFile, params.maxContextLen,
                vocab > 0 ? vocab : -1, -1, capabilities(),
                "RKLLM runtime " + runtime.version().orElse("?") + " (ABI " + runtime.abi() + "), CPUs "
                        + CpuList.format(CpuList.fromMask(Integer.toUnsignedLong(cpuMask()))));
    }

    private EnumSet<Capability> capabilities() {
        EnumSet<Capability> c = EnumSet.of(Capability.TOOLS, Capability.THINKING);
        if (params.nBatch > 1) {
            c.add(Capability.BATCH); // batches run without KV reuse and take no images (RkllmBatch)
        } else {
            c.add(Capability.KV_REUSE);
            if (vision != null) {
                c.add(Capability.IMAGES);
            }
        }
        if (Boolean.TRUE.equals(params.ignoreEosToken)) {
            c.add(Capability.IGNORE_EOS);
        }
        return c;
    }

    // ---------------------------------------------------------------------------- accessors

    /** The vision encoder images go through ({@link RkllmModelBuilder#vision}), or null. */
    public @Nullable VisionEncoder visionEncoder() {
        return vision;
    }

    public RkllmRuntime runtime() {
        return runtime;
    }

    /** True on npu4j's emulated runtime: speed numbers come from a device profile, not an NPU. */
    public boolean isEmulator() {
        return runtime.isEmulator();
    }

    public Path modelFile() {
        return modelFile;
    }

    /** The name used in logs, metrics and JFR events (the model file's name unless set). */
    public String name() {
        return name;
    }

    /** Latency histograms of every run of this model (nanoseconds). */
    public LatencyRecorder latency() {
        return metrics;
    }

    /** The sampling parameters the model was loaded with. */
    public SamplingParams sampling() {
        return params.sampling;
    }

    public int maxContextLen() {
        return params.maxContextLen;
    }

    /** Maximum generated tokens per run; -1 or 0: no limit but the context. */
    public int maxNewTokens() {
        return params.maxNewTokens;
    }

    /** The CPUs the runtime's threads use ({@code enabled_cpus_mask}, bit N = CPU N). */
    public int cpuMask() {
        return params.enabledCpusMask;
    }

    public int nBatch() {
        return params.nBatch;
    }

    /** The model's hidden size, if given to the builder or seen in a hidden-state result. */
    public OptionalInt hiddenSize() {
        int h = hiddenSize;
        return h > 0 ? OptionalInt.of(h) : OptionalInt.empty();
    }

    /** The model's vocabulary size, if seen in a logits result. */
    public OptionalInt vocabSize() {
        int v = vocabSize;
        return v > 0 ? OptionalInt.of(v) : OptionalInt.empty();
    }

    /** The run in progress, or null (read by the result callback). */
    @Nullable Run currentRun() {
        return current;
    }

    void learnHiddenSize(int h) {
        hiddenSize = h;
    }

    void learnVocabSize(int v) {
        vocabSize = v;
    }

    public boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------------------- lifetime

    /**
     * Aborts a running generation, waits for it to end, destroys the handle ({@code rkllm_destroy}) and
     * frees the model's native memory. Idempotent. Called from a listener (the runtime's thread), it
     * aborts and returns at once; the handle is destroyed when the run has ended.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Run run = current;
        if (run != null) {
            abortRun(run);
            if (Thread.currentThread() == run.callbackThread) {
                return; // the thread running the generation destroys the handle when the run ends
            }
        }
        lock.lock();
        try {
            destroy();
        } finally {
            lock.unlock();
        }
    }

    /** With {@link #lock} held. */
    private void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        synchronized (guard) {
            handleAlive = false;
        }
        int rc = abi.destroy(handle);
        if (rc != 0) {
            LOG.warn("{}: rkllm_destroy returned {}", name, rc);
        }
        if (crossArena != null) {
            crossArena.close();
            crossArena = null;
        }
        arena.close();
        if (vision != null) {
            try {
                vision.close();
            } catch (RuntimeException e) {
                LOG.warn("{}: closing the vision encoder failed: {}", name, e.toString());
            }
        }
        if (tuning != null) {
            try {
                tuning.close();
            } catch (TuningException e) {
                LOG.warn("{}: host tuning not fully restored: {}", name, e.getMessage());
            }
        }
        LOG.debug("{}: destroyed", name);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the model " + name + " is closed");
        }
    }

    /** With {@link #guard} held. */
    private void checkAlive() {
        if (closed || !handleAlive) {
            throw new IllegalStateException("the model " + name + " is closed");
        }
    }

    private void acquire() {
        try {
            if (runWaitTimeout == null) {
                lock.lockInterruptibly();
            } else if (!lock.tryLock(runWaitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new RkllmBusyException(name, runWaitTimeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CancellationException c = new CancellationException("interrupted while waiting for " + name
                    + " (another generation was running)");
            c.initCause(e);
            throw c;
        }
    }

    private void withLock(Runnable action) {
        checkOpen();
        acquire();
        try {
            checkOpen();
            action.run();
        } finally {
            try {
                if (closed) {
                    destroy();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void check(int rc, String function, String what) {
        if (rc != 0) {
            throw new RkllmException(function, rc, name + ": " + what);
        }
    }

    static void requireFile(Path file, String what) {
        Objects.requireNonNull(file, what);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " " + file.toAbsolutePath() + " does not exist or is not a file");
        }
    }

    @Override
    public String toString() {
        return "RkllmModel[" + name + ", " + runtime + (closed ? ", closed" : "") + "]";
    }
}
