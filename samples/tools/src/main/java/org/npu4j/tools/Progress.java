package org.npu4j.tools;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.jspecify.annotations.Nullable;

/**
 * The progress bar of {@code npu4j bench} on standard error (me.tongfei:progressbar), or nothing when
 * standard error is not a terminal, or with {@code --no-progress}. One bar per task (a model in one
 * tuning mode). Not thread-safe: used by the thread that runs the benchmark.
 */
final class Progress implements AutoCloseable {
    private final boolean enabled;
    private final PrintStream err;
    private @Nullable ProgressBar bar;

    private Progress(boolean enabled, PrintStream err) {
        this.enabled = enabled;
        this.err = err;
    }

    /** A progress display that is on only if {@code wanted} and standard error is a terminal. */
    static Progress onTerminal(boolean wanted) {
        return new Progress(wanted && NativeEnv.isatty(2), System.err);
    }

    /** No display at all. */
    static Progress off() {
        return new Progress(false, System.err);
    }

    boolean enabled() {
        return enabled;
    }

    /** Starts a bar of {@code steps} steps (the previous one ends). */
    void start(String task, long steps, String unit) {
        close();
        if (enabled) {
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(steps).setUnit(" " + unit, 1)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).showSpeed()
                    .setConsumer(new ConsoleProgressBarConsumer(err)).build();
        }
    }

    void step() {
        if (bar != null) {
            bar.step();
        }
    }

    void stepBy(long n) {
        if (bar != null) {
            bar.stepBy(n);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
