package org.npu4j.axcl;

import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.ffi.Axcl;

/**
 * The AXCL context npu4j creates for one device, shared by every handle of the process that uses
 * the device, and its binding to Java threads.
 *
 * <p>AXCL keeps a "current context" per OS thread ({@code axclrtSetCurrentContext}); memory,
 * stream and engine calls act on the device of the calling thread's current context and fail with
 * {@code runtime/CONTEXT/NO_BIND_CONTEXT} on a thread that has none. npu4j binds lazily:
 * {@link #bind()} runs before every native call that needs a context.
 * <ul>
 *   <li>Platform threads: a one-slot cache per thread remembers the context last bound, so the
 *       cost is a {@code ThreadLocal} read and a reference compare when nothing changed, and one
 *       {@code axclrtSetCurrentContext} call when the thread switches device.</li>
 *   <li>Virtual threads: the OS thread underneath (the carrier) may change whenever the virtual
 *       thread blocks, and a carrier may have run another virtual thread in between, so the context
 *       is bound on every call, unconditionally (one cheap native call). A native call pins the
 *       virtual thread to its carrier while it runs, and npu4j's call sequences (bind, copies,
 *       execute, copies) contain no blocking operation, so a sequence stays on one carrier.</li>
 * </ul>
 * Code that calls {@code axclrtSetCurrentContext} itself through the raw bindings on a thread npu4j
 * also uses should call {@link AxDevice#bindCurrentThread()} afterwards (the cache cannot see
 * such calls).
 */
final class DeviceContext {
    /** The context last bound to each platform thread by npu4j (a one-element array: no allocation per call). */
    private static final ThreadLocal<MemorySegment[]> BOUND = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    final int deviceId;
    /** The {@code axclrtContext} (an opaque pointer, never dereferenced). */
    final MemorySegment context;

    DeviceContext(int deviceId, MemorySegment context) {
        this.deviceId = deviceId;
        this.context = context;
    }

    /** Makes this context current on the calling thread if npu4j has not already done so. */
    void bind() {
        if (Thread.currentThread().isVirtual()) {
            AxclNative.check(Axcl.axclrtSetCurrentContext(context), "axclrtSetCurrentContext");
            return;
        }
        MemorySegment[] slot = BOUND.get();
        if (slot[0] != context) {
            AxclNative.check(Axcl.axclrtSetCurrentContext(context), "axclrtSetCurrentContext");
            slot[0] = context;
        }
    }

    /**
     * For release paths: {@link #bind()}, returning its failure instead of throwing, so that the
     * release goes on with every call that does not need the binding (frees, destroys) and reports
     * the failure after. A lost card fails the bind like every other call.
     */
    @Nullable RuntimeException bindForRelease() {
        try {
            bind();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** {@link #forceBind()}, returning its failure instead of throwing (see {@link #bindForRelease()}). */
    @Nullable RuntimeException forceBindForRelease() {
        try {
            forceBind();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** Binds this context to the calling thread, whatever the cache says. */
    void forceBind() {
        AxclNative.check(Axcl.axclrtSetCurrentContext(context), "axclrtSetCurrentContext");
        if (!Thread.currentThread().isVirtual()) {
            BOUND.get()[0] = context;
        }
    }

    @Override
    public String toString() {
        return "device " + deviceId;
    }

    /** Forgets the calling thread's cached binding (after the context was destroyed on this thread). */
    static void forgetCurrentThread() {
        if (!Thread.currentThread().isVirtual()) {
            BOUND.get()[0] = null;
        }
    }
}
