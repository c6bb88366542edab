package org.npu4j.rkllm;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Repeats {@code rkllm_abort} for a stopped run until the run has ended.
 *
 * <p>Why: a stop may come at any moment, also before the runtime has taken the task (while
 * {@code rkllm_run} still copies the input, or before it is even called). The runtime may forget an
 * abort that came before the task started: npu4j's emulated runtime clears its abort flag when a task
 * starts, as a runtime that resets per-task state must, and nothing in the vendor header says the real
 * one keeps it. Nor does the callback help before the first token: a long prefill calls nothing back.
 * So the stop is held by the {@link Run} (its callback returns "pause" from the next callback on) and
 * {@code rkllm_abort} is sent again every {@link #PERIOD_NANOS} until the run is over; one that reaches
 * the runtime after the task started ends the prefill or the decode loop at once.
 *
 * <p>Threading: one virtual thread per stopped run, started by the first stop from outside the
 * runtime's thread; it ends with the run (or when the handle is destroyed). Cost: one native call per
 * period while the stop has not taken effect, typically none or one.
 */
final class AbortRepeater {
    /** Between two {@code rkllm_abort}s: 10 ms, a tenth of the 100 ms a stop may take (issue 12). */
    static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private AbortRepeater() {}

    /** Starts repeating for {@code run} unless another stop of the same run already did. */
    static void start(RkllmModel model, Run run) {
        if (!run.claimAbortRepeat()) {
            return;
        }
        Thread.ofVirtual().name("npu4j-rkllm-abort-" + THREADS.incrementAndGet()).start(() -> {
            do {
                LockSupport.parkNanos(PERIOD_NANOS);
            } while (model.sendAbort(run));
        });
    }
}
