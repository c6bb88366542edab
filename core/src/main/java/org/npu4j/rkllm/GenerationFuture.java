package org.npu4j.rkllm;

import java.util.concurrent.CompletableFuture;

/**
 * The future of {@link RkllmModel#generateAsync}: cancelling it aborts the run, or keeps it from starting.
 * Futures derived from it ({@code thenApply}...) are plain ones, whose cancel does not reach the run.
 */
final class GenerationFuture extends CompletableFuture<GenerationResult> {
    private final CancelToken token;
    private final RkllmModel model;

    GenerationFuture(CancelToken token, RkllmModel model) {
        this.token = token;
        this.model = model;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean done = super.cancel(mayInterruptIfRunning);
        if (done) {
            token.cancel(model);
        }
        return done;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
