package org.npu4j.langchain4j;

import java.util.concurrent.LinkedBlockingQueue;

/**
 * The callbacks of one streamed answer, run one after another on one virtual thread of their own, in the
 * order they were posted. LangChain4j's streaming contract wants every callback of a request on one
 * thread; the backend calls its token listener on its callback thread but completes the run on another,
 * so both post here instead of calling the handler. Posting never blocks the backend.
 *
 * <p>The thread ends after the event posted with {@link #postLast} or at {@link #stop()} (events still
 * queued are then dropped). Thread-safe.
 */
final class SerialCallbacks {
    private static final Runnable END = () -> {};
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private volatile boolean stopped;

    SerialCallbacks(String name) {
        Thread.ofVirtual().name(name).start(this::drain);
    }

    /** Runs {@code event} on the callback thread after those posted before it. */
    void post(Runnable event) {
        if (!stopped) {
            queue.add(event);
        }
    }

    /** Runs {@code event} as the last one; the thread ends after it. */
    void postLast(Runnable event) {
        post(event);
        queue.add(END);
    }

    /** Drops what is queued and ends the thread after the event running now (if any). Idempotent. */
    void stop() {
        stopped = true;
        queue.clear();
        queue.add(END);
    }

    private void drain() {
        try {
            while (true) {
                Runnable r = queue.take();
                if (r == END || stopped) {
                    return;
                }
                r.run();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
