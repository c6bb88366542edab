package org.npu4j.rkllm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.Outcome;
import org.npu4j.metrics.GenerationEvent;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a model's runs: waits for an asynchronous run ({@code rkllm_run_async}) to deliver FINISH or
 * ERROR and for the runtime to leave the task, then turns what the {@link Run} collected into results, the
 * latency records and the JFR {@link GenerationEvent}, or into the exception the caller gets. Called with
 * the model's run lock held, on the thread that started the run.
 */
final class RunCompletion {
    private static final Logger LOG = LoggerFactory.getLogger(RkllmModel.class);

    private final RkllmModel model;
    private final AbiAdapter abi;
    private final MemorySegment handle;
    private final String name;
    private final LatencyRecorder metrics;
    private final int nEntries;
    private final boolean async;

    RunCompletion(RkllmModel model, AbiAdapter abi, MemorySegment handle, LatencyRecorder metrics, int nEntries,
            boolean async) {
        this.model = model;
        this.abi = abi;
        this.handle = handle;
        this.name = model.name();
        this.metrics = metrics;
        this.nEntries = nEntries;
        this.async = async;
    }

    /**
     * Waits for FINISH/ERROR after {@code rkllm_run_async}, then for the runtime to leave the task
     * ({@link #awaitTaskLeft}); gives up when the runtime stopped without a FINISH or ERROR.
     */
    void awaitAsync(Run run) {
        boolean interrupted = false;
        int idleChecks = 0;
        while (true) {
            try {
                if (run.done.await(25, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
                model.abortRun(run);
            }
            if (++idleChecks % 20 == 0 && !abi.isRunning(handle) && run.terminal < 0) {
                try {
                    if (run.done.await(250, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                LOG.warn("{}: the runtime stopped without a FINISH or ERROR callback", name);
                break;
            }
        }
        if (run.terminal >= 0) {
            awaitTaskLeft();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** How long {@link #awaitTaskLeft} waits for the runtime's thread to return from the last callback. */
    private static final long TASK_LEAVE_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * After the last callback of an asynchronous run: waits until the runtime no longer counts the task
     * as running ({@code rkllm_is_running}). The callback has returned to the runtime, but its thread
     * still ends the task (the emulator: microseconds); a call made before that (clearing the KV cache,
     * the next run) would find the handle busy.
     */
    private void awaitTaskLeft() {
        long start = System.nanoTime();
        while (abi.isRunning(handle)) {
            if (System.nanoTime() - start > TASK_LEAVE_LIMIT_NANOS) {
                LOG.warn("{}: rkllm_is_running still says running {} ms after the last callback", name,
                        TimeUnit.NANOSECONDS.toMillis(TASK_LEAVE_LIMIT_NANOS));
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    List<GenerationResult> finish(Run run, int rc, GenerationRequest request, GenerationEvent event) {
        long now = System.nanoTime();
        int terminal = run.terminal; // volatile read first: the callback's writes are visible after it
        Throwable failure = run.failure;
        if (run.pauseReturned && !request.keepHistory()) {
            // A pause keeps the KV cache; a run without history must leave only the system prompt, as
            // a finished or aborted run does.
            int c = abi.clearKvCache(handle, true, MemorySegment.NULL, MemorySegment.NULL);
            if (c != 0) {
                LOG.warn("{}: rkllm_clear_kv_cache after a stopped run returned {}", name, c);
            }
        }
        GenerationTimings timings = run.timings(now);
        String outcome = failure != null || terminal == Run.STATE_ERROR || (rc != 0 && terminal != Run.STATE_FINISH)
                ? "failed" : (run.stoppedBeforeEnd || (terminal < 0 && run.stopRequested)) ? "aborted" : "finished";
        event.end();
        if (event.shouldCommit()) {
            event.model = name;
            event.promptTokens = run.perf.prefillTokens();
            event.generatedTokens = run.tokenCallbacks;
            event.ttft = timings.ttftNanos();
            event.prefill = (long) (run.perf.prefillTimeMs() * 1e6);
            event.decode = run.lastTokenNanos > run.firstTokenNanos ? run.lastTokenNanos - run.firstTokenNanos : 0;
            event.decodeTokensPerSecond = timings.decodeTokensPerSecond();
            event.memoryBytes = (long) (run.perf.memoryUsageMb() * 1024 * 1024);
            event.outcome = outcome;
            event.commit();
        }
        if (failure != null) {
            throw rethrow(failure);
        }
        if (terminal == Run.STATE_ERROR) {
            throw RkllmException.runError("rkllm_run", rc != 0 ? rc : -1, name + ": the run ended in RKLLM_RUN_ERROR");
        }
        if (rc != 0 && terminal != Run.STATE_FINISH) {
            throw new RkllmException(async ? "rkllm_run_async" : "rkllm_run", rc,
                    name + ": the runtime refused the run " + request);
        }
        metrics.record(Stage.GENERATION, timings.durationNanos());
        if (run.perf.prefillTokens() > 0) {
            metrics.record(Stage.PREFILL, (long) (run.perf.prefillTimeMs() * 1e6));
        }
        Outcome o = "aborted".equals(outcome) ? Outcome.ABORTED : Outcome.FINISHED;
        List<GenerationResult> results = new ArrayList<>(nEntries);
        for (int i = 0; i < nEntries; i++) {
            results.add(new GenerationResult(o, run.text(i), run.ids(i), run.hidden[i], run.logits[i], run.perf,
                    timings));
        }
        return results;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            r.addSuppressed(new NpuStackMarker());
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new org.npu4j.NpuException("the listener failed: " + t, t);
    }

    /** Marks, in a listener's exception, where the generate call that ran it was made. */
    private static final class NpuStackMarker extends Exception {
        private static final long serialVersionUID = 1L;

        NpuStackMarker() {
            super("rethrown by RkllmModel.generate to its caller (the listener ran on the runtime's thread)");
        }
    }
}
