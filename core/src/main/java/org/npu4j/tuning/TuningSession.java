package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tuning applied to a host, undone on {@link #close()} and at JVM exit.
 *
 * <p>Every previous value is recorded, byte for byte, just before its file is written; close
 * writes them back in reverse order. A shutdown hook does the same if the JVM exits first (normal
 * exit, Ctrl-C, SIGTERM; not SIGKILL); close removes it. A session of a plan the process had no
 * rights to apply is a dry run: {@link #applied()} is false, nothing was changed and close does
 * nothing.
 *
 * <p>Thread-safe: close may be called from any thread, once or many times.
 */
public final class TuningSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TuningSession.class);

    /** A change made, with the file's exact previous content (null: the file did not exist). */
    private record Applied(Change change, @Nullable String previous) {}

    /** A file that could not be restored. */
    private record Failure(String file, String message) {
        @Override
        public String toString() {
            return file + " (" + message + ")";
        }
    }

    private final HostFiles files;
    private final TuningPlan plan;
    private final boolean dryRun;
    private final List<Applied> applied = new ArrayList<>();
    private @Nullable Thread hook;
    private boolean closed;

    private TuningSession(HostFiles files, TuningPlan plan, boolean dryRun) {
        this.files = files;
        this.plan = plan;
        this.dryRun = dryRun;
    }

    static TuningSession dryRun(HostFiles files, TuningPlan plan) {
        TuningSession s = new TuningSession(files, plan, true);
        s.closed = true;
        return s;
    }

    /**
     * Writes every change of {@code plan}; on the first failure restores what was written and
     * throws.
     */
    static TuningSession apply(HostFiles files, TuningPlan plan) {
        TuningSession s = new TuningSession(files, plan, false);
        synchronized (s) {
            for (Change c : plan.changes()) {
                try {
                    String previous = files.exists(c.file()) ? files.read(c.file()) : null;
                    files.write(c.file(), c.newValue() + "\n");
                    s.applied.add(new Applied(c, previous));
                    LOG.info("Tuning: {} {} -> {}", c.file(), previous == null ? "(absent)" : previous.strip(), c.newValue());
                } catch (RuntimeException e) {
                    int done = s.applied.size();
                    List<Failure> failures = s.restore();
                    TuningException ex = new TuningException("Could not write " + c.file() + " (" + e.getMessage()
                            + "); restored the " + done + " change" + (done == 1 ? "" : "s") + " made before it"
                            + (failures.isEmpty() ? "" : ", except: " + failures), c.file(), e);
                    s.closed = true;
                    throw ex;
                }
            }
            if (!s.applied.isEmpty()) {
                Thread h = new Thread(s::restoreAtExit, "npu4j-tuning-restore");
                Runtime.getRuntime().addShutdownHook(h);
                s.hook = h;
            } else {
                s.closed = true;
            }
        }
        return s;
    }

    /** The plan this session applied (or, for a dry run, would have applied). */
    public TuningPlan plan() {
        return plan;
    }

    /** False for a dry run (no rights to write): nothing was changed. */
    public boolean applied() {
        return !dryRun;
    }

    /** The changes in effect now: empty for a dry run and after close. */
    public synchronized List<Change> changes() {
        return closed ? List.of() : applied.stream().map(Applied::change).toList();
    }

    /**
     * Restores {@code session} (if any) after {@code failure} ended what it was applied for: a failed
     * model or runtime load. A failure to restore is added to {@code failure} as suppressed.
     */
    public static void restoreAfter(@Nullable TuningSession session, Throwable failure) {
        if (session != null) {
            try {
                session.close();
            } catch (TuningException restore) {
                failure.addSuppressed(restore);
            }
        }
    }

    /**
     * Restores every changed file to its previous content, in reverse order, and removes the
     * shutdown hook. Idempotent.
     *
     * @throws TuningException if some files could not be restored (all others are); the message
     *                         names them, {@link TuningException#file()} is the first
     */
    @Override
    public void close() {
        List<Failure> failures;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            Thread h = hook;
            hook = null;
            if (h != null && Thread.currentThread() != h) {
                try {
                    Runtime.getRuntime().removeShutdownHook(h);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting; the hook runs and finds the session closed
                }
            }
            failures = restore();
        }
        if (!failures.isEmpty()) {
            throw new TuningException("Could not restore: " + failures, failures.get(0).file(), null);
        }
    }

    private void restoreAtExit() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            hook = null;
            List<Failure> failures = restore();
            if (!failures.isEmpty()) {
                LOG.error("Could not restore at exit: {}", failures);
            }
        }
    }

    /** Writes the previous values back, last change first; returns the files that failed. */
    private List<Failure> restore() {
        List<Failure> failures = new ArrayList<>();
        for (int i = applied.size() - 1; i >= 0; i--) {
            Applied a = applied.get(i);
            if (a.previous() == null) {
                continue; // the file appeared with the change (userspace/set_freq); it goes with the governor
            }
            try {
                files.write(a.change().file(), a.previous());
                LOG.info("Tuning restored: {} {}", a.change().file(), a.previous().strip());
            } catch (RuntimeException e) {
                LOG.error("Could not restore {}", a.change().file(), e);
                failures.add(new Failure(a.change().file(), String.valueOf(e.getMessage())));
            }
        }
        return failures;
    }
}
