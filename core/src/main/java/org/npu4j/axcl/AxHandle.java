package org.npu4j.axcl;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of every owning AXCL handle (runtime, device, model, session, binding, device buffer): one shared
 * {@link Arena} per handle, a parent, the live children, an idempotent {@link #close()} that closes
 * the children first (newest first), then the arena (so every segment the handle gave out is
 * invalid from then on), then the native resources.
 *
 * <p>Thread-safe. {@link #close()} may be called from any thread and any number of times.
 */
public abstract sealed class AxHandle implements AutoCloseable
        permits AxclRuntime, AxDevice, AxModel, AxSession, AxBinding, AxDeviceBuffer {
    private static final Logger LOG = LoggerFactory.getLogger(AxHandle.class);

    /** Memory owned by this handle: scratch structures and the views of host buffers it hands out. */
    final Arena arena = Arena.ofShared();

    private final @Nullable AxHandle parent;
    private final Set<AxHandle> children = new LinkedHashSet<>(); // guarded by this
    private boolean closing; // guarded by this
    private volatile boolean closed;

    AxHandle(@Nullable AxHandle parent) {
        this.parent = parent;
    }

    /**
     * Adds a fully built child; called as the last step of the child's construction. If this handle
     * was closed meanwhile, the child is closed and {@link IllegalStateException} thrown.
     */
    final <T extends AxHandle> T adopt(T child) {
        synchronized (this) {
            if (!closing) {
                children.add(child);
                return child;
            }
        }
        child.close();
        throw closedException();
    }

    /** True once {@link #close()} has started. */
    public final boolean isClosed() {
        return closed;
    }

    /**
     * Throws {@link IllegalStateException} when this handle is closed.
     *
     * @throws IllegalStateException if closed
     */
    final void ensureOpen() {
        if (closed) {
            throw closedException();
        }
    }

    final IllegalStateException closedException() {
        return new IllegalStateException(this + " is closed");
    }

    /**
     * Closes the live children (newest first), then this handle's arena, then its native
     * resources. Idempotent: later calls return at once. Errors of the native release functions are
     * logged and rethrown after everything was released (the first as the exception, the others
     * suppressed).
     */
    @Override
    public final void close() {
        List<AxHandle> kids;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            closed = true;
            kids = new ArrayList<>(children);
            children.clear();
        }
        RuntimeException failure = null;
        try {
            beforeClose();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int i = kids.size() - 1; i >= 0; i--) {
            try {
                kids.get(i).close();
            } catch (RuntimeException e) {
                failure = chain(failure, e);
            }
        }
        try {
            arena.close();
        } catch (RuntimeException e) {
            failure = chain(failure, e);
        }
        try {
            release();
        } catch (RuntimeException e) {
            LOG.warn("{}: releasing native resources failed: {}", this, e.getMessage());
            LOG.debug("{}: release failure", this, e);
            failure = chain(failure, e);
        }
        if (parent != null) {
            parent.forget(this);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private synchronized void forget(AxHandle child) {
        children.remove(child);
    }

    /** The first failure, with {@code next} (if any) suppressed in it. */
    static @Nullable RuntimeException chain(@Nullable RuntimeException first, @Nullable RuntimeException next) {
        if (first == null) {
            return next;
        }
        if (next != null) {
            first.addSuppressed(next);
        }
        return first;
    }

    /** Called first by {@link #close()}, before the children are closed: e.g. wait for a running call. */
    void beforeClose() {}

    /** Frees the native resources of this handle (the arena is already closed). */
    abstract void release();
}
