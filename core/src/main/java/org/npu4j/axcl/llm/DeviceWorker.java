package org.npu4j.axcl.llm;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The platform thread that makes every AXCL call of one device of a multi-card {@link AxLlmEngine}, as
 * ax-llm's AXCL runner has one worker thread per device that runs {@code axclrtSetDevice},
 * {@code axclrtEngineInit} and then all of that device's calls ({@code src/runner/utils/axcl_manager.hpp}
 * @ 15699736, {@code shared/facts/axllm.md}): the device's context stays bound to that thread, no
 * {@code axclrtSetCurrentContext} switches between cards on one thread.
 *
 * <p>{@link #call} hands a task over and waits for it: one step runs on one card at a time (a token's
 * layers are a chain), so the threads never run together; they only keep each card's calls on its own
 * thread. A task in progress is not interrupted: an interrupt of the waiting thread is kept and
 * reported after the task ends, so a device is never left in the middle of a step. Thread-safe.
 */
final class DeviceWorker implements AutoCloseable {
    private final ExecutorService executor;
    private final String name;

    /** @param name the thread's name, e.g. {@code npu4j-axcl-llm-dev1} */
    DeviceWorker(String name) {
        this.name = name;
        this.executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    }

    /** Runs {@code task} on this worker's thread and returns its result; its exception is rethrown as is. */
    <T> T call(Supplier<T> task) {
        Future<T> f;
        try {
            f = executor.submit(task::get);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException(name + " is stopped", e);
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true; // let the step finish: the device state stays consistent
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException r) {
                        throw r;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@link #call} of a task without a result. */
    void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Stops the thread after the tasks queued so far. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
