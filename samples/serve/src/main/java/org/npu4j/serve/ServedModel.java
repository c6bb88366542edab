package org.npu4j.serve;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.BatchingLanguageModel;
import org.npu4j.llm.Capability;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.ModelInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model the server offers under a name: loaded at start, unloaded by an Ollama {@code keep_alive}
 * of 0 and loaded again by the next request, with its admission limit and counters.
 *
 * <h2>Admission</h2>
 * The model runs one generation at a time ({@link LanguageModel}), or one batch of up to N requests
 * ({@link BatchScheduler}); up to {@code queueDepth} more requests wait in its arrival-order queue. A request beyond that is refused at once with 429 and
 * {@code Retry-After} instead of waiting without bound.
 *
 * <p>Thread-safe.
 */
final class ServedModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServedModel.class);
    private final String name;
    private final Supplier<LanguageModel> loader;
    private final int queueDepth;
    /** Runs requests in batches ({@code --batch N}), or null: one at a time. */
    private final @Nullable BatchScheduler scheduler;
    private final AtomicInteger admitted = new AtomicInteger();
    private @Nullable LanguageModel model;
    private ModelInfo info;
    private volatile Instant loadedAt = Instant.now();
    private volatile @Nullable Instant expiresAt;
    final LongAdder requests = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder aborted = new LongAdder();
    final LongAdder generatedTokens = new LongAdder();
    final AtomicLong decodeNanos = new AtomicLong();

    /**
     * @param loader     opens the model (called now, and again after an unload)
     * @param queueDepth requests that may wait behind the running one, {@code >= 0}
     */
    ServedModel(String name, Supplier<LanguageModel> loader, int queueDepth) {
        this(name, loader, queueDepth, 1, Duration.ZERO);
    }

    /**
     * A model served in batches of up to {@code batch} requests ({@link BatchScheduler}) when it was
     * loaded for them ({@link Capability#BATCH}; the loader passes the option {@code batch=N}); otherwise,
     * or with {@code batch} 1, one request at a time.
     *
     * @param gatherWindow how long a batch that is not full waits for more requests
     */
    ServedModel(String name, Supplier<LanguageModel> loader, int queueDepth, int batch, Duration gatherWindow) {
        this.name = Objects.requireNonNull(name);
        this.loader = Objects.requireNonNull(loader);
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queue depth " + queueDepth + ": expected >= 0");
        }
        this.queueDepth = queueDepth;
        this.model = loader.get();
        this.info = model.info();
        int n = batch > 1 && model instanceof BatchingLanguageModel b && info.capabilities().contains(Capability.BATCH)
                ? Math.min(batch, b.maxBatch()) : 1;
        if (batch > 1 && n < 2) {
            LOG.warn("{}: --batch {} ignored: the model does not run batches (no Capability.BATCH: an AXCL model, or"
                    + " RKLLM before 1.2.1); serving one request at a time", name, batch);
        }
        this.scheduler = n > 1 ? new BatchScheduler(this, n, gatherWindow) : null;
    }

    /** The batch scheduler, or null when the model serves one request at a time. */
    @Nullable BatchScheduler scheduler() {
        return scheduler;
    }

    /** Requests that run at once: the batch size, or 1. */
    int runningPlaces() {
        return scheduler != null ? scheduler.maxBatch() : 1;
    }

    String name() {
        return name;
    }

    /** The model's description as loaded (kept while unloaded). */
    synchronized ModelInfo info() {
        return info;
    }

    synchronized boolean loaded() {
        return model != null;
    }

    Instant loadedAt() {
        return loadedAt;
    }

    /** When an Ollama {@code keep_alive} unloads it, or null (kept for the server's life). */
    @Nullable Instant expiresAt() {
        return expiresAt;
    }

    /** The model, loaded again if it was unloaded. */
    synchronized LanguageModel model() {
        if (model == null) {
            model = loader.get();
            info = model.info();
            loadedAt = Instant.now();
        }
        return model;
    }

    /** Requests admitted and not yet finished (running plus waiting). */
    int inFlight() {
        return admitted.get();
    }

    /** Requests waiting behind the running one. */
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

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.close();
        }
        synchronized (this) {
            if (model != null) {
                model.close();
                model = null;
            }
        }
        if (scheduler != null) {
            scheduler.awaitWorker();
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
