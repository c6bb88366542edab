package org.npu4j.rkllm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.LanguageModel;
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
import org.npu4j.tuning.HostTuning;
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
 * with {@link Builder#runWaitTimeout(Duration)} they give up after that time with a
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
public final class RkllmModel implements LanguageModel {
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
    private final Run.Entry[] entries;
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
    /** The host tuning applied for this model's life (Builder.tuning), restored by destroy(); null: none. */
    private final @Nullable TuningSession tuning;

    private RkllmModel(Builder b, RkllmRuntime runtime, @Nullable TuningSession tuning) {
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
            this.entries = new Run.Entry[v.nBatch];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = new Run.Entry();
            }
            MemorySegment callback = resultCallbackStub(abi, arena);
            MemorySegment handleOut = arena.allocate(ValueLayout.ADDRESS);
            int rc = abi.init(handleOut, param, callback, arena);
            if (rc != 0) {
                throw new RkllmException("rkllm_init", rc, "loading " + modelFile + " with " + v);
            }
            this.handle = handleOut.get(ValueLayout.ADDRESS, 0);
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
    public static Builder builder(Path modelFile) {
        return new Builder(modelFile);
    }

    // ------------------------------------------------------------------------------------ upcall

    /**
     * The upcall stub of the result callback, one per model. On LP64 platforms (x86_64, aarch64: a
     * pointer argument travels exactly like a 64-bit integer) the two pointer parameters are declared as
     * {@code long}, so that no {@link MemorySegment} is made per callback; the declaration is checked
     * against the generated {@code LLMResultCallback} descriptor. Elsewhere the generated stub is used.
     */
    private MemorySegment resultCallbackStub(AbiAdapter abi, Arena arena) {
        FunctionDescriptor generated = abi.resultCallbackDescriptor();
        boolean pointersAsLongs = ValueLayout.ADDRESS.byteSize() == Long.BYTES
                && generated.returnLayout().equals(java.util.Optional.of(ValueLayout.JAVA_INT))
                && generated.argumentLayouts().size() == 3
                && generated.argumentLayouts().get(0) instanceof AddressLayout
                && generated.argumentLayouts().get(1) instanceof AddressLayout
                && generated.argumentLayouts().get(2).equals(ValueLayout.JAVA_INT);
        if (!pointersAsLongs) {
            return abi.resultCallback((result, userdata, state) -> onResult(result.address(), state), arena);
        }
        return Linker.nativeLinker().upcallStub(ON_RESULT.bindTo(this), RAW_CALLBACK, arena);
    }

    private static final FunctionDescriptor RAW_CALLBACK = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
    private static final MethodHandle ON_RESULT;

    static {
        try {
            ON_RESULT = MethodHandles.lookup().findVirtual(RkllmModel.class, "onResult",
                    MethodType.methodType(int.class, long.class, long.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The result callback's Java side (pointers as addresses). Never throws. */
    private int onResult(long result, long userdata, int state) {
        return onResult(result, state);
    }

    private int onResult(long result, int state) {
        Run run = current;
        if (run == null) {
            return Run.CONTINUE; // a callback outside any run of ours: nothing to deliver
        }
        boolean end = state == Run.STATE_FINISH || state == Run.STATE_ERROR;
        try {
            return run.onResult(result, state);
        } catch (Throwable t) {
            try {
                run.fail(t);
                run.pauseReturned = true;
                if (end) {
                    return Run.CONTINUE;
                }
            } catch (Throwable ignored) {
                // nothing more can be done without risking the runtime's thread
            }
            return Run.PAUSE;
        } finally {
            if (end) {
                run.ended(state); // last: a failure of onFinish is recorded before the caller may look
            }
        }
    }

    // ------------------------------------------------------------------------------- generation

    /** {@link #generate(GenerationRequest, GenerationListener)} of a prompt, without a listener. */
    public GenerationResult generate(String prompt) {
        return generate(GenerationRequest.prompt(prompt), GenerationListener.NONE);
    }

    /**
     * Runs {@code request} and blocks until it ends (the runtime's {@code rkllm_run}, or
     * {@code rkllm_run_async} plus a wait when the model was loaded with {@link Builder#async}).
     * The wait inside the runtime cannot be interrupted: stop it with {@link #abort()}.
     *
     * @param listener receives tokens (and hidden states, logits, the FINISH statistics) on the
     *                 runtime's thread
     * @return the text, tokens and statistics; {@link Outcome#ABORTED} if {@link #abort()} stopped it
     * @throws IllegalArgumentException if the request does not fit the model (shape, ABI, LoRA name), or
     *                                  its shape cannot be checked: an embedding, image or video input
     *                                  while the hidden size is unknown ({@link Builder#hiddenSize})
     * @throws IllegalStateException    if the model is closed, or was loaded with {@code nBatch > 1}
     *                                  (use {@link #generateBatch})
     * @throws RkllmException           if the runtime refuses the run or ends it with {@code RKLLM_RUN_ERROR}
     * @throws RkllmBusyException       if {@link Builder#runWaitTimeout} passed while another run went on
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
     * Runs a batched request (a model loaded with {@link Builder#nBatch} N > 1): one input and one
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
        GenerationFuture future = new GenerationFuture(token);
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
        validate(request, listeners.size());
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
                validate(request, listeners.size());
            }
            GenerationEvent event = new GenerationEvent();
            event.begin();
            int rc = 0;
            try (Arena local = Arena.ofConfined()) {
                MemorySegment inputs = inputs(local, request);
                MemorySegment infer = inferParam(local, request);
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
                    rc = params.isAsync ? abi.runAsync(handle, inputs, infer) : abi.run(handle, inputs, infer);
                    if (params.isAsync && rc == 0) {
                        awaitAsync(run);
                    }
                } // else: stopped before the runtime got the task; nothing is run, the outcome is ABORTED
                synchronized (guard) {
                    current = null;
                }
            }
            List<GenerationResult> results = finish(run, rc, request, event);
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

    /**
     * Waits for FINISH/ERROR after {@code rkllm_run_async}, then for the runtime to leave the task
     * ({@link #awaitTaskLeft}); gives up when the runtime stopped without a FINISH or ERROR.
     */
    private void awaitAsync(Run run) {
        boolean interrupted = false;
        int idleChecks = 0;
        while (true) {
            try {
                if (run.done.await(25, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
                abortRun(run);
            }
            if (++idleChecks % 20 == 0 && !abi.isRunning(handle) && run.terminal < 0) {
                try {
                    if (run.done.await(250, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                LOG.warn("{}: the runtime stopped without a FINISH or ERROR callback", name);
                break;
            }
        }
        if (run.terminal >= 0) {
            awaitTaskLeft();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long {@link #awaitTaskLeft} waits for the runtime's thread to return from the last callback. */
    private static final long TASK_LEAVE_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * After the last callback of an asynchronous run: waits until the runtime no longer counts the task
     * as running ({@code rkllm_is_running}). The callback has returned to the runtime, but its thread
     * still ends the task (the emulator: microseconds); a call made before that (clearing the KV cache,
     * the next run) would find the handle busy.
     */
    private void awaitTaskLeft() {
        long start = System.nanoTime();
        while (abi.isRunning(handle)) {
            if (System.nanoTime() - start > TASK_LEAVE_LIMIT_NANOS) {
                LOG.warn("{}: rkllm_is_running still says running {} ms after the last callback", name,
                        TimeUnit.NANOSECONDS.toMillis(TASK_LEAVE_LIMIT_NANOS));
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private List<GenerationResult> finish(Run run, int rc, GenerationRequest request, GenerationEvent event) {
        long now = System.nanoTime();
        int terminal = run.terminal; // volatile read first: the callback's writes are visible after it
        Throwable failure = run.failure;
        if (run.pauseReturned && !request.keepHistory()) {
            // A pause keeps the KV cache; a run without history must leave only the system prompt, as
            // a finished or aborted run does.
            int c = abi.clearKvCache(handle, true, MemorySegment.NULL, MemorySegment.NULL);
            if (c != 0) {
                LOG.warn("{}: rkllm_clear_kv_cache after a stopped run returned {}", name, c);
            }
        }
        GenerationTimings timings = run.timings(now);
        String outcome = failure != null || terminal == Run.STATE_ERROR || (rc != 0 && terminal != Run.STATE_FINISH)
                ? "failed" : (run.stoppedBeforeEnd || (terminal < 0 && run.stopRequested)) ? "aborted" : "finished";
        event.end();
        if (event.shouldCommit()) {
            event.model = name;
            event.promptTokens = run.perf.prefillTokens();
            event.generatedTokens = run.tokenCallbacks;
            event.ttft = timings.ttftNanos();
            event.prefill = (long) (run.perf.prefillTimeMs() * 1e6);
            event.decode = run.lastTokenNanos > run.firstTokenNanos ? run.lastTokenNanos - run.firstTokenNanos : 0;
            event.decodeTokensPerSecond = timings.decodeTokensPerSecond();
            event.memoryBytes = (long) (run.perf.memoryUsageMb() * 1024 * 1024);
            event.outcome = outcome;
            event.commit();
        }
        if (failure != null) {
            throw rethrow(failure);
        }
        if (terminal == Run.STATE_ERROR) {
            throw RkllmException.runError("rkllm_run", rc != 0 ? rc : -1, name + ": the run ended in RKLLM_RUN_ERROR");
        }
        if (rc != 0 && terminal != Run.STATE_FINISH) {
            throw new RkllmException(params.isAsync ? "rkllm_run_async" : "rkllm_run", rc,
                    name + ": the runtime refused the run " + request);
        }
        metrics.record(Stage.GENERATION, timings.durationNanos());
        if (run.perf.prefillTokens() > 0) {
            metrics.record(Stage.PREFILL, (long) (run.perf.prefillTimeMs() * 1e6));
        }
        Outcome o = "aborted".equals(outcome) ? Outcome.ABORTED : Outcome.FINISHED;
        List<GenerationResult> results = new ArrayList<>(entries.length);
        for (int i = 0; i < entries.length; i++) {
            results.add(new GenerationResult(o, run.text(i), run.ids(i), run.hidden[i], run.logits[i], run.perf,
                    timings));
        }
        return results;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            r.addSuppressed(new NpuStackMarker());
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new org.npu4j.NpuException("the listener failed: " + t, t);
    }

    /** Marks, in a listener's exception, where the generate call that ran it was made. */
    private static final class NpuStackMarker extends Exception {
        private static final long serialVersionUID = 1L;

        NpuStackMarker() {
            super("rethrown by RkllmModel.generate to its caller (the listener ran on the runtime's thread)");
        }
    }

    // ------------------------------------------------------------------------------- the inputs

    private void validate(GenerationRequest r, int nListeners) {
        RkllmAbi a = runtime.abi();
        if (r.inputs().size() != params.nBatch) {
            throw new IllegalArgumentException("request has " + r.inputs().size() + " input(s); " + name
                    + " was loaded with nBatch " + params.nBatch + " (one input per batch entry)");
        }
        if (nListeners != r.inputs().size()) {
            throw new IllegalArgumentException(nListeners + " listeners for " + r.inputs().size() + " inputs");
        }
        if (a == RkllmAbi.V1_2 && r.sampling() != null) {
            throw new IllegalArgumentException("per-run sampling (RKLLMInferParam.sampling_params) needs RKLLM ABI 1.3;"
                    + " this runtime speaks 1.2: set sampling when loading the model");
        }
        if (a == RkllmAbi.V1_2 && r.maxNewTokens() > 0) {
            throw new IllegalArgumentException("per-run maxNewTokens (RKLLMInferParam.max_new_tokens) needs RKLLM ABI"
                    + " 1.3; this runtime speaks 1.2: set maxNewTokens when loading the model");
        }
        if (r.lora() != null && !loras.contains(r.lora())) {
            throw new IllegalArgumentException("LoRA adapter '" + r.lora() + "' is not loaded in " + name
                    + " (loaded: " + loadedLoras() + "): call loadLora first");
        }
        for (int i = 0; i < r.inputs().size(); i++) {
            validate(r.inputs().get(i), a, r.inputs().size() > 1 ? "input " + i + ": " : "");
        }
    }

    private void validate(Input in, RkllmAbi a, String where) {
        switch (in) {
            case Input.Prompt p -> { }
            case Input.Tokens t -> {
                int vocab = vocabSize;
                if (vocab > 0) {
                    for (int id : t.ids()) {
                        if (id >= vocab) {
                            throw new IllegalArgumentException(where + "token id " + id + " is not below the vocabulary"
                                    + " size " + vocab + " of " + name);
                        }
                    }
                }
            }
            case Input.Embeddings e -> {
                int h = requireHiddenSize("embedding input");
                if (e.rowLength() != h) {
                    throw new IllegalArgumentException(where + "embedding input has " + e.data().length + " floats for "
                            + e.nTokens() + " tokens (" + e.rowLength() + " per token); " + name + " has hidden size "
                            + h + ": expected nTokens * " + h + " = " + (long) e.nTokens() * h + " floats");
                }
            }
            case Input.Multimodal m -> {
                ImageInput img = m.image();
                VideoInput vid = m.video();
                if (a == RkllmAbi.V1_2 && vid != null) {
                    throw new IllegalArgumentException(where + "video input needs RKLLM ABI 1.3; this runtime speaks 1.2");
                }
                if (a == RkllmAbi.V1_2 && img != null && img.hasTags()) {
                    throw new IllegalArgumentException(where + "image tags per input need RKLLM ABI 1.3; on 1.2 they are"
                            + " model parameters: RkllmModel.Builder.imageTags");
                }
                if (img != null) {
                    int h = requireHiddenSize("image input");
                    int blocks = vision != null ? vision.outputs() : 1;
                    long want = img.rows() * h * blocks;
                    if (img.embeddings().length != want) {
                        throw new IllegalArgumentException(where + "image embeddings have " + img.embeddings().length
                                + " floats; " + img.nImages() + " image(s) x " + img.tokensPerImage() + " tokens x hidden"
                                + " size " + h + (blocks > 1 ? " x " + blocks + " encoder outputs" : "") + " = " + want);
                    }
                }
                if (vid != null) {
                    int h = requireHiddenSize("video input");
                    long want = vid.rows() * h;
                    if (vid.embeddings().length != want) {
                        throw new IllegalArgumentException(where + "video embeddings have " + vid.embeddings().length
                                + " floats; " + vid.nVideos() + " video(s) x " + vid.framesPerVideo() + " frames x "
                                + vid.tokensPerFrame() + " tokens x hidden size " + h + " = " + want);
                    }
                }
            }
        }
    }

    private int requireHiddenSize(String what) {
        int h = hiddenSize;
        if (h <= 0) {
            throw new IllegalArgumentException("the hidden size of " + name + " is not known, so the shape of the " + what
                    + " cannot be checked: give it with RkllmModel.Builder.hiddenSize (hidden_size in the model's"
                    + " config.json), or run InferMode.LAST_HIDDEN_LAYER once");
        }
        return h;
    }

    private MemorySegment inputs(Arena a, GenerationRequest r) {
        MemorySegment array = abi.inputArray(a, r.inputs().size());
        MemorySegment role = a.allocateFrom(r.role());
        for (int i = 0; i < r.inputs().size(); i++) {
            MemorySegment in = abi.inputAt(array, i);
            switch (r.inputs().get(i)) {
                case Input.Prompt p -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputPrompt());
                    abi.promptInput(in, a.allocateFrom(p.text()));
                }
                case Input.Tokens t -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputToken());
                    abi.tokenInput(in, a.allocateFrom(ValueLayout.JAVA_INT, t.ids()), t.ids().length);
                }
                case Input.Embeddings e -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputEmbed());
                    abi.embedInput(in, a.allocateFrom(ValueLayout.JAVA_FLOAT, e.data()), e.nTokens());
                }
                case Input.Multimodal m -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputMultimodal());
                    ImageInput img = m.image();
                    VideoInput vid = m.video();
                    AbiAdapter.NativeImage ni = img == null ? null : new AbiAdapter.NativeImage(
                            a.allocateFrom(ValueLayout.JAVA_FLOAT, img.embeddings()), img.tokensPerImage(),
                            img.nImages(), img.width(), img.height(), Strings.cString(a, img.start()),
                            Strings.cString(a, img.end()), Strings.cString(a, img.content()));
                    AbiAdapter.NativeVideo nv = vid == null ? null : new AbiAdapter.NativeVideo(
                            a.allocateFrom(ValueLayout.JAVA_FLOAT, vid.embeddings()), vid.tokensPerFrame(),
                            vid.framesPerVideo(), vid.nVideos(), vid.frameWidth(), vid.frameHeight(),
                            Strings.cString(a, vid.start()), Strings.cString(a, vid.end()),
                            Strings.cString(a, vid.content()));
                    abi.multimodalInput(in, a.allocateFrom(m.prompt()), ni, nv);
                }
            }
        }
        return array;
    }

    private MemorySegment inferParam(Arena a, GenerationRequest r) {
        int mode = switch (r.mode()) {
            case GENERATE -> abi.modeGenerate();
            case LAST_HIDDEN_LAYER -> abi.modeLastHiddenLayer();
            case LOGITS -> abi.modeLogits();
        };
        MemorySegment lora = r.lora() == null ? MemorySegment.NULL : abi.loraParam(a, a.allocateFrom(r.lora()));
        Path cache = r.savePromptCache();
        MemorySegment pc = cache == null ? MemorySegment.NULL
                : abi.promptCacheParam(a, true, a.allocateFrom(cache.toAbsolutePath().toString()));
        return abi.inferParam(a, mode, lora, pc, r.sampling(), r.keepHistory(), r.maxNewTokens());
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
     * @throws IllegalStateException if the model was not loaded with {@link Builder#crossAttention}
     */
    public void setCrossAttention(CrossAttention ca) {
        Objects.requireNonNull(ca, "ca");
        if (!params.useCrossAttn) {
            throw new IllegalStateException(name + " was loaded without cross attention: set"
                    + " RkllmModel.Builder.crossAttention(true) (extend_param.use_cross_attn)");
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
        return conversation.generate(request, listener);
    }

    @Override
    public CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
        checkOpen();
        return conversation.generateAsync(request, listener);
    }

    /** {@inheritDoc} @throws IllegalStateException if the model is closed */
    @Override
    public ChatSession chat() {
        checkOpen();
        return LanguageModel.super.chat();
    }

    @Override
    public Flow.Publisher<Token> stream(LlmRequest request) {
        Objects.requireNonNull(request, "request");
        checkOpen();
        return conversation.stream(request);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Capabilities: tools, thinking and KV reuse (the runtime renders the template; function calling
     * needs a model whose template supports it); no seed (RKLLM takes none); images when the model was
     * loaded with a {@link Builder#vision vision encoder}.
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
        EnumSet<Capability> c = EnumSet.of(Capability.TOOLS, Capability.THINKING, Capability.KV_REUSE);
        if (vision != null) {
            c.add(Capability.IMAGES);
        }
        if (Boolean.TRUE.equals(params.ignoreEosToken)) {
            c.add(Capability.IGNORE_EOS);
        }
        return c;
    }

    // ---------------------------------------------------------------------------- accessors

    /** The vision encoder images go through ({@link Builder#vision}), or null. */
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

    private static void requireFile(Path file, String what) {
        Objects.requireNonNull(file, what);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(what + " " + file.toAbsolutePath() + " does not exist or is not a file");
        }
    }

    @Override
    public String toString() {
        return "RkllmModel[" + name + ", " + runtime + (closed ? ", closed" : "") + "]";
    }

    // ------------------------------------------------------------------------- cancellation

    /** Ties a future or subscription to the run it starts. */
    static final class CancelToken {
        volatile boolean cancelled;
        private @Nullable Run run;

        /** Whether the bound run was asked to stop (abort, close, cancel, a failing listener). */
        synchronized boolean runStopped() {
            return run != null && run.stopRequested;
        }

        /** Binds the run; false if already cancelled. */
        synchronized boolean bind(Run r) {
            if (cancelled) {
                return false;
            }
            this.run = r;
            return true;
        }

        void cancel(RkllmModel m) {
            Run r;
            synchronized (this) {
                cancelled = true;
                r = run;
            }
            if (r != null) {
                m.abortRun(r);
            }
        }
    }

    private final class GenerationFuture extends CompletableFuture<GenerationResult> {
        private final CancelToken token;

        GenerationFuture(CancelToken token) {
            this.token = token;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean done = super.cancel(mayInterruptIfRunning);
            if (done) {
                token.cancel(RkllmModel.this);
            }
            return done;
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>();
        }
    }

    // ------------------------------------------------------------------------------- builder

    /**
     * The parameters of {@code rkllm_init}: every field of {@code RKLLMParam} and
     * {@code RKLLMExtendParam}. Unset fields keep the runtime's defaults ({@code rkllm_createDefaultParam}),
     * except the CPU mask, which defaults to the big cores this process may use. Each setter checks its range
     * and throws {@link IllegalArgumentException} naming the field; {@link #load()} checks the
     * combinations and the ABI-specific fields. Not thread-safe.
     */
    public static final class Builder {
        private final Path modelFile;
        private @Nullable RkllmRuntime runtime;
        private @Nullable String name;
        private @Nullable Integer maxContextLen;
        private @Nullable Integer maxNewTokens;
        private @Nullable Integer nKeep;
        private @Nullable SamplingParams sampling;
        private @Nullable Integer topK;
        private @Nullable Float topP;
        private @Nullable Float temperature;
        private @Nullable Float repeatPenalty;
        private @Nullable Float frequencyPenalty;
        private @Nullable Float presencePenalty;
        private @Nullable Integer mirostat;
        private @Nullable Float mirostatTau;
        private @Nullable Float mirostatEta;
        private @Nullable Boolean skipSpecialToken;
        private @Nullable Boolean ignoreEosToken;
        private @Nullable Boolean async;
        private boolean imageTagsSet;
        private @Nullable String imgStart;
        private @Nullable String imgEnd;
        private @Nullable String imgContent;
        private @Nullable Integer baseDomainId;
        private @Nullable Boolean embedFlash;
        private @Nullable Integer cpuMask;
        private @Nullable Integer cpuCount;
        private @Nullable Integer nBatch;
        private @Nullable Boolean crossAttention;
        private int hiddenSize;
        private @Nullable VisionEncoder vision;
        private @Nullable Duration runWaitTimeout;
        private @Nullable HostTuning tuning;

        private Builder(Path modelFile) {
            this.modelFile = Objects.requireNonNull(modelFile, "modelFile");
        }

        /** The runtime to load into (default: {@link RkllmRuntime#load()}). */
        public Builder runtime(RkllmRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /** Name in logs, metrics and JFR events (default: the model file's name). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Context window in tokens ({@code max_context_len}): prompt, history and answer together.
         * Accepted {@code >= 1}; the runtime refuses more than the model supports (vendor: up to 16K for
         * most models since 1.2.0).
         */
        public Builder maxContextLen(int tokens) {
            SamplingParams.check(tokens >= 1, "maxContextLen (max_context_len)", tokens, ">= 1");
            this.maxContextLen = tokens;
            return this;
        }

        /** Generated tokens per run ({@code max_new_tokens}); accepted {@code >= 1}, or -1 for no limit. */
        public Builder maxNewTokens(int tokens) {
            SamplingParams.check(tokens >= 1 || tokens == -1, "maxNewTokens (max_new_tokens)", tokens,
                    ">= 1, or -1 for no limit but the context");
            this.maxNewTokens = tokens;
            return this;
        }

        /**
         * Tokens kept at the start of the KV cache when a full context shifts ({@code n_keep}); accepted
         * {@code 0 <= n < maxContextLen}, or -1 for the runtime's choice (the system prompt).
         */
        public Builder nKeep(int tokens) {
            SamplingParams.check(tokens >= -1, "nKeep (n_keep)", tokens, ">= 0 and < maxContextLen, or -1");
            this.nKeep = tokens;
            return this;
        }

        /** All sampling parameters at once (checked by {@link SamplingParams#validate()}). */
        public Builder sampling(SamplingParams sampling) {
            this.sampling = Objects.requireNonNull(sampling, "sampling").validate();
            return this;
        }

        /** {@code top_k}; accepted {@code >= 0} (0 = no top-k cut). */
        public Builder topK(int k) {
            SamplingParams.check(k >= 0, "topK (top_k)", k, ">= 0");
            this.topK = k;
            return this;
        }

        /** {@code top_p}; accepted {@code (0, 1]}. */
        public Builder topP(float p) {
            SamplingParams.check(p > 0 && p <= 1, "topP (top_p)", p, "(0, 1]");
            this.topP = p;
            return this;
        }

        /** {@code temperature}; accepted {@code >= 0}, finite (0 = greedy). */
        public Builder temperature(float t) {
            SamplingParams.check(Float.isFinite(t) && t >= 0, "temperature", t, ">= 0 and finite");
            this.temperature = t;
            return this;
        }

        /** {@code repeat_penalty}; accepted {@code > 0}, finite (1 = off). */
        public Builder repeatPenalty(float p) {
            SamplingParams.check(Float.isFinite(p) && p > 0, "repeatPenalty (repeat_penalty)", p, "> 0 and finite");
            this.repeatPenalty = p;
            return this;
        }

        /** {@code frequency_penalty}; any finite value (0 = off). */
        public Builder frequencyPenalty(float p) {
            SamplingParams.check(Float.isFinite(p), "frequencyPenalty (frequency_penalty)", p, "any finite value");
            this.frequencyPenalty = p;
            return this;
        }

        /** {@code presence_penalty}; any finite value (0 = off). */
        public Builder presencePenalty(float p) {
            SamplingParams.check(Float.isFinite(p), "presencePenalty (presence_penalty)", p, "any finite value");
            this.presencePenalty = p;
            return this;
        }

        /** {@code mirostat} (0 off, 1, 2), {@code mirostat_tau} and {@code mirostat_eta} ({@code > 0}). */
        public Builder mirostat(int mode, float tau, float eta) {
            SamplingParams.check(mode >= 0 && mode <= 2, "mirostat", mode, "0 (off), 1 or 2");
            SamplingParams.check(Float.isFinite(tau) && tau > 0, "mirostatTau (mirostat_tau)", tau, "> 0 and finite");
            SamplingParams.check(Float.isFinite(eta) && eta > 0, "mirostatEta (mirostat_eta)", eta, "> 0 and finite");
            this.mirostat = mode;
            this.mirostatTau = tau;
            this.mirostatEta = eta;
            return this;
        }

        /** Leave special tokens out of the text ({@code skip_special_token}). */
        public Builder skipSpecialToken(boolean skip) {
            this.skipSpecialToken = skip;
            return this;
        }

        /** Keep generating past end-of-sequence ({@code ignore_eos_token}, ABI 1.3 only: load fails on 1.2). */
        public Builder ignoreEosToken(boolean ignore) {
            this.ignoreEosToken = ignore;
            return this;
        }

        /**
         * Run through {@code rkllm_run_async} ({@code is_async}); {@link RkllmModel#generate} still blocks
         * until the run ends, and {@link RkllmModel#abort()} works the same. The run ends when the runtime
         * has left its FINISH/ERROR callback ({@code rkllm_is_running} says idle), as with
         * {@code rkllm_run}: an exception of {@code onFinish} reaches the caller, and the next call (a KV
         * cache clear, another run) finds the handle idle.
         */
        public Builder async(boolean async) {
            this.async = async;
            return this;
        }

        /**
         * Image tags of multimodal prompts ({@code img_start}, {@code img_end}, {@code img_content}; ABI 1.2
         * only: 1.3 takes them per input, see {@link ImageInput#withTags}; load fails on 1.3).
         */
        public Builder imageTags(@Nullable String start, @Nullable String end, @Nullable String content) {
            Strings.checkNoNul(start, "img_start");
            Strings.checkNoNul(end, "img_end");
            Strings.checkNoNul(content, "img_content");
            this.imageTagsSet = true;
            this.imgStart = start;
            this.imgEnd = end;
            this.imgContent = content;
            return this;
        }

        /** {@code extend_param.base_domain_id} (NPU memory domain); accepted {@code >= 0}. */
        public Builder baseDomainId(int id) {
            SamplingParams.check(id >= 0, "baseDomainId (base_domain_id)", id, ">= 0");
            this.baseDomainId = id;
            return this;
        }

        /** Read word embeddings from flash instead of memory ({@code extend_param.embed_flash}). */
        public Builder embedFlash(boolean on) {
            this.embedFlash = on;
            return this;
        }

        /**
         * The CPUs of the runtime's threads ({@code extend_param.enabled_cpus_mask}, bit N = CPU N, CPUs
         * 0-31); {@code enabled_cpus_num} becomes the number of bits unless {@link #cpuCount} is set.
         * Default: the big cores this process may use ({@code org.npu4j.tuning.CpuTopology#bigCoreMask()};
         * RK3588: the A76 cores 4-7, mask 0xF0, as the vendor demos pin them; all cores where all are equal).
         */
        public Builder cpuMask(int mask) {
            SamplingParams.check(mask != 0, "cpuMask (enabled_cpus_mask)", "0x" + Integer.toHexString(mask),
                    "a non-zero mask of CPUs 0-31");
            this.cpuMask = mask;
            return this;
        }

        /** {@code extend_param.enabled_cpus_num}; accepted 1 to the number of CPUs in the mask. */
        public Builder cpuCount(int n) {
            SamplingParams.check(n >= 1 && n <= 32, "cpuCount (enabled_cpus_num)", n, "1 to 32");
            this.cpuCount = n;
            return this;
        }

        /**
         * Batch entries per run ({@code extend_param.n_batch}); accepted 1 to 255 (the field is 8 bits);
         * with more than 1, run with {@link RkllmModel#generateBatch}.
         */
        public Builder nBatch(int n) {
            SamplingParams.check(n >= 1 && n <= 255, "nBatch (n_batch)", n, "1 to 255");
            this.nBatch = n;
            return this;
        }

        /** Load a cross-attention decoder ({@code extend_param.use_cross_attn}). */
        public Builder crossAttention(boolean on) {
            this.crossAttention = on;
            return this;
        }

        /**
         * The model's hidden size ({@code hidden_size} of its config.json), for checking the shapes of
         * embedding and multimodal inputs (the ABI does not report it until a hidden-state run).
         */
        /**
         * Images through this encoder ({@link org.npu4j.llm.Capability#IMAGES}); the model owns it from
         * {@link #load()} on and closes it (also when loading fails). Needs the {@link #hiddenSize hidden
         * size}, which must equal the encoder's embedding width (checked at load, before any native call).
         * On ABI 1.2, where the image tags are model parameters, sets Qwen-VL's tags unless
         * {@link #imageTags} gave others.
         */
        public Builder vision(@Nullable VisionEncoder encoder) {
            this.vision = encoder;
            return this;
        }

        public Builder hiddenSize(int size) {
            SamplingParams.check(size >= 1, "hiddenSize", size, ">= 1");
            this.hiddenSize = size;
            return this;
        }

        /**
         * Host tuning applied for the model's life (default: none): {@link #load()} applies it
         * ({@link HostTuning#apply()}) before {@code rkllm_init}, {@link RkllmModel#close()} restores the
         * host after {@code rkllm_destroy}, and the tuning session's shutdown hook restores it at JVM exit if
         * the model is never closed. Without the rights to write (not root) nothing changes and the plan is
         * logged once as a warning (a dry run). If applying fails, nothing stays changed and {@link #load()}
         * throws the {@link TuningException}; if the model then fails to load, the tuning is restored first.
         */
        public Builder tuning(@Nullable HostTuning tuning) {
            this.tuning = tuning;
            return this;
        }

        /** How long a call waits for a running generation before {@link RkllmBusyException} (default: forever). */
        public Builder runWaitTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("runWaitTimeout " + timeout + ": accepted >= 0");
            }
            this.runWaitTimeout = timeout;
            return this;
        }

        /**
         * Loads the model ({@code rkllm_init}). Blocks for the load (seconds on a board).
         *
         * @throws IllegalArgumentException if the file does not exist or the settings do not fit together or
         *                                  the ABI
         * @throws RkllmException           if the runtime refuses the model (not a model, too large a context,
         *                                  ...)
         * @throws org.npu4j.NpuException   if no runtime library can be loaded
         * @throws TuningException          if the {@link #tuning host tuning} cannot be applied (nothing changed)
         */
        public RkllmModel load() {
            boolean loaded = false;
            try {
                checkVision();
                requireFile(modelFile, "model file");
                RkllmRuntime rt = runtime != null ? runtime : RkllmRuntime.load();
                TuningSession session = tuning != null ? tuning.apply() : null;
                try {
                    RkllmModel m = new RkllmModel(this, rt, session);
                    loaded = true;
                    return m;
                } catch (RuntimeException | Error e) {
                    TuningSession.restoreAfter(session, e);
                    throw e;
                }
            } finally {
                if (!loaded && vision != null) {
                    vision.close();
                }
            }
        }

        /** The encoder's embedding width against the hidden size, before anything native happens. */
        private void checkVision() {
            if (vision == null) {
                return;
            }
            String llm = name != null ? name : String.valueOf(modelFile.getFileName());
            if (hiddenSize <= 0) {
                throw new IllegalArgumentException("a vision encoder needs the hidden size of " + llm + " to check its"
                        + " embedding width (" + vision.embedSize() + ") against: give it with hiddenSize (hidden_size"
                        + " in the model's config.json)");
            }
            vision.checkHiddenSize(hiddenSize, llm);
        }

        /** Applies the settings over the runtime's defaults and checks what depends on several of them. */
        void apply(ParamValues v, RkllmAbi abi) {
            if (ignoreEosToken != null && abi == RkllmAbi.V1_2) {
                throw new IllegalArgumentException("ignoreEosToken (ignore_eos_token) needs RKLLM ABI 1.3; this runtime"
                        + " speaks 1.2");
            }
            if (imageTagsSet && abi != RkllmAbi.V1_2) {
                throw new IllegalArgumentException("imageTags (img_start/img_end/img_content) are RKLLMParam fields of"
                        + " ABI 1.2 only; on " + abi + " give them per input with ImageInput.withTags");
            }
            v.modelPath = modelFile.toAbsolutePath().toString();
            if (maxContextLen != null) {
                v.maxContextLen = maxContextLen;
            }
            if (maxNewTokens != null) {
                v.maxNewTokens = maxNewTokens;
            }
            if (nKeep != null) {
                if (nKeep >= v.maxContextLen) {
                    throw new IllegalArgumentException("nKeep (n_keep) = " + nKeep + " is out of range: accepted >= 0"
                            + " and < maxContextLen (" + v.maxContextLen + "), or -1");
                }
                v.nKeep = nKeep;
            }
            SamplingParams s = sampling != null ? sampling : v.sampling;
            if (topK != null) {
                s = s.withTopK(topK);
            }
            if (topP != null) {
                s = s.withTopP(topP);
            }
            if (temperature != null) {
                s = s.withTemperature(temperature);
            }
            if (repeatPenalty != null) {
                s = s.withRepeatPenalty(repeatPenalty);
            }
            if (frequencyPenalty != null) {
                s = s.withFrequencyPenalty(frequencyPenalty);
            }
            if (presencePenalty != null) {
                s = s.withPresencePenalty(presencePenalty);
            }
            if (mirostat != null) {
                s = s.withMirostat(mirostat, mirostatTau, mirostatEta);
            }
            v.sampling = s;
            if (skipSpecialToken != null) {
                v.skipSpecialToken = skipSpecialToken;
            }
            if (ignoreEosToken != null) {
                v.ignoreEosToken = ignoreEosToken;
            }
            if (async != null) {
                v.isAsync = async;
            }
            if (imageTagsSet) {
                v.imgStart = imgStart;
                v.imgEnd = imgEnd;
                v.imgContent = imgContent;
            } else if (vision != null && abi == RkllmAbi.V1_2) {
                v.imgStart = VisionEncoder.QWEN_START;
                v.imgEnd = VisionEncoder.QWEN_END;
                v.imgContent = VisionEncoder.QWEN_CONTENT;
            }
            if (baseDomainId != null) {
                v.baseDomainId = baseDomainId;
            }
            if (embedFlash != null) {
                v.embedFlash = embedFlash;
            }
            int mask = cpuMask != null ? cpuMask : CpuDefaults.defaultMask();
            int usable = CpuDefaults.usableCpusMask();
            if (cpuMask != null && (mask & usable) == 0) {
                throw new IllegalArgumentException("cpuMask (enabled_cpus_mask) = 0x" + Integer.toHexString(mask)
                        + " names no CPU that is online and allowed to this process: accepted a mask with at least one"
                        + " of 0x" + Integer.toHexString(usable));
            }
            int bits = Integer.bitCount(mask);
            if (cpuCount != null && cpuCount > bits) {
                throw new IllegalArgumentException("cpuCount (enabled_cpus_num) = " + cpuCount + " is out of range:"
                        + " accepted 1 to the " + bits + " CPUs of the mask 0x" + Integer.toHexString(mask));
            }
            v.enabledCpusMask = mask;
            v.enabledCpusNum = cpuCount != null ? cpuCount : bits;
            if (nBatch != null) {
                v.nBatch = nBatch;
            }
            if (v.nBatch < 1) {
                v.nBatch = 1; // the runtime treats 0 as 1
            }
            if (crossAttention != null) {
                v.useCrossAttn = crossAttention;
            }
        }
    }
}
