package org.npu4j.rkllm;

import org.jspecify.annotations.Nullable;

/**
 * Ties a future or subscription to the run it starts: a cancel before the run registers keeps it from
 * starting; one after stops it through {@link RkllmModel#abortRun}. Thread-safe.
 */
final class CancelToken {
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
