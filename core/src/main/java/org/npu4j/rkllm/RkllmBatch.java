package org.npu4j.rkllm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.BatchEntry;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.StopSequences;
import org.npu4j.llm.TokenListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LLM API's batches on RKLLM ({@link org.npu4j.llm.BatchingLanguageModel#generateBatch} of a model
 * loaded with {@code nBatch} N &gt; 1): one {@code rkllm_run} with N inputs.
 *
 * <h2>How a batch is run</h2>
 * <ul>
 *   <li>The runtime takes exactly N inputs per run (vendor header: {@code rkllm_run} reads
 *       {@code n_batch} inputs), so a batch of fewer requests is padded with filler prompts whose output
 *       is dropped.</li>
 *   <li>The chat template, function declarations and the run's sampling values are the runtime's, one
 *       for the whole run ({@link RkllmConversation.BatchKey}): only requests with equal keys share a run.
 *       Each entry sends its whole conversation with {@code keep_history = 0} (no KV reuse: every entry's
 *       cache holds only its own prompt, and is emptied after the run).</li>
 *   <li>Token limits, stop sequences and stops are per entry, applied here: the runtime has one
 *       {@code max_new_tokens} per run (ABI 1.3; 1.2: per model) and {@code rkllm_abort} ends the whole
 *       run (vendor header: it takes only the handle). A finished or stopped entry gets no more tokens
 *       (the runtime keeps decoding it; its output is dropped); once no entry is left the run is
 *       aborted.</li>
 *   <li>An entry is done, and its {@link BatchEntry#result()} completed, at its token limit, at a stop
 *       sequence, when stopped, or when a callback carries a token for another entry but none for it (the
 *       runtime reports a finished entry with {@code text == NULL}, token -1: emulator README; inferred
 *       for the vendor runtime, where the FINISH callback is the fallback).</li>
 *   <li>Usage per entry: prompt tokens from {@code rkllm_get_kv_cache_size} at the run's first token
 *       (each entry's cache then holds its prompt and that token), generated tokens counted here; the
 *       runtime's {@code RKLLMPerfStat} covers the whole batch, so each entry's {@link PerfStats} is
 *       npu4j's host measurement of that entry (prefill: run start to its first token; generate: its
 *       first to its last token; memory 0: reported per run only).</li>
 * </ul>
 *
 * <p>Threading: {@link #run} on the caller's thread under the model's run lock; the slots' listener
 * methods on the runtime's thread; {@link BatchEntry#stop()} on any thread.
 */
final class RkllmBatch {
    private static final Logger LOG = LoggerFactory.getLogger(RkllmBatch.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** The prompt of a padding entry (one token; its answer is dropped). */
    static final String FILLER = ".";

    private final RkllmModel model;
    private final RkllmConversation conversation;

    RkllmBatch(RkllmModel model, RkllmConversation conversation) {
        this.model = model;
        this.conversation = conversation;
    }

    boolean batchable(LlmRequest a, LlmRequest b) {
        return !hasImages(a) && !hasImages(b) && conversation.batchKey(a).equals(conversation.batchKey(b));
    }

    private static boolean hasImages(LlmRequest r) {
        for (ChatMessage m : r.messages()) {
            if (!m.images().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * One request as a batch of one (padded), on the calling thread: what {@code generate} does on a model
     * loaded with {@code nBatch} N &gt; 1. A listener's exception reaches the caller as it was thrown.
     */
    Completion runAlone(LlmRequest request, TokenListener listener) {
        BatchEntry e = new BatchEntry(request, listener);
        Completion c = run(List.of(e)).get(0);
        Throwable failure = e.failure();
        if (failure != null) {
            throw RunCompletion.rethrow(failure);
        }
        return c;
    }

    /**
     * {@link #runAlone} on a new virtual thread. Cancelling the returned future stops the entry (the run is
     * aborted once no entry is left, also before it starts).
     */
    CompletableFuture<Completion> runAloneAsync(LlmRequest request, TokenListener listener) {
        BatchEntry e = new BatchEntry(request, listener);
        CompletableFuture<Completion> out = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                e.stop();
                return super.cancel(mayInterruptIfRunning);
            }
        };
        e.result().whenComplete((c, t) -> {
            if (t != null) {
                out.completeExceptionally(t);
            } else {
                out.complete(c);
            }
        });
        Thread.ofVirtual().name("npu4j-rkllm-" + THREADS.incrementAndGet()).start(() -> {
            try {
                run(List.of(e));
            } catch (Throwable t) {
                out.completeExceptionally(t);
            }
        });
        return out;
    }

    /** Runs {@code entries} as one batch; see the class comment. */
    List<Completion> run(List<BatchEntry> entries) {
        int n = model.nBatch();
        if (entries.isEmpty() || entries.size() > n) {
            throw new IllegalArgumentException(entries.size() + " entries: " + model.name() + " runs 1 to " + n
                    + " per batch (loaded with nBatch " + n + ")");
        }
        LlmRequest first = entries.get(0).request();
        for (int i = 0; i < entries.size(); i++) {
            LlmRequest r = entries.get(i).request();
            if (hasImages(r)) {
                throw new IllegalArgumentException("entry " + i + " has images: a model loaded with nBatch " + n
                        + " takes no image input (load it without batch=N for images)");
            }
            if (i > 0 && !batchable(first, r)) {
                throw new IllegalArgumentException("entry " + i + " is not batchable with entry 0: a batch shares the"
                        + " system prompt, tools, thinking switch and sampling (" + conversation.batchKey(first)
                        + " vs " + conversation.batchKey(r) + ")");
            }
        }
        State state = new State(entries, n);
        List<GenerationListener> listeners = new ArrayList<>(n);
        listeners.addAll(Arrays.asList(state.slots));
        List<Input> fillers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            fillers.add(Input.prompt(FILLER));
        }
        GenerationRequest placeholder = GenerationRequest.batch(fillers).hooks(state).build();
        for (Slot s : state.slots) {
            if (s.entry != null) {
                s.entry.onStop(() -> state.stopEntry(s));
            }
        }
        try {
            model.generateBatch(placeholder, listeners, state.token);
        } catch (CancellationException e) {
            // every entry was gone before the run started: nothing ran
            if (!state.allDone()) {
                state.failAll(e);
                throw e;
            }
        } catch (RuntimeException | Error e) {
            state.failAll(e);
            throw e;
        }
        state.endAll();
        List<Completion> out = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            out.add(state.slots[i].completion);
        }
        return out;
    }

    /** What happens to one batch entry. */
    private enum End {
        NATURAL, LENGTH, STOP_SEQUENCE, STOPPED, FAILED, RUN_ENDED, RUN_ABORTED
    }

    /** The run's shared state; its hooks run under the model's lock. */
    private final class State implements RunHooks {
        final Slot[] slots;
        final int real;
        final CancelToken token = new CancelToken();
        final AtomicBoolean aborted = new AtomicBoolean();
        final RkllmConversation.BatchKey key;
        volatile long startNanos;
        // Callback thread only: which slots got a token in the current callback.
        private int lastIndex = -1;
        private int[] kvSizes;

        State(List<BatchEntry> entries, int n) {
            this.real = entries.size();
            this.slots = new Slot[n];
            for (int i = 0; i < n; i++) {
                slots[i] = new Slot(this, i, i < real ? entries.get(i) : null);
            }
            this.key = conversation.batchKey(entries.get(0).request());
        }

        @Override
        public GenerationRequest beforeRun() {
            conversation.prepareBatch(key);
            List<Input> inputs = new ArrayList<>(slots.length);
            int runLimit = 0;
            boolean unlimited = false;
            for (Slot s : slots) {
                inputs.add(Input.prompt(s.entry == null ? FILLER : nonEmpty(conversation.batchPrompt(s.entry.request()))));
                if (s.entry != null) {
                    int l = s.entry.request().maxNewTokens();
                    if (l <= 0) {
                        unlimited = true;
                    }
                    runLimit = Math.max(runLimit, l);
                }
            }
            GenerationRequest.Builder b = GenerationRequest.batch(inputs).role("user").enableThinking(key.thinking())
                    .keepHistory(false);
            if (model.runtime().abi() == RkllmAbi.V1_3) {
                b.maxNewTokens(unlimited ? 0 : runLimit); // on 1.2 the model's limit applies, each entry's here
                if (key.sampling() != null) {
                    b.sampling(key.sampling());
                }
            }
            startNanos = System.nanoTime();
            return b.build();
        }

        @Override
        public void afterRun(@Nullable GenerationResult result) {
            // nothing is kept: the next request (batched or not) starts from an empty cache
        }

        /** Callback thread: a token for slot {@code i}; a callback boundary ends the slots it skipped. */
        void mark(int i) {
            if (kvSizes == null) {
                try {
                    kvSizes = model.kvCacheSizes();
                } catch (RuntimeException e) {
                    LOG.debug("{}: KV cache sizes unavailable: {}", model.name(), e.toString());
                    kvSizes = new int[slots.length];
                }
            }
            if (i <= lastIndex) {
                for (Slot s : slots) {
                    if (!s.seen && s.entry != null) {
                        finish(s, End.NATURAL, null);
                    }
                    s.seen = false;
                }
            }
            slots[i].seen = true;
            lastIndex = i;
        }

        void stopEntry(Slot s) {
            finish(s, End.STOPPED, null);
        }

        /** Completes {@code s} once; aborts the run when no real entry is left. */
        void finish(Slot s, End end, @Nullable Throwable failure) {
            if (!s.claim()) {
                return;
            }
            s.complete(end, failure);
            if (allDone() && aborted.compareAndSet(false, true)) {
                token.cancel(model);
            }
        }

        boolean allDone() {
            for (int i = 0; i < real; i++) {
                if (!slots[i].isDone()) {
                    return false;
                }
            }
            return true;
        }

        /** After the run returned: the entries still open ended with it. */
        void endAll() {
            for (int i = 0; i < real; i++) {
                finish(slots[i], aborted.get() || token.runStopped() ? End.RUN_ABORTED : End.RUN_ENDED, null);
            }
        }

        void failAll(Throwable t) {
            for (int i = 0; i < real; i++) {
                finish(slots[i], End.FAILED, t);
            }
        }

        int promptTokens(Slot s) {
            int[] k = kvSizes;
            if (k == null || s.index >= k.length) {
                return 0;
            }
            return Math.max(0, k[s.index] - (s.tokenCount() > 0 ? 1 : 0));
        }
    }

    private static String nonEmpty(String s) {
        return s.isEmpty() ? " " : s;
    }

    /** One batch entry (or a filler, {@code entry == null}). */
    private final class Slot implements GenerationListener {
        final State state;
        final int index;
        final @Nullable BatchEntry entry;
        final int limit;
        final @Nullable StopSequences stops;
        final TokenListener downstream;
        private final AtomicBoolean claimed = new AtomicBoolean();
        /** Set once the entry is done; read on the callback thread before delivering. */
        private volatile boolean done;
        boolean seen;
        // Guarded by this.
        private final StringBuilder delivered = new StringBuilder();
        private int[] ids = new int[64];
        private int nIds;
        private long firstNanos;
        private long lastNanos;
        private long[] gaps = new long[64];
        private int nGaps;
        // Written once by complete().
        Completion completion;

        Slot(State state, int index, @Nullable BatchEntry entry) {
            this.state = state;
            this.index = index;
            this.entry = entry;
            if (entry == null) {
                this.limit = Integer.MAX_VALUE;
                this.stops = null;
                this.downstream = TokenListener.NONE;
                return;
            }
            LlmRequest r = entry.request();
            int l = r.maxNewTokens() > 0 ? r.maxNewTokens() : model.maxNewTokens();
            this.limit = l > 0 ? l : Integer.MAX_VALUE;
            TokenListener deliver = new TokenListener() {
                @Override
                public void onToken(String text, int tokenId) {
                    synchronized (Slot.this) {
                        delivered.append(text);
                    }
                    if (!done) {
                        entry.listener().onToken(text, tokenId);
                    }
                }
            };
            this.stops = r.stop().isEmpty() ? null
                    : new StopSequences(r.stop(), deliver, () -> state.finish(this, End.STOP_SEQUENCE, null));
            this.downstream = stops != null ? stops : deliver;
        }

        boolean claim() {
            return claimed.compareAndSet(false, true);
        }

        boolean isDone() {
            return claimed.get();
        }

        synchronized int tokenCount() {
            return nIds;
        }

        @Override
        public void onToken(String text, int tokenId) {
            state.mark(index);
            if (entry == null || done) {
                return;
            }
            long now = System.nanoTime();
            synchronized (this) {
                if (nIds == ids.length) {
                    ids = Arrays.copyOf(ids, nIds * 2);
                }
                if (tokenId >= 0) {
                    ids[nIds++] = tokenId;
                }
                if (firstNanos == 0) {
                    firstNanos = now;
                } else {
                    if (nGaps == gaps.length) {
                        gaps = Arrays.copyOf(gaps, nGaps * 2);
                    }
                    gaps[nGaps++] = now - lastNanos;
                }
                lastNanos = now;
            }
            try {
                downstream.onToken(text, tokenId);
            } catch (Throwable t) {
                state.finish(this, End.FAILED, t);
                return;
            }
            if (nIds >= limit) {
                state.finish(this, End.LENGTH, null);
            }
        }

        @Override
        public void onFinish(PerfStats perf) {
            // the run's FINISH: entries still open are completed when the run call returned (State.endAll)
        }

        /** Builds the completion and completes the entry's result; called once (after {@link #claim}). */
        void complete(End end, @Nullable Throwable failure) {
            if (entry == null) {
                done = true;
                return;
            }
            // A stopped entry is completed on the stopping thread while the runtime's thread may be in its
            // listener: it gets nothing more, not even onFinish. Otherwise this is the runtime's thread or
            // the run is over, and held-back text and onFinish are delivered as on a run of its own.
            boolean quiet = end == End.STOPPED || end == End.FAILED;
            if (!quiet && stops != null) {
                try {
                    stops.flush();
                } catch (Throwable t) {
                    failure = t;
                    quiet = true;
                }
            }
            done = true;
            long now = System.nanoTime();
            String text;
            int[] tokenIds;
            long first;
            long last;
            long[] g;
            synchronized (this) {
                text = delivered.toString();
                tokenIds = Arrays.copyOf(ids, nIds);
                first = firstNanos;
                last = lastNanos;
                g = Arrays.copyOf(gaps, nGaps);
            }
            long start = state.startNanos != 0 ? state.startNanos : now;
            int prompt = state.promptTokens(this);
            PerfStats perf = new PerfStats(first > 0 ? (first - start) / 1e6f : 0, prompt,
                    first > 0 ? (last - first) / 1e6f : 0, tokenIds.length, 0);
            Arrays.sort(g);
            GenerationTimings timings = new GenerationTimings(first > 0 ? first - start : -1, now - start,
                    tokenIds.length, tokenIds.length >= 2 && last > first ? (tokenIds.length - 1) * 1e9 / (last - first) : 0,
                    percentile(g, 50), percentile(g, 99), g.length > 0 ? g[g.length - 1] : 0);
            Outcome outcome = quiet || end == End.RUN_ABORTED ? Outcome.ABORTED
                    : Outcome.FINISHED;
            completion = Completion.of(outcome, end == End.LENGTH, text, tokenIds, prompt, 0, perf, timings);
            if (!quiet) {
                try {
                    entry.listener().onFinish(perf);
                } catch (Throwable t) {
                    failure = t;
                }
            }
            if (failure != null) {
                entry.result().completeExceptionally(failure);
            } else {
                entry.result().complete(completion);
            }
        }
    }

    private static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
