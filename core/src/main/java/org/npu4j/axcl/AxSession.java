package org.npu4j.axcl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.ffi.Axcl;

/**
 * An execution context of a model ({@code axclrtEngineCreateContext}): what one thread uses to run
 * the model. Inputs and outputs are bound through {@link AxBinding}s made by {@link #bind()}.
 *
 * <p>One session runs one call at a time: a second call on the same session while one runs (from
 * another thread, or while an asynchronous call is pending) throws {@link IllegalStateException}.
 * To run a model from several threads at once, give each thread its own session (several sessions
 * of one model run concurrently). The session's methods are otherwise thread-safe.
 *
 * <p>The AXCL 3.x engine has no function that destroys an engine context: the runtime frees it when
 * the model is unloaded. Closing a session closes its bindings and makes it unusable.
 */
public final class AxSession extends AxHandle {
    private static final VarHandle RUNNING;

    static {
        try {
            RUNNING = MethodHandles.lookup().findVarHandle(AxSession.class, "running", AxBinding.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AxModel model;
    private final long contextId;
    /** The binding whose call runs now, or null. */
    @SuppressWarnings("unused") // through RUNNING
    private volatile @Nullable AxBinding running;

    AxSession(AxModel model, long contextId) {
        super(model);
        this.model = model;
        this.contextId = contextId;
    }

    /** The model this session runs. */
    public AxModel model() {
        return model;
    }

    /** The engine's context id. */
    public long id() {
        return contextId;
    }

    /**
     * A binding for shape group 0: device buffers and pinned host buffers for every input and output,
     * bound to a new engine IO object once.
     *
     * @throws AxclException if the device runs out of memory or the engine refuses a buffer
     */
    public AxBinding bind() {
        return bind(0);
    }

    /**
     * A binding for one shape group; its buffers have that group's sizes and its calls execute that
     * group.
     *
     * @throws IndexOutOfBoundsException if the model has no such group
     * @throws AxclException             as {@link #bind()}
     */
    public AxBinding bind(int group) {
        return bind(group, 1);
    }

    /**
     * A binding for one shape group whose buffers hold up to {@code batchCapacity} items, for models
     * compiled with a dynamic batch ({@link AxBinding#setBatchSize(int)}). The engine reports tensor
     * sizes for one item and has no query for the largest batch a model takes: the caller says it.
     *
     * @throws IllegalArgumentException  if {@code batchCapacity < 1}
     * @throws IndexOutOfBoundsException if the model has no such group
     * @throws AxclException             as {@link #bind()}
     */
    public AxBinding bind(int group, int batchCapacity) {
        if (batchCapacity < 1) {
            throw new IllegalArgumentException("batchCapacity must be at least 1: " + batchCapacity);
        }
        ensureOpen();
        ShapeGroup g = model.shapeGroup(group);
        return adopt(new AxBinding(this, g, batchCapacity));
    }

    /**
     * A binding for one shape group with no buffers of its own: an engine IO object only. Bind every
     * input and output to {@link AxDeviceBuffer}s ({@link AxBinding#setInput(int, AxDeviceBuffer, long)},
     * {@link AxBinding#setOutput(int, AxDeviceBuffer, long)}) before {@link AxBinding#execute()}; it has
     * no host buffers, so {@code input(i)}, {@code output(i)} and the copying runs throw. For chains
     * of models whose tensors live in shared device buffers (an LLM's layers over one KV cache and one
     * mask), where per-binding buffers would only waste device memory.
     *
     * @throws IndexOutOfBoundsException if the model has no such group
     * @throws AxclException             if the engine cannot create the IO object
     */
    public AxBinding bindExternal(int group) {
        ensureOpen();
        ShapeGroup g = model.shapeGroup(group);
        return adopt(new AxBinding(this, g, 1, true));
    }

    /**
     * The NPU cores of this context ({@code axclrtEngineGetContextAffinity}; bit N = core N). The AXCL
     * 3.x documentation marks context affinity as not supported yet; the runtime may answer with an
     * error.
     *
     * @throws AxclException if the runtime reports an error
     */
    public int affinity() {
        ensureOpen();
        model.device().context().bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetContextAffinity(model.id(), contextId, out),
                    "axclrtEngineGetContextAffinity", this);
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /**
     * Restricts this context to some NPU cores ({@code axclrtEngineSetContextAffinity}); see
     * {@link #affinity()}.
     *
     * @throws AxclException if the runtime refuses
     */
    public void setAffinity(int mask) {
        ensureOpen();
        model.device().context().bind();
        AxclNative.check(Axcl.axclrtEngineSetContextAffinity(model.id(), contextId, mask),
                "axclrtEngineSetContextAffinity", this);
    }

    /** Claims the session for {@code binding}'s call; false if another call runs. */
    boolean tryEnter(AxBinding binding) {
        return RUNNING.compareAndSet(this, (AxBinding) null, binding);
    }

    void exit() {
        RUNNING.setVolatile(this, (AxBinding) null);
    }

    /** True while a call of {@code binding} runs (or is pending, for asynchronous calls). */
    boolean isRunning(AxBinding binding) {
        return RUNNING.getVolatile(this) == binding;
    }

    @Override
    void release() {
        // No native destroy for an engine context in AXCL 3.x: freed with the model.
    }

    @Override
    public String toString() {
        return "AxSession[" + model.name() + " context " + contextId + "]";
    }
}
