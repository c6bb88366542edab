package org.npu4j.rkllm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.PerfStats;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * The state of one run while the runtime calls back, and the callback's logic. Created per run by
 * the thread that calls {@code generate}; its {@link #onResult} runs on the runtime's thread.
 *
 * <p>Hand-over between the two threads: the runtime's thread writes the fields below and then the
 * volatile {@link #terminal} (or the stop flags); the calling thread reads {@code terminal} first
 * after {@code rkllm_run} returns or {@link #done} opens. {@code terminal} and {@code done} are set by
 * {@link #ended} once everything the FINISH/ERROR callback does is over, a listener's failure in
 * {@code onFinish} included.
 *
 * <p>Hot path (a NORMAL/WAITING callback with one token): reads the result struct by address (no
 * segment per field), copies the text bytes into a reused buffer, decodes them with a reused decoder,
 * records two latencies into allocation-free recorders. The only allocation is the {@code String} the
 * listener receives.
 */
final class Run {
    static final int CONTINUE = 0;
    /** What the callback returns to stop: "pause" (the ABI has no stop code; the runtime then ends with FINISH). */
    static final int PAUSE = 1;
    static final int STATE_NORMAL = 0;
    static final int STATE_WAITING = 1;
    static final int STATE_FINISH = 2;
    static final int STATE_ERROR = 3;

    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final boolean POINTER_64 = ValueLayout.ADDRESS.byteSize() == 8;

    /** Per batch entry, reused across runs: the text decoder and the token ids. */
    static final class Entry {
        final Utf8Stream text = new Utf8Stream();
        int[] ids = new int[256];
        int nIds;

        void reset() {
            text.reset();
            nIds = 0;
        }

        void add(int id) {
            if (nIds == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
            }
            ids[nIds++] = id;
        }
    }

    private final AbiAdapter.ResultOffsets off;
    private final int n;
    private final Entry[] entries;
    private final GenerationListener[] listeners;
    private final InferMode mode;
    private final LatencyRecorder metrics;
    private final Histogram interToken;
    private final RkllmModel model;
    final long startNanos;
    final boolean keepHistory;

    /** The thread of the latest callback (the runtime's thread). */
    volatile @Nullable Thread callbackThread;
    /** Abort or cancel asked for. */
    volatile boolean stopRequested;
    /** Set once, by the first stop from outside the callback: who repeats {@code rkllm_abort} is decided. */
    private final AtomicBoolean abortRepeated = new AtomicBoolean();
    /** The callback returned PAUSE at least once: the runtime kept the KV cache as it was. */
    volatile boolean pauseReturned;
    /** First failure of a listener (or of npu4j's own callback code). */
    volatile @Nullable Throwable failure;
    /** FINISH or ERROR once delivered and handled; -1 before. Written last by the callback ({@link #ended}). */
    volatile int terminal = -1;
    final CountDownLatch done = new CountDownLatch(1);

    // Written by the callback thread, read after terminal/done.
    long firstOutputNanos;
    long firstTokenNanos;
    long lastTokenNanos;
    int tokenCallbacks;
    long endNanos;
    boolean stoppedBeforeEnd;
    PerfStats perf = PerfStats.NONE;
    final @Nullable FloatMatrix[] hidden;
    final @Nullable FloatMatrix[] logits;

    Run(RkllmModel model, AbiAdapter.ResultOffsets off, Entry[] entries, List<? extends GenerationListener> listeners,
            InferMode mode, boolean keepHistory, LatencyRecorder metrics, Histogram interToken) {
        this.model = model;
        this.off = off;
        this.n = entries.length;
        this.entries = entries;
        this.listeners = listeners.toArray(new GenerationListener[0]);
        this.mode = mode;
        this.keepHistory = keepHistory;
        this.metrics = metrics;
        this.interToken = interToken;
        this.hidden = new FloatMatrix[n];
        this.logits = new FloatMatrix[n];
        for (Entry e : entries) {
            e.reset();
        }
        interToken.reset();
        this.startNanos = System.nanoTime();
    }

    /** Asks the run to stop; the callback returns PAUSE from now on. */
    void requestStop() {
        stopRequested = true;
    }

    /** True for the first caller only: that one starts repeating {@code rkllm_abort} ({@link AbortRepeater}). */
    boolean claimAbortRepeat() {
        return abortRepeated.compareAndSet(false, true);
    }

    /**
     * The FINISH/ERROR callback is over (listeners run, failures recorded): publishes {@code state} and
     * opens {@link #done}. Called last by the upcall target. Never throws.
     */
    void ended(int state) {
        terminal = state;
        done.countDown();
    }

    /** Records the first failure and stops the run. Never throws. */
    void fail(Throwable t) {
        if (failure == null) {
            failure = t;
        }
        stopRequested = true;
    }

    /** The result callback. Exceptions are caught by the caller ({@link RkllmModel}'s upcall target). */
    int onResult(long base, int state) {
        long now = System.nanoTime();
        callbackThread = Thread.currentThread();
        if (state == STATE_FINISH || state == STATE_ERROR) {
            return onEnd(base, state, now);
        }
        if (stopRequested) {
            pauseReturned = true;
            return PAUSE;
        }
        boolean token = false;
        for (int i = 0; i < n; i++) {
            long r = base + i * off.size();
            if (mode != InferMode.GENERATE) {
                matrices(r, i, now);
            }
            int id = ALL.get(ValueLayout.JAVA_INT, r + off.tokenId());
            long text = pointer(r + off.text());
            int len = text == 0 ? 0 : Utf8Stream.strlen(text);
            if (id < 0 && len == 0) {
                continue; // no token for this entry (a finished batch entry, or a hidden-state/logits callback)
            }
            if (!token) {
                token = true;
                tokenTiming(now);
            }
            Entry e = entries[i];
            String s = e.text.feed(text, len);
            if (id >= 0) {
                e.add(id);
            }
            listeners[i].onToken(s, id);
        }
        if (stopRequested) {
            pauseReturned = true;
            return PAUSE;
        }
        return CONTINUE;
    }

    private void tokenTiming(long now) {
        if (firstTokenNanos == 0) {
            firstTokenNanos = now;
            if (firstOutputNanos == 0) {
                firstOutputNanos = now;
                metrics.record(Stage.TTFT, now - startNanos);
            }
        } else {
            long gap = now - lastTokenNanos;
            metrics.record(Stage.INTER_TOKEN, gap);
            interToken.recordValue(Math.min(Math.max(gap, 0), interToken.getHighestTrackableValue()));
        }
        lastTokenNanos = now;
        tokenCallbacks++;
    }

    private void matrices(long r, int i, long now) {
        long hp = pointer(r + off.hiddenStates());
        int embd = ALL.get(ValueLayout.JAVA_INT, r + off.embdSize());
        int rows = ALL.get(ValueLayout.JAVA_INT, r + off.hiddenTokens());
        if (hp != 0 && embd > 0 && rows > 0) {
            // The view lives in an arena of this callback: touching it afterwards throws instead of
            // reading memory the runtime has freed.
            try (Arena scope = Arena.ofShared()) {
                MemorySegment view = MemorySegment.ofAddress(hp)
                        .reinterpret((long) embd * rows * Float.BYTES, scope, null).asReadOnly();
                if (hidden[i] == null) {
                    hidden[i] = new FloatMatrix(view.toArray(ValueLayout.JAVA_FLOAT), rows, embd);
                }
                model.learnHiddenSize(embd);
                firstOutput(now);
                listeners[i].onHiddenStates(view, rows, embd);
            }
        }
        long lp = pointer(r + off.logits());
        int vocab = ALL.get(ValueLayout.JAVA_INT, r + off.vocabSize());
        rows = ALL.get(ValueLayout.JAVA_INT, r + off.logitsTokens());
        if (lp != 0 && vocab > 0 && rows > 0) {
            try (Arena scope = Arena.ofShared()) {
                MemorySegment view = MemorySegment.ofAddress(lp)
                        .reinterpret((long) vocab * rows * Float.BYTES, scope, null).asReadOnly();
                if (logits[i] == null) {
                    logits[i] = new FloatMatrix(view.toArray(ValueLayout.JAVA_FLOAT), rows, vocab);
                }
                model.learnVocabSize(vocab);
                firstOutput(now);
                listeners[i].onLogits(view, rows, vocab);
            }
        }
    }

    private void firstOutput(long now) {
        if (firstOutputNanos == 0) {
            firstOutputNanos = now;
            metrics.record(Stage.TTFT, now - startNanos);
        }
    }

    /** FINISH or ERROR: statistics and {@code onFinish}; the caller then calls {@link #ended}. */
    private int onEnd(long base, int state, long now) {
        endNanos = now;
        stoppedBeforeEnd = stopRequested;
        perf = new PerfStats(ALL.get(ValueLayout.JAVA_FLOAT, base + off.prefillTimeMs()),
                ALL.get(ValueLayout.JAVA_INT, base + off.prefillTokens()),
                ALL.get(ValueLayout.JAVA_FLOAT, base + off.generateTimeMs()),
                ALL.get(ValueLayout.JAVA_INT, base + off.generateTokens()),
                ALL.get(ValueLayout.JAVA_FLOAT, base + off.memoryUsageMb()));
        if (state == STATE_FINISH && failure == null) {
            for (GenerationListener l : listeners) {
                l.onFinish(perf);
            }
        }
        return CONTINUE;
    }

    private static long pointer(long address) {
        return POINTER_64 ? ALL.get(ValueLayout.JAVA_LONG, address)
                : Integer.toUnsignedLong(ALL.get(ValueLayout.JAVA_INT, address));
    }

    // ---- after the run, on the calling thread ----

    String text(int i) {
        return entries[i].text.text.toString();
    }

    int[] ids(int i) {
        return Arrays.copyOf(entries[i].ids, entries[i].nIds);
    }

    GenerationTimings timings(long endFallback) {
        long end = endNanos != 0 ? endNanos : endFallback;
        long ttft = firstOutputNanos != 0 ? firstOutputNanos - startNanos : -1;
        double tps = tokenCallbacks >= 2 && lastTokenNanos > firstTokenNanos
                ? (tokenCallbacks - 1) * 1e9 / (lastTokenNanos - firstTokenNanos) : 0;
        boolean gaps = interToken.getTotalCount() > 0;
        return new GenerationTimings(ttft, end - startNanos, tokenCallbacks, tps,
                gaps ? interToken.getValueAtPercentile(50) : 0, gaps ? interToken.getValueAtPercentile(99) : 0,
                gaps ? interToken.getMaxValue() : 0);
    }
}
