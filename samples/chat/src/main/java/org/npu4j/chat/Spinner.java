package org.npu4j.chat;

import java.io.PrintStream;

/** A braille spinner on one terminal line while something slow happens; nothing without a terminal. */
final class Spinner {
    private static final String[] FRAMES = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    private static final Spinner NONE = new Spinner(null, null);

    private final PrintStream out;
    private final Thread thread;

    private Spinner(PrintStream out, Thread thread) {
        this.out = out;
        this.thread = thread;
    }

    /** Starts spinning on {@code out} (a terminal), or does nothing for null. */
    static Spinner start(PrintStream out, String message) {
        if (out == null) {
            return NONE;
        }
        Thread t = Thread.ofPlatform().daemon().name("npu4j-chat-spinner").unstarted(() -> {
            long start = System.nanoTime();
            for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                long s = (System.nanoTime() - start) / 1_000_000_000L;
                out.print("\r" + FRAMES[i % FRAMES.length] + " " + message + "… " + s + " s");
                out.flush();
                try {
                    Thread.sleep(80);
                } catch (InterruptedException e) {
                    break;
                }
            }
            out.print("\r\u001b[K");
            out.flush();
        });
        t.start();
        return new Spinner(out, t);
    }

    void stop() {
        if (thread == null) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
