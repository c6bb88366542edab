package org.npu4j.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One request of a batched run ({@link BatchingLanguageModel#generateBatch}): the request, the listener
 * that receives its tokens, a stop switch for this entry alone, and the entry's own result.
 *
 * <h2>Stopping one entry</h2>
 * {@link #stop()} (a client that went away) ends this entry only: its listener gets no token after
 * {@code stop()} returned, its {@link #result()} completes with {@link Outcome#ABORTED} and the text so
 * far, and the other entries go on. A listener that throws stops its entry the same way; the exception
 * completes {@link #result()} exceptionally. When no entry of a batch is left (each stopped, failed or
 * done) the backend ends the run at once, also during the prefill.
 *
 * <h2>Result</h2>
 * {@link #result()} completes as soon as this entry is done, which may be long before the batch's run
 * ends (an entry that reached its token limit, a stop sequence or its end-of-sequence token), on the
 * backend's thread: attach no slow synchronous stages to it.
 *
 * <p>Thread-safe: {@link #stop()} from any thread; the listener is called on the backend's thread.
 */
public final class BatchEntry {
    private final LlmRequest request;
    private final TokenListener listener;
    private final CompletableFuture<Completion> result = new CompletableFuture<>();
    private final List<Runnable> stopActions = new ArrayList<>();
    private boolean stopped;

    public BatchEntry(LlmRequest request, TokenListener listener) {
        this.request = Objects.requireNonNull(request, "request");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public LlmRequest request() {
        return request;
    }

    public TokenListener listener() {
        return listener;
    }

    /**
     * The entry's completion: {@link Outcome#FINISHED} with its own finish reason and usage, or
     * {@link Outcome#ABORTED} after {@link #stop()} (or an abort of the whole run); exceptionally with what
     * its listener threw, or with the run's failure.
     */
    public CompletableFuture<Completion> result() {
        return result;
    }

    /** Stops this entry (not the batch). Idempotent; does not wait. */
    public void stop() {
        List<Runnable> actions;
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            actions = List.copyOf(stopActions);
            stopActions.clear();
        }
        actions.forEach(Runnable::run);
    }

    /** True once {@link #stop()} was called. */
    public synchronized boolean isStopped() {
        return stopped;
    }

    /**
     * For backends: runs {@code action} when {@link #stop()} is called, on that thread, or at once (on this
     * thread) if it already was. The action must not block.
     */
    public void onStop(Runnable action) {
        Objects.requireNonNull(action, "action");
        synchronized (this) {
            if (!stopped) {
                stopActions.add(action);
                return;
            }
        }
        action.run();
    }

    /** The failure the entry ended with, once {@link #result()} completed exceptionally; else null. */
    public @Nullable Throwable failure() {
        if (!result.isCompletedExceptionally()) {
            return null;
        }
        try {
            result.join();
            return null;
        } catch (java.util.concurrent.CompletionException e) {
            return e.getCause() != null ? e.getCause() : e;
        } catch (java.util.concurrent.CancellationException e) {
            return e;
        }
    }

    @Override
    public String toString() {
        return "BatchEntry[" + request + (isStopped() ? ", stopped" : "") + (result.isDone() ? ", done" : "") + "]";
    }
}
