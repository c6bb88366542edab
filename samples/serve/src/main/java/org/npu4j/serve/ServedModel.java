package org.npu4j.serve;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.ModelInfo;

/**
 * One model the server offers under a name: loaded at start, unloaded by an Ollama {@code keep_alive}
 * of 0 and loaded again by the next request, with its admission limit and counters.
 *
 * <h2>Admission</h2>
 * The model runs one generation at a time ({@link LanguageModel}); up to {@code queueDepth} more
 * requests wait in its arrival-order queue. A request beyond that is refused at once with 429 and
 * {@code Retry-After} instead of waiting without bound.
 *
 * <p>Thread-safe.
 */
final class ServedModel implements AutoCloseable {
    private final String name;
    private final Supplier<LanguageModel> loader;
    private final int queueDepth;
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
        this.name = Objects.requireNonNull(name);
        this.loader = Objects.requireNonNull(loader);
        if (queueDepth < 0) {
            throw new IllegalArgumentException("queue depth " + queueDepth + ": expected >= 0");
        }
        this.queueDepth = queueDepth;
        this.model = loader.get();
        this.info = model.info();
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
        return Math.max(0, admitted.get() - 1);
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
            if (n > queueDepth) {
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
    public synchronized void close() {
        if (model != null) {
            model.close();
            model = null;
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
