package org.npu4j.serve;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.BatchEntry;
import org.npu4j.llm.BatchingLanguageModel;
import org.npu4j.llm.Capability;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.TokenListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a served model's requests in batches ({@code npu4j serve --batch N}): concurrent requests that
 * may share a batch ({@link BatchingLanguageModel#batchable}: RKLLM, the same system prompt, tools,
 * thinking switch and sampling) go to the model as one run of up to N entries
 * ({@link BatchingLanguageModel#generateBatch}), each streaming to its own client.
 *
 * <h2>Gathering</h2>
 * One worker thread takes the oldest waiting request, then every waiting request batchable with it, in
 * arrival order, up to N. If the batch is not full it waits for more at most the <b>gather window</b>
 * ({@code --batch-window}, default {@value #DEFAULT_WINDOW_MS} ms) counted from the moment it took the
 * first request, then runs what it has. So a lone request waits at most the window longer than on a
 * serial server, and requests that arrive while a batch runs form the next one at once (no window: the
 * window ends before they are taken). Requests that cannot share the batch keep their place for the next.
 *
 * <h2>Admission, stops</h2>
 * The served model's bounded queue ({@link ServedModel#admit}, 429 beyond) counts running and waiting
 * requests as before, with N running places instead of one. A client that goes away while waiting leaves
 * the queue (probed as {@link ServedModel#awaitTurn} probes); one that goes away mid-batch stops its entry only ({@link BatchEntry#stop()}: its output is
 * dropped, the others' answers go on; the run is aborted once no entry is left).
 *
 * <h2>KV cache</h2>
 * No conversation reuse: every entry prefills its whole conversation into its own KV cache, which is
 * emptied after the run, so two clients' conversations never mix ({@link BatchingLanguageModel}).
 *
 * <p>Thread-safe.
 */
final class BatchScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);
    /** Default gather window, milliseconds. */
    static final int DEFAULT_WINDOW_MS = 20;

    private final ServedModel served;
    private final int maxBatch;
    private final long windowNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    /** Waiting requests, oldest first. Guarded by lock. */
    private final ArrayDeque<BatchEntry> queue = new ArrayDeque<>();
    /** Guarded by lock. */
    private boolean closed;
    private final Thread worker;
    /** Batches run, and the requests they held (so their mean size is {@code entries / batches}). */
    final LongAdder batches = new LongAdder();
    final LongAdder entries = new LongAdder();

    /**
     * @param maxBatch entries per batch, {@code >= 2}
     * @param window   the gather window (zero: run what is waiting at once)
     */
    BatchScheduler(ServedModel served, int maxBatch, Duration window) {
        if (maxBatch < 2) {
            throw new IllegalArgumentException("batch of " + maxBatch + ": expected >= 2");
        }
        if (window.isNegative()) {
            throw new IllegalArgumentException("gather window " + window + ": expected >= 0");
        }
        this.served = served;
        this.maxBatch = maxBatch;
        this.windowNanos = window.toNanos();
        this.worker = Thread.ofPlatform().daemon().name("npu4j-batch-" + served.name()).start(this::work);
    }

    int maxBatch() {
        return maxBatch;
    }

    /** Requests waiting for a batch. */
    int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code request} in the next batch it fits and blocks until its own answer is complete (not the
     * whole batch's). While the request waits in the queue, {@code probe} (if not null) is called every
     * {@value ServedModel#PROBE_MILLIS} ms, as {@link ServedModel#awaitTurn} does: a request whose client went
     * away leaves the queue and never runs ({@link ServedModel#droppedQueued}). Interrupting the caller takes
     * the request out of the queue or stops its entry. Counts stopped entries in {@link ServedModel#aborted}.
     *
     * @throws ClientGone       when the probe or a write failed
     * @throws RuntimeException what the listener threw, or the model's failure
     */
    Completion run(LlmRequest request, TokenListener listener, ServedModel.@Nullable Probe probe)
            throws InterruptedException {
        BatchEntry e = new BatchEntry(request, listener);
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the server is stopping: model " + served.name() + " takes no request");
            }
            queue.addLast(e);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            while (true) {
                try {
                    return e.result().get(ServedModel.PROBE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException t) {
                    if (probe != null && queued(e)) {
                        try {
                            probe.probe();
                        } catch (IOException io) {
                            if (dequeue(e)) {
                                served.droppedQueued.increment();
                                throw new ClientGone(io);
                            } // else it runs now: its first write fails and stops its entry
                        }
                    }
                }
            }
        } catch (InterruptedException ie) {
            if (!dequeue(e)) {
                e.stop();
                served.aborted.increment();
            }
            throw ie;
        } catch (ExecutionException ex) {
            Throwable c = ex.getCause();
            if (c instanceof ClientGone g) {
                served.aborted.increment();
                throw g;
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        } catch (CancellationException ce) {
            throw new ClientGone(new java.io.IOException("cancelled"));
        }
    }

    private boolean queued(BatchEntry e) {
        lock.lock();
        try {
            return queue.contains(e);
        } finally {
            lock.unlock();
        }
    }

    /** Takes {@code e} out of the queue; false if it was not there (taken into a batch, or failed at close). */
    private boolean dequeue(BatchEntry e) {
        lock.lock();
        try {
            return queue.remove(e);
        } finally {
            lock.unlock();
        }
    }

    private void work() {
        while (true) {
            List<BatchEntry> batch;
            try {
                batch = gather();
            } catch (InterruptedException e) {
                return;
            }
            if (batch == null) {
                return;
            }
            run(batch);
        }
    }

    /** The next batch, or null once closed. */
    private @Nullable List<BatchEntry> gather() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty() && !closed) {
                arrived.await();
            }
            if (closed) {
                return null;
            }
        } finally {
            lock.unlock();
        }
        LanguageModel m;
        try {
            m = served.model(); // outside the lock: this may wait for the load, or load it again (keep_alive 0)
        } catch (RuntimeException e) { // 503: the load failed; every waiting request gets it, as awaitTurn's would
            failWaiting(e);
            return List.of();
        }
        BatchingLanguageModel bm = m instanceof BatchingLanguageModel b
                && m.info().capabilities().contains(Capability.BATCH) ? b : null;
        lock.lock();
        try {
            if (closed || queue.isEmpty()) {
                return closed ? null : List.of();
            }
            List<BatchEntry> batch = new ArrayList<>(maxBatch);
            batch.add(queue.removeFirst());
            if (bm == null) {
                return batch; // the model was loaded again without batches: one at a time
            }
            int limit = Math.min(maxBatch, bm.maxBatch());
            long deadline = System.nanoTime() + windowNanos;
            while (true) {
                for (Iterator<BatchEntry> it = queue.iterator(); it.hasNext() && batch.size() < limit; ) {
                    BatchEntry e = it.next();
                    if (bm.batchable(batch.get(0).request(), e.request())) {
                        it.remove();
                        batch.add(e);
                    }
                }
                long left = deadline - System.nanoTime();
                if (batch.size() >= limit || left <= 0 || closed) {
                    return batch;
                }
                arrived.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private void failWaiting(RuntimeException e) {
        List<BatchEntry> left;
        lock.lock();
        try {
            left = new ArrayList<>(queue);
            queue.clear();
        } finally {
            lock.unlock();
        }
        left.forEach(x -> x.result().completeExceptionally(e));
    }

    private void run(List<BatchEntry> gathered) {
        List<BatchEntry> batch = new ArrayList<>(gathered);
        batch.removeIf(e -> {
            if (e.isStopped()) { // its client left between gathering and now
                e.result().cancel(false);
                return true;
            }
            return false;
        });
        if (batch.isEmpty()) {
            return;
        }
        batches.increment();
        entries.add(batch.size());
        try {
            LanguageModel m = served.model();
            if (m instanceof BatchingLanguageModel bm && m.info().capabilities().contains(Capability.BATCH)) {
                bm.generateBatch(batch);
            } else {
                BatchEntry e = batch.get(0);
                e.result().complete(m.generate(e.request(), e.listener()));
            }
        } catch (InterruptedException t) {
            for (BatchEntry e : batch) {
                e.result().completeExceptionally(new ClientGone(new IOException("the server is stopping")));
            }
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error t) {
            // the backend completed its entries' results (failed) already, except when it refused the batch
            for (BatchEntry e : batch) {
                e.result().completeExceptionally(t);
            }
            if (!(t instanceof RuntimeException)) {
                throw t;
            }
            LOG.debug("{}: batch of {} failed: {}", served.name(), batch.size(), t.toString());
        }
    }

    /**
     * Takes no more requests; waiting ones fail with {@link IllegalStateException}. A running batch goes on
     * (closing the model aborts it); {@link #awaitWorker} then waits for the worker to end.
     */
    @Override
    public void close() {
        List<BatchEntry> left;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            left = new ArrayList<>(queue);
            queue.clear();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        for (BatchEntry e : left) {
            e.result().completeExceptionally(new IllegalStateException("the server is stopping"));
        }
    }

    /** Waits (at most 5 s) for the worker thread to end after {@link #close}. */
    void awaitWorker() {
        try {
            if (!worker.join(Duration.ofSeconds(5))) {
                LOG.warn("{}: batch worker still running 5 s after close", served.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
