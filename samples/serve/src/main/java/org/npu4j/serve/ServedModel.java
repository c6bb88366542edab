package org.npu4j.serve;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.Capability;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.ModelInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model the server offers under a name: loaded in the background from construction on (the server
 * listens meanwhile), unloaded by an Ollama {@code keep_alive} of 0 and loaded again by the next request,
 * with its admission limit and counters.
 *
 * <h2>Loading</h2>
 * The load runs on its own platform thread (a native load would pin a virtual thread's carrier). Until it
 * ends the model is {@link State#LOADING}: listed by {@code /v1/models}, {@code /api/tags} and
 * {@code /health} with that state, and a request to it is admitted as usual and waits in the queue for
 * the load ({@link #model()}), as Ollama's requests wait for their model. A load that failed leaves the
 * model {@link State#FAILED}: its requests get 503 with the load's error, and the next request after an
 * unload tries again.
 *
 * <h2>Admission</h2>
 * The model runs one generation at a time ({@link LanguageModel}), or one batch of up to N requests
 * ({@link BatchScheduler}, {@code --batch N}); up to {@code queueDepth} more requests wait in its
 * arrival-order queue. A request beyond that is refused at once with 429 and
 * {@code Retry-After} instead of waiting without bound.
 *
 * <p>Thread-safe.
 */
final class ServedModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServedModel.class);

    /** Where the model is in its life. */
    enum State {
        /** The load runs; requests wait for it. */
        LOADING,
        /** Loaded: requests run. */
        READY,
        /** Unloaded by {@code keep_alive} 0; the next request loads it again. */
        UNLOADED,
        /** The last load failed ({@link #loadError()}). */
        FAILED,
        /** The server closed it. */
        CLOSED
    }

    private final String name;
    private final Supplier<LanguageModel> loader;
    private final int queueDepth;
    /** Runs requests in batches ({@code --batch N}), or null: one at a time. */
    private final @Nullable BatchScheduler scheduler;
    private final AtomicInteger admitted = new AtomicInteger();
    private @Nullable LanguageModel model;
    private @Nullable ModelInfo info;
    /** The running load, or null. */
    private @Nullable CompletableFuture<LanguageModel> loading;
    /** Completed when the first load ended (either way). */
    private final CompletableFuture<Void> firstLoad = new CompletableFuture<>();
    private @Nullable RuntimeException loadError;
    private boolean closed;
    /** Guarded by this. */
    private boolean loadStarted;
    private volatile Instant loadedAt = Instant.now();
    private volatile long loadNanos = -1;
    private volatile @Nullable Instant expiresAt;
    final LongAdder requests = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder aborted = new LongAdder();
    /** Requests dropped while they waited in the queue because their client went away (never run). */
    final LongAdder droppedQueued = new LongAdder();
    final LongAdder generatedTokens = new LongAdder();
    final AtomicLong decodeNanos = new AtomicLong();

    /**
     * Starts loading the model in the background and returns at once.
     *
     * @param loader     opens the model (called now on a loader thread, and again after an unload); what
     *                   it throws makes the model {@link State#FAILED}
     * @param queueDepth requests that may wait behind the running one, {@code >= 0}
     */
    ServedModel(String name, Supplier<LanguageModel> loader, int queueDepth) {
        this(name, loader, queueDepth, true);
    }

    /**
     * @param loadNow start the load now; false: at {@link #startLoading} (the server calls it once it
     *                listens, so that on a small machine the load does not compete with its start-up)
     */
    ServedModel(String name, Supplier<LanguageModel> loader, int queueDepth, boolean loadNow) {
        this(name, loader, queueDepth, loadNow, 1, Duration.ZERO);
    }

    /** A model served in batches (see the next constructor), loading now. */
    ServedModel(String name, Supplier<LanguageModel> loader, int queueDepth, int batch, Duration gatherWindow) {
        this(name, loader, queueDepth, true, batch, gatherWindow);
    }

    /**
     * A model served in batches of up to {@code batch} requests ({@link BatchScheduler}) if it was loaded for
     * them ({@link Capability#BATCH}: the loader passes the option {@code batch=N}); otherwise, or with
     * {@code batch} 1, one request at a time. Requests that come while the model loads wait in the scheduler.
     *
     * @param gatherWindow how long a batch that is not full waits for more requests
     */
    ServedModel(String name, Supplier<LanguageModel> loader, int queueDepth, boolean loadNow, int batch,
            Duration gatherWindow) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch " + batch + ": expected >= 1");
        }
        this.name = Objects.requireNonNull(name);
        this.loader = Objects.requireNonNull(loader);
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queue depth " + queueDepth + ": expected >= 0");
        }
        this.queueDepth = queueDepth;
        this.scheduler = batch > 1 ? new BatchScheduler(this, batch, gatherWindow) : null;
        if (loadNow) {
            startLoading();
        }
    }

    /** Starts the first load if it has not started (idempotent; later loads start on demand). */
    synchronized void startLoading() {
        if (!loadStarted && !closed) {
            loadStarted = true;
            loading = startLoad();
        }
    }

    /** Starts a load on a new platform thread; the caller holds the lock. */
    private CompletableFuture<LanguageModel> startLoad() {
        CompletableFuture<LanguageModel> f = new CompletableFuture<>();
        loadError = null;
        loadedAt = Instant.now();
        Thread.ofPlatform().name("npu4j-load-" + name).daemon().start(() -> {
            long t0 = System.nanoTime();
            LanguageModel lm = null;
            RuntimeException error = null;
            try {
                lm = Objects.requireNonNull(loader.get(), "the loader returned null");
            } catch (RuntimeException e) {
                error = e;
            } catch (Throwable t) {
                error = new IllegalStateException(t.toString(), t);
            }
            ModelInfo loadedInfo = null;
            if (lm != null) {
                try {
                    loadedInfo = lm.info();
                } catch (RuntimeException e) {
                    lm.close();
                    lm = null;
                    error = e;
                }
            }
            boolean closeNow;
            synchronized (this) {
                loading = null;
                closeNow = closed && lm != null;
                if (lm != null && !closed) {
                    model = lm;
                    info = loadedInfo;
                    if (scheduler != null && !batches(loadedInfo)) {
                        LOG.warn("model {}: --batch {} ignored: it does not run batches (no Capability.BATCH: an AXCL"
                                + " model, or RKLLM before 1.2.1); serving one request at a time", name,
                                scheduler.maxBatch());
                    }
                    loadedAt = Instant.now();
                    loadNanos = System.nanoTime() - t0;
                } else if (error != null) {
                    loadError = error;
                }
                notifyAll();
            }
            if (closeNow) {
                lm.close();
            }
            if (error != null) {
                LOG.error("model {}: load failed", name, error);
                f.completeExceptionally(error);
            } else if (closeNow) {
                f.completeExceptionally(new IllegalStateException("model " + name + " was closed while it loaded"));
            } else {
                LOG.info("model {}: loaded in {} ms", name, loadNanos / 1_000_000);
                f.complete(lm);
            }
            firstLoad.complete(null);
        });
        return f;
    }

    String name() {
        return name;
    }

    /** Where the model is now. */
    synchronized State state() {
        if (closed) {
            return State.CLOSED;
        }
        if (model != null) {
            return State.READY;
        }
        if (loading != null || !loadStarted) {
            return State.LOADING;
        }
        return loadError != null ? State.FAILED : State.UNLOADED;
    }

    /** Why the last load failed, or null. */
    synchronized @Nullable RuntimeException loadError() {
        return loadError;
    }

    /** How long the last successful load took, in nanoseconds, or -1 before one ended. */
    long loadNanos() {
        return loadNanos;
    }

    /** Completes when the first load has ended, loaded or failed. */
    CompletableFuture<Void> firstLoad() {
        return firstLoad;
    }

    /** The model's description as loaded (kept while unloaded), or null before a load succeeded. */
    synchronized @Nullable ModelInfo infoIfKnown() {
        return info;
    }

    /**
     * The model's description; waits for the first load if it is still running.
     *
     * @throws ApiError 503 if the model could not be loaded
     */
    ModelInfo info() throws InterruptedException {
        synchronized (this) {
            while (info == null && (loading != null || !loadStarted) && !closed) {
                wait();
            }
            if (info != null) {
                return info;
            }
        }
        throw unavailable();
    }

    synchronized boolean loaded() {
        return model != null;
    }

    /** The model if it is loaded, without waiting or loading it. */
    synchronized @Nullable LanguageModel loadedModel() {
        return model;
    }

    Instant loadedAt() {
        return loadedAt;
    }

    /** When an Ollama {@code keep_alive} unloads it, or null (kept for the server's life). */
    @Nullable Instant expiresAt() {
        return expiresAt;
    }

    /**
     * The model: waits for a running load, and loads it again if it was unloaded or its last load failed
     * (the caller holds an {@link Admission}, so the queue bounds who waits here).
     *
     * @throws ApiError 503 if the load failed or the server closed the model
     */
    LanguageModel model() throws InterruptedException {
        CompletableFuture<LanguageModel> f;
        synchronized (this) {
            if (model != null) {
                return model;
            }
            if (closed) {
                throw unavailable();
            }
            if (loading == null) {
                loadStarted = true;
                loading = startLoad();
            }
            f = loading;
        }
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw unavailable();
        }
    }

    private synchronized ApiError unavailable() {
        String why = closed ? "the server is stopping" : loadError != null ? "it failed to load: " + loadError.getMessage()
                : "it is not loaded";
        return new ApiError(503, "server_error", "model", "model_unavailable", "model " + name + " is unavailable: " + why, -1);
    }

    private static boolean batches(@Nullable ModelInfo i) {
        return i == null || i.capabilities().contains(Capability.BATCH);
    }

    /**
     * The batch scheduler, or null when the model serves one request at a time (no {@code --batch}, or the
     * loaded model does not batch). While the model loads it is the scheduler, whose requests wait for the load.
     */
    @Nullable BatchScheduler scheduler() {
        return scheduler != null && batches(infoIfKnown()) ? scheduler : null;
    }

    /** Requests that run at once: the batch size, or 1. */
    int runningPlaces() {
        BatchScheduler s = scheduler();
        return s != null ? s.maxBatch() : 1;
    }

    /** Requests admitted and not yet finished (running plus waiting). */
    int inFlight() {
        return admitted.get();
    }

    /** Requests waiting behind the running one(s). */
    int queued() {
        return Math.max(0, admitted.get() - runningPlaces());
    }

    /**
     * Admits a request.
     *
     * @throws ApiError 429 with {@code Retry-After} when the queue is full
     */
    Admission admit() {
        requests.increment();
        while (true) {
            int n = admitted.get();
            if (n >= queueDepth + runningPlaces()) {
                refused.increment();
                throw new ApiError(429, "rate_limit_exceeded", null, "queue_full", "model " + name + " is busy: "
                        + n + " requests running or queued (queue depth " + queueDepth + "); retry later", 1);
            }
            if (admitted.compareAndSet(n, n + 1)) {
                return new Admission();
            }
        }
    }

    /**
     * An Ollama {@code keep_alive}: zero or negative-zero unloads after this request, a negative value keeps it
     * loaded, a positive one records when it would expire (the server does not unload on a timer).
     */
    void keepAlive(@Nullable Duration d) {
        if (d == null) {
            return;
        }
        expiresAt = d.isNegative() ? null : Instant.now().plus(d);
    }

    /** Unloads the model if no request is in flight; the next request loads it again. */
    synchronized boolean unloadIfIdle() {
        if (model == null || admitted.get() > 0) {
            return false;
        }
        model.close();
        model = null;
        expiresAt = Instant.now();
        return true;
    }

    /**
     * Closes the model, which stops its running generation. A load still running is waited for (a native
     * load cannot be stopped) and its model closed, so nothing is left allocated when this returns.
     */
    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.close(); // fails the waiting requests; a running batch ends when the model closes
        }
        closeModel();
        if (scheduler != null) {
            scheduler.awaitWorker();
        }
    }

    private void closeModel() {
        CompletableFuture<LanguageModel> f;
        synchronized (this) {
            closed = true;
            if (!loadStarted) {
                firstLoad.complete(null); // never loaded: nothing to wait for
            }
            if (model != null) {
                model.close();
                model = null;
            }
            f = loading;
            notifyAll();
        }
        if (f != null) {
            boolean interrupted = false;
            while (true) {
                try {
                    f.get(); // the loader thread closes what it loaded once it sees closed
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                    break;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How often a request waiting for its turn checks that its client is still there, milliseconds. */
    static final long PROBE_MILLIS = 50;

    /** Arrival order of the admitted requests for the model's one place (fair: first come, first run). */
    private final Semaphore turn = new Semaphore(1, true);

    /**
     * Requests waiting in {@link #awaitTurn} now, behind the running one (an estimate:
     * {@link Semaphore#getQueueLength}; exact while nothing arrives or leaves).
     */
    int waitingForTurn() {
        return turn.getQueueLength();
    }

    /** Checks a waiting request's client; throws {@link IOException} when it is gone. */
    interface Probe {
        void probe() throws IOException;
    }

    /**
     * Waits for the request's turn to run, in arrival order. While it waits, {@code probe} (if not null)
     * is called every {@value #PROBE_MILLIS} ms, and twice more when the turn comes after a wait (on
     * loopback the first write to a closed peer provokes its reset, the second fails), so a request whose
     * client went away leaves the queue and its run never starts.
     *
     * @throws ClientGone when the probe failed; counted in {@link #droppedQueued}
     */
    Turn awaitTurn(@Nullable Probe probe) throws InterruptedException {
        if (turn.tryAcquire(0, TimeUnit.MILLISECONDS)) {
            return new Turn();
        }
        try {
            while (!turn.tryAcquire(PROBE_MILLIS, TimeUnit.MILLISECONDS)) {
                if (probe != null) {
                    probe.probe();
                }
            }
        } catch (IOException e) {
            droppedQueued.increment();
            throw new ClientGone(e);
        }
        Turn t = new Turn();
        if (probe != null) {
            try {
                probe.probe();
                probe.probe();
            } catch (IOException e) {
                t.close();
                droppedQueued.increment();
                throw new ClientGone(e);
            }
        }
        return t;
    }

    /** The model's place, held for one run; closing it lets the next waiting request run. */
    final class Turn implements AutoCloseable {
        private boolean closed;

        private Turn() {}

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                turn.release();
            }
        }
    }

    /** A request's place; closing it frees the place. */
    final class Admission implements AutoCloseable {
        private boolean closed;

        private Admission() {}

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                admitted.decrementAndGet();
            }
        }
    }
}
