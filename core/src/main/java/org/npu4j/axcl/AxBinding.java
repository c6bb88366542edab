package org.npu4j.axcl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.EventType;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.ffi.Axcl;
import org.npu4j.metrics.EngineCallEvent;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * The inputs and outputs of one {@link AxSession} for one shape group, bound once and reused call
 * after call: an engine IO object ({@code axclrtEngineCreateIO}), one device buffer
 * ({@code axclrtMalloc}) and one pinned host buffer ({@code axclrtMallocHost}) per tensor, the device
 * buffers set on the IO object once ({@code axclrtEngineSetInputBufferByIndex} /
 * {@code SetOutputBufferByIndex}). Buffer sizes are the engine's sizes of the group
 * ({@link TensorInfo#byteSize()}).
 *
 * <h2>The hot path</h2>
 * Write the inputs into {@link #input(int)} (native memory, the tensor's exact size and layout), call
 * {@link #run()}, read {@link #output(int)}. {@code run()} does only: one {@code axclrtMemcpy} host to
 * device per input, {@code axclrtEngineExecute}, one {@code axclrtMemcpy} device to host per output,
 * and records the three latencies — no Java allocation (unless a JFR recording has the
 * {@code org.npu4j.EngineCall} event enabled: then one event object per call).
 *
 * <h2>Convenience</h2>
 * {@link #run(Map)} takes the inputs by name as {@link MemorySegment}, {@code byte[]} or
 * {@code float[]}, copies them into the pinned buffers and returns the outputs by name.
 *
 * <h2>Metrics</h2>
 * Each synchronous call records (through a single-writer {@link LatencyRecorder.Writer} of the binding)
 * into the model's {@link AxModel#latency()}: {@link Stage#HOST_TO_DEVICE}
 * (all input copies), {@link Stage#EXECUTE} and {@link Stage#DEVICE_TO_HOST} (all output copies),
 * nanoseconds from {@link System#nanoTime()}. When a JFR recording enables {@code org.npu4j.EngineCall},
 * each call also commits an {@link EngineCallEvent} with the same three durations and the byte counts.
 *
 * <h2>Threads</h2>
 * A binding belongs to its session, and a session runs one call at a time: calling {@code run} while
 * another call of the same session runs throws {@link IllegalStateException}. Any thread may call;
 * the device's context is bound to it as {@link AxDevice} describes. The host buffers are plain
 * shared memory: do not write the inputs or read the outputs from one thread while another runs a
 * call.
 *
 * <h2>Lifetime</h2>
 * {@link #close()} waits for a running (or pending asynchronous) call to end, then destroys the IO
 * object, frees the buffers and the stream; the segments from {@link #input(int)} and
 * {@link #output(int)} are then inaccessible (accessing them throws {@link IllegalStateException}).
 */
public final class AxBinding extends AxHandle {
    /** Threads that wait for asynchronous calls ({@code axclrtSynchronizeStream}); daemon, created on demand. */
    private static final ExecutorService WAITERS = Executors.newCachedThreadPool(new java.util.concurrent.ThreadFactory() {
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            return Thread.ofPlatform().daemon().name("npu4j-axcl-stream-" + n.incrementAndGet()).unstarted(r);
        }
    });

    private final AxSession session;
    private final AxModel model;
    private final DeviceContext ctx;
    private final CallCounter calls;
    private final long modelId;
    private final long contextId;
    private final ShapeGroup group;
    private final int groupIndex;
    private final LatencyRecorder latency;
    /**
     * The synchronous calls' recording handle: a binding runs one call at a time (its session's claim
     * orders the calls), so its three stages go through a single-writer recorder, a third of the cost
     * of the shared one per value (JMH LatencyRecorderBenchmark).
     */
    private final LatencyRecorder.Writer latencyWriter;
    private final String modelName;

    private MemorySegment io = MemorySegment.NULL;
    /** The device buffers bound now (own or a bound {@link AxDeviceBuffer}'s address plus offset). */
    private final MemorySegment[] devIn;
    /** The device buffers this binding allocated (null for an external binding's tensors). */
    private final @Nullable MemorySegment[] ownDevIn;
    private final @Nullable MemorySegment[] ownDevOut;
    /** Bound device buffers, held so that they are not collected while bound. */
    private final @Nullable AxDeviceBuffer[] boundIn;
    private final @Nullable AxDeviceBuffer[] boundOut;
    private final boolean external;
    private final MemorySegment[] hostIn;
    /**
     * The addresses of {@link #hostIn} and {@link #hostOut} as zero-length segments of the global scope,
     * for the copy calls: a segment of the binding's shared arena passed to a downcall is acquired and
     * released (two atomic updates) per argument and call. The buffers outlive every call because
     * {@link #close()} waits for running and pending calls.
     */
    private final MemorySegment[] hostInAddress;
    private final MemorySegment[] hostOutAddress;
    /** Bytes copied per call: the tensor size times the current batch size. */
    private final long[] inSize;
    private final MemorySegment[] devOut;
    private final MemorySegment[] hostOut;
    private final long[] outSize;
    private final int batchCapacity;
    private int batch = 1; // guarded by the session (changed only inside enter/exit)
    private long bytesIn;
    private long bytesOut;
    private final Map<String, Integer> inputIndex = new HashMap<>();
    private final Map<String, Integer> outputIndex = new HashMap<>();
    private final Map<String, MemorySegment> outputViews;
    /** Lazily created for {@link #runAsync}; guarded by the session (only the running call touches it). */
    private MemorySegment stream = MemorySegment.NULL;
    private boolean freed;

    AxBinding(AxSession session, ShapeGroup group, int batchCapacity) {
        this(session, group, batchCapacity, false);
    }

    AxBinding(AxSession session, ShapeGroup group, int batchCapacity, boolean external) {
        super(session);
        this.external = external;
        this.session = session;
        this.model = session.model();
        this.ctx = model.device().context();
        this.calls = model.device().calls;
        this.modelId = model.id();
        this.contextId = session.id();
        this.group = group;
        this.groupIndex = group.index();
        this.latency = model.latency();
        this.latencyWriter = latency.newWriter(Stage.HOST_TO_DEVICE, Stage.EXECUTE, Stage.DEVICE_TO_HOST);
        this.modelName = model.name();
        this.batchCapacity = batchCapacity;
        int nIn = group.inputs().size();
        int nOut = group.outputs().size();
        devIn = new MemorySegment[nIn];
        ownDevIn = new MemorySegment[nIn];
        ownDevOut = new MemorySegment[nOut];
        boundIn = new AxDeviceBuffer[nIn];
        boundOut = new AxDeviceBuffer[nOut];
        hostIn = new MemorySegment[nIn];
        hostInAddress = new MemorySegment[nIn];
        inSize = new long[nIn];
        devOut = new MemorySegment[nOut];
        hostOut = new MemorySegment[nOut];
        hostOutAddress = new MemorySegment[nOut];
        outSize = new long[nOut];
        long in = 0;
        long out = 0;
        try {
            ctx.bind();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ioOut = a.allocate(ValueLayout.ADDRESS);
                AxclNative.check(Axcl.axclrtEngineCreateIO(model.ioInfo(), ioOut), "axclrtEngineCreateIO", this);
                io = ioOut.get(ValueLayout.ADDRESS, 0);
            }
            for (int i = 0; i < nIn; i++) {
                TensorInfo t = group.inputs().get(i);
                long capacity = Math.multiplyExact(t.byteSize(), (long) batchCapacity);
                inSize[i] = t.byteSize();
                inputIndex.put(t.name(), i);
                in += t.byteSize();
                if (external) {
                    continue;
                }
                devIn[i] = Memory.mallocDevice(capacity, t);
                ownDevIn[i] = devIn[i];
                hostIn[i] = Memory.mallocHost(capacity, t).reinterpret(capacity, arena, null);
                hostInAddress[i] = MemorySegment.ofAddress(hostIn[i].address());
                calls.bind();
                AxclNative.check(Axcl.axclrtEngineSetInputBufferByIndex(io, i, devIn[i], capacity),
                        "axclrtEngineSetInputBufferByIndex", t);
            }
            Map<String, MemorySegment> views = new LinkedHashMap<>();
            for (int i = 0; i < nOut; i++) {
                TensorInfo t = group.outputs().get(i);
                long capacity = Math.multiplyExact(t.byteSize(), (long) batchCapacity);
                outSize[i] = t.byteSize();
                outputIndex.put(t.name(), i);
                out += t.byteSize();
                if (external) {
                    continue;
                }
                devOut[i] = Memory.mallocDevice(capacity, t);
                ownDevOut[i] = devOut[i];
                hostOut[i] = Memory.mallocHost(capacity, t).reinterpret(capacity, arena, null);
                hostOutAddress[i] = MemorySegment.ofAddress(hostOut[i].address());
                calls.bind();
                AxclNative.check(Axcl.axclrtEngineSetOutputBufferByIndex(io, i, devOut[i], capacity),
                        "axclrtEngineSetOutputBufferByIndex", t);
                views.put(t.name(), hostOut[i].asReadOnly());
            }
            outputViews = Collections.unmodifiableMap(views);
        } catch (RuntimeException e) {
            latencyWriter.close();
            try {
                freeNative();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            arena.close();
            throw e;
        }
        bytesIn = in;
        bytesOut = out;
    }

    /** The session this binding runs on. */
    public AxSession session() {
        return session;
    }

    /** The shape group whose buffers this binding holds and which its calls execute. */
    public ShapeGroup shapeGroup() {
        return group;
    }

    /**
     * The pinned host buffer of input {@code index}: native memory of the tensor's byte size (times the
     * {@link #batchCapacity()}), readable and writable, in the tensor's layout and element type. Each
     * call copies its first {@code batchSize × byteSize} bytes to the device. Valid until this binding
     * is closed.
     *
     * @throws IndexOutOfBoundsException if there is no such input
     * @throws IllegalStateException     if the binding is closed
     */
    public MemorySegment input(int index) {
        ensureOpen();
        ensureOwn();
        return hostIn[index];
    }

    /**
     * The pinned host buffer of the input called {@code name}.
     *
     * @throws IllegalArgumentException if the model has no such input
     */
    public MemorySegment input(String name) {
        return input(index(inputIndex, name, "input"));
    }

    /**
     * The pinned host buffer of output {@code index} (the tensor's byte size times the
     * {@link #batchCapacity()}); each call fills its first {@code batchSize × byteSize} bytes. Writable,
     * but each call overwrites it. Valid until this binding is closed.
     *
     * @throws IndexOutOfBoundsException if there is no such output
     */
    public MemorySegment output(int index) {
        ensureOpen();
        ensureOwn();
        return hostOut[index];
    }

    /**
     * The pinned host buffer of the output called {@code name}.
     *
     * @throws IllegalArgumentException if the model has no such output
     */
    public MemorySegment output(String name) {
        return output(index(outputIndex, name, "output"));
    }

    /**
     * The device buffer of input {@code index}, as an opaque handle: a zero-length segment whose
     * address is the device address ({@code axclrtMalloc}). Device memory is not host memory: the
     * segment cannot be read or written; pass it to AXCL functions only.
     */
    public MemorySegment inputDevice(int index) {
        ensureOpen();
        ensureOwn();
        return devIn[index];
    }

    /** The device buffer of output {@code index}, an opaque handle as {@link #inputDevice(int)}. */
    public MemorySegment outputDevice(int index) {
        ensureOpen();
        ensureOwn();
        return devOut[index];
    }

    private int index(Map<String, Integer> map, String name, String kind) {
        Integer i = map.get(Objects.requireNonNull(name, "name"));
        if (i == null) {
            throw new IllegalArgumentException(modelName + " has no " + kind + " called '" + name + "'; it has "
                    + map.keySet());
        }
        return i;
    }

    /**
     * Runs the model once, synchronously: copies every input buffer to the device, executes, copies
     * every output back. Allocation-free; see the class description.
     *
     * @throws AxclException         if a copy or the execution fails (the exception names the call and
     *                               the tensor)
     * @throws IllegalStateException if the binding is closed, or another call of the same session
     *                               runs
     */
    public void run() {
        ensureOwn();
        run(-1L, -1L);
    }

    /**
     * Runs the model once, synchronously, copying only the chosen tensors between the pinned host
     * buffers and the device: bit {@code i} of {@code copyInputs} copies input {@code i} to the device
     * before the execution, bit {@code i} of {@code copyOutputs} copies output {@code i} back after it
     * ({@code -1L} = all; tensors 0..63). Tensors left out keep whatever their device buffers hold: use
     * it for tensors bound to {@link AxDeviceBuffer}s ({@link #setInput(int, AxDeviceBuffer, long)}) that
     * stay on the device, e.g. an LLM's hidden state between layers. {@code run(0, 0)} is
     * {@link #execute()}. Allocation-free; the latencies are recorded as for {@link #run()}.
     *
     * @throws IllegalStateException if a selected tensor has no host buffer (an external binding,
     *                               {@link AxSession#bindExternal(int)}), or as {@link #run()}
     * @throws AxclException         as {@link #run()}
     */
    public void run(long copyInputs, long copyOutputs) {
        if (external && (copyInputs != 0 || copyOutputs != 0)) {
            throw new IllegalStateException(this + " is an external binding: it has no host buffers to copy");
        }
        enter();
        try {
            ctx.bind();
            EngineCallEvent event = null;
            if (EventHolder.TYPE.isEnabled()) {
                event = new EngineCallEvent();
                event.begin();
            }
            long t0 = System.nanoTime();
            if (copyInputs != 0) {
                for (int i = 0; i < devIn.length; i++) {
                    if ((copyInputs & (1L << i)) != 0) {
                        calls.copy(Memory.HOST_TO_DEVICE);
                        AxclNative.check(Axcl.axclrtMemcpy(devIn[i], hostInAddress[i], inSize[i], Memory.HOST_TO_DEVICE),
                                "axclrtMemcpy", group.inputs().get(i));
                    }
                }
            }
            long t1 = System.nanoTime();
            calls.execute();
            AxclNative.check(Axcl.axclrtEngineExecute(modelId, contextId, groupIndex, io), "axclrtEngineExecute", this);
            long t2 = System.nanoTime();
            if (copyOutputs != 0) {
                for (int i = 0; i < devOut.length; i++) {
                    if ((copyOutputs & (1L << i)) != 0) {
                        calls.copy(Memory.DEVICE_TO_HOST);
                        AxclNative.check(Axcl.axclrtMemcpy(hostOutAddress[i], devOut[i], outSize[i], Memory.DEVICE_TO_HOST),
                                "axclrtMemcpy", group.outputs().get(i));
                    }
                }
            }
            long t3 = System.nanoTime();
            latencyWriter.record(Stage.HOST_TO_DEVICE, t1 - t0);
            latencyWriter.record(Stage.EXECUTE, t2 - t1);
            latencyWriter.record(Stage.DEVICE_TO_HOST, t3 - t2);
            if (event != null) {
                commit(event, t1 - t0, t2 - t1, t3 - t2);
            }
        } finally {
            session.exit();
        }
    }

    /**
     * Executes the model once on whatever its device buffers hold, with no host copy: one
     * {@code axclrtEngineExecute}. Allocation-free.
     *
     * @throws AxclException         if the execution fails
     * @throws IllegalStateException as {@link #run()}, or if an external binding has unbound tensors
     */
    public void execute() {
        run(0L, 0L);
    }

    /**
     * Binds input {@code index} to {@code buffer} at byte {@code offset}, for the tensor's byte size
     * ({@code axclrtEngineSetInputBufferByIndex}; stays on the host in the AXCL 3.10 runtime, crosses no
     * link). Later calls read the tensor from there; the binding's own device buffer for it, if any, is
     * kept but unused, and {@link #run()} still copies the host buffer into the bound one. Rebinding is
     * allowed between calls (e.g. a KV cache row at a new offset per decoded token). Allocation-free.
     *
     * @throws IndexOutOfBoundsException if there is no such input, or the tensor's bytes from
     *                                   {@code offset} run past the buffer
     * @throws IllegalArgumentException  if the buffer is on another device
     * @throws IllegalStateException     if the binding is closed or a call runs
     * @throws AxclException             if the engine refuses the buffer
     */
    public void setInput(int index, AxDeviceBuffer buffer, long offset) {
        bindBuffer(true, index, buffer, offset);
    }

    /** As {@link #setInput(int, AxDeviceBuffer, long)} for output {@code index} ({@code axclrtEngineSetOutputBufferByIndex}). */
    public void setOutput(int index, AxDeviceBuffer buffer, long offset) {
        bindBuffer(false, index, buffer, offset);
    }

    private void bindBuffer(boolean input, int index, AxDeviceBuffer buffer, long offset) {
        Objects.requireNonNull(buffer, "buffer");
        TensorInfo t = input ? group.inputs().get(index) : group.outputs().get(index);
        if (buffer.device() != model.device()) {
            throw new IllegalArgumentException(t + " of " + this + ": " + buffer + " is on another device");
        }
        long bytes = (input ? inSize : outSize)[index];
        MemorySegment addr = buffer.at(offset, bytes, (input ? "input " : "output ") + t.name() + " of " + modelName);
        enter();
        try {
            ctx.bind();
            if (input) {
                calls.bind();
                AxclNative.check(Axcl.axclrtEngineSetInputBufferByIndex(io, index, addr, bytes),
                        "axclrtEngineSetInputBufferByIndex", t);
                devIn[index] = addr;
                boundIn[index] = buffer;
            } else {
                calls.bind();
                AxclNative.check(Axcl.axclrtEngineSetOutputBufferByIndex(io, index, addr, bytes),
                        "axclrtEngineSetOutputBufferByIndex", t);
                devOut[index] = addr;
                boundOut[index] = buffer;
            }
        } finally {
            session.exit();
        }
    }

    /** True for a binding made by {@link AxSession#bindExternal(int)}: no buffers of its own. */
    public boolean isExternal() {
        return external;
    }

    private void ensureOwn() {
        if (external) {
            throw new IllegalStateException(this + " is an external binding: it has no host buffers (bind AxDeviceBuffers"
                    + " with setInput/setOutput and call execute())");
        }
    }

    private void commit(EngineCallEvent event, long h2d, long exec, long d2h) {
        event.end();
        if (event.shouldCommit()) {
            event.model = modelName;
            event.hostToDevice = h2d;
            event.execute = exec;
            event.deviceToHost = d2h;
            event.bytesIn = bytesIn;
            event.bytesOut = bytesOut;
            event.commit();
        }
    }

    /**
     * Copies the given inputs into the pinned buffers, {@link #run() runs}, and returns the outputs.
     *
     * @param inputs every input of the model by name; each value a {@link MemorySegment} (native or
     *               heap) or {@code byte[]} of exactly the tensor's byte size (times the batch size), or a
     *               {@code float[]} whose length times 4 is that size (FP32 tensors only). Native byte
     *               order.
     * @return the output buffers by name, in engine order: read-only views of {@link #output(int)}
     *         (whole buffers: at batch size n the first n items are this call's), overwritten by the next
     *         call and invalid once the binding is closed
     * @throws IllegalArgumentException if an input is missing, unknown, of an unsupported type or of the
     *                                  wrong size
     * @throws AxclException            as {@link #run()}
     */
    public Map<String, MemorySegment> run(Map<String, ?> inputs) {
        ensureOpen();
        ensureOwn();
        Objects.requireNonNull(inputs, "inputs");
        List<String> missing = new ArrayList<>();
        for (TensorInfo t : group.inputs()) {
            if (!inputs.containsKey(t.name())) {
                missing.add(t.name());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(modelName + ": missing inputs " + missing);
        }
        for (Map.Entry<String, ?> e : inputs.entrySet()) {
            int i = index(inputIndex, e.getKey(), "input");
            copyIn(group.inputs().get(i), hostIn[i], inSize[i], e.getValue());
        }
        run();
        return outputViews;
    }

    private void copyIn(TensorInfo t, MemorySegment dst, long size, @Nullable Object value) {
        switch (value) {
            case MemorySegment s -> {
                checkSize(t, size, s.byteSize());
                MemorySegment.copy(s, 0, dst, 0, size);
            }
            case byte[] b -> {
                checkSize(t, size, b.length);
                MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, b.length);
            }
            case float[] f -> {
                if (t.dataType() != DataType.FP32) {
                    throw new IllegalArgumentException("input " + t + " is " + t.dataType() + ", not FP32: pass bytes");
                }
                checkSize(t, size, 4L * f.length);
                MemorySegment.copy(f, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, f.length);
            }
            case null -> throw new IllegalArgumentException("input " + t.name() + " is null");
            default -> throw new IllegalArgumentException("input " + t.name() + ": unsupported type "
                    + value.getClass().getName() + " (MemorySegment, byte[] or float[])");
        }
    }

    private void checkSize(TensorInfo t, long expected, long given) {
        if (given != expected) {
            throw new IllegalArgumentException("wrong buffer size for input " + t + (batch > 1 ? " at batch " + batch : "")
                    + ": got " + given + " bytes, expected " + expected);
        }
    }

    /**
     * Runs the model once on an AXCL stream: queues the input copies ({@code axclrtMemcpyAsync}), the
     * execution ({@code axclrtEngineExecuteAsync}) and the output copies on this binding's stream
     * (created on first use), and returns at once. A waiter thread of npu4j then blocks in
     * {@code axclrtSynchronizeStream} and completes the future with this binding; the outputs are
     * valid from then on. The session counts as running until the future completes.
     *
     * <p>Metrics: the stream does not tell when each stage ends, so the whole span, copies included,
     * is recorded under {@link Stage#EXECUTE} (and as the {@code execute} field of the JFR event).
     *
     * @return a future completed with this binding, or exceptionally with an {@link AxclException}
     * @throws AxclException         if queuing fails (nothing is pending then)
     * @throws IllegalStateException if the binding is closed or another call of the session runs
     */
    public CompletableFuture<AxBinding> runAsync() {
        return runAsync(WAITERS);
    }

    /**
     * As {@link #runAsync()}, waiting for the stream on a thread of {@code waiter} (which should be a
     * platform thread: the wait is a blocking native call).
     */
    public CompletableFuture<AxBinding> runAsync(Executor waiter) {
        Objects.requireNonNull(waiter, "waiter");
        ensureOwn();
        enter();
        long t0;
        EngineCallEvent event;
        try {
            ctx.bind();
            if (stream.equals(MemorySegment.NULL)) {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment out = a.allocate(ValueLayout.ADDRESS);
                    AxclNative.check(Axcl.axclrtCreateStream(out), "axclrtCreateStream", this);
                    stream = out.get(ValueLayout.ADDRESS, 0);
                }
            }
            event = EventHolder.TYPE.isEnabled() ? new EngineCallEvent() : null;
            if (event != null) {
                event.begin();
            }
            t0 = System.nanoTime();
            for (int i = 0; i < devIn.length; i++) {
                calls.copy(Memory.HOST_TO_DEVICE);
                AxclNative.check(Axcl.axclrtMemcpyAsync(devIn[i], hostInAddress[i], inSize[i], Memory.HOST_TO_DEVICE, stream),
                        "axclrtMemcpyAsync", group.inputs().get(i));
            }
            calls.execute();
            AxclNative.check(Axcl.axclrtEngineExecuteAsync(modelId, contextId, groupIndex, io, stream),
                    "axclrtEngineExecuteAsync", this);
            for (int i = 0; i < devOut.length; i++) {
                calls.copy(Memory.DEVICE_TO_HOST);
                AxclNative.check(Axcl.axclrtMemcpyAsync(hostOutAddress[i], devOut[i], outSize[i], Memory.DEVICE_TO_HOST, stream),
                        "axclrtMemcpyAsync", group.outputs().get(i));
            }
        } catch (RuntimeException e) {
            drainQuietly();
            session.exit();
            throw e;
        }
        CompletableFuture<AxBinding> future = new CompletableFuture<>();
        EngineCallEvent ev = event;
        Runnable wait = () -> {
            Throwable failure = null;
            try {
                ctx.bind();
                AxclNative.check(Axcl.axclrtSynchronizeStream(stream), "axclrtSynchronizeStream", this);
                long span = System.nanoTime() - t0;
                latency.record(Stage.EXECUTE, span);
                if (ev != null) {
                    commit(ev, 0, span, 0);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                session.exit();
            }
            if (failure == null) {
                future.complete(this);
            } else {
                future.completeExceptionally(failure);
            }
        };
        try {
            waiter.execute(wait);
        } catch (RejectedExecutionException e) {
            wait.run();
        }
        return future;
    }

    /** After a failed queueing: wait for what was queued, ignoring its outcome. */
    private void drainQuietly() {
        if (!stream.equals(MemorySegment.NULL)) {
            Axcl.axclrtSynchronizeStream(stream); // the queueing error is the one to report
        }
    }

    /**
     * Sets the batch size of the following calls ({@code axclrtEngineSetDynamicBatchSize}), for a model
     * compiled with a dynamic batch: from then on each call copies and computes {@code batchSize} items,
     * i.e. the first {@code batchSize × byteSize} bytes of every buffer (items one after the other).
     *
     * @param batchSize 1 to {@link #batchCapacity()}
     * @throws IllegalArgumentException if {@code batchSize} exceeds the capacity the binding was made with
     * @throws AxclException            if the engine refuses the size (e.g. above the model's maximum batch:
     *                                  {@code runtime/ENGINE/ILLEGAL_PARAM})
     */
    public void setBatchSize(int batchSize) {
        if (batchSize < 1 || batchSize > batchCapacity) {
            throw new IllegalArgumentException("batch size " + batchSize + " is not in 1.." + batchCapacity
                    + " (the capacity this binding was made with)");
        }
        enter();
        try {
            ctx.bind();
            AxclNative.check(Axcl.axclrtEngineSetDynamicBatchSize(io, batchSize), "axclrtEngineSetDynamicBatchSize",
                    this + ", batch " + batchSize);
            long in = 0;
            long out = 0;
            for (int i = 0; i < inSize.length; i++) {
                inSize[i] = group.inputs().get(i).byteSize() * batchSize;
                in += inSize[i];
            }
            for (int i = 0; i < outSize.length; i++) {
                outSize[i] = group.outputs().get(i).byteSize() * batchSize;
                out += outSize[i];
            }
            bytesIn = in;
            bytesOut = out;
            batch = batchSize;
        } finally {
            session.exit();
        }
    }

    /** The batch size of the next call (1 unless {@link #setBatchSize} changed it). */
    public int batchSize() {
        return batch;
    }

    /** The most items per call the buffers hold: they are {@code batchCapacity × byteSize} bytes each. */
    public int batchCapacity() {
        return batchCapacity;
    }

    /**
     * The device buffer the engine has for input {@code index} ({@code axclrtEngineGetInputBufferByIndex}):
     * the buffer this binding set, unless something else changed it. For diagnostics.
     */
    public MemorySegment engineInputBuffer(int index) {
        return engineBuffer(index, true);
    }

    /** As {@link #engineInputBuffer(int)} for outputs ({@code axclrtEngineGetOutputBufferByIndex}). */
    public MemorySegment engineOutputBuffer(int index) {
        return engineBuffer(index, false);
    }

    private MemorySegment engineBuffer(int index, boolean input) {
        ensureOpen();
        ctx.bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ptr = a.allocate(ValueLayout.ADDRESS);
            MemorySegment size = a.allocate(ValueLayout.JAVA_LONG);
            AxclNative.check(input ? Axcl.axclrtEngineGetInputBufferByIndex(io, index, ptr, size)
                    : Axcl.axclrtEngineGetOutputBufferByIndex(io, index, ptr, size),
                    input ? "axclrtEngineGetInputBufferByIndex" : "axclrtEngineGetOutputBufferByIndex", this);
            return ptr.get(ValueLayout.ADDRESS, 0);
        }
    }

    private void enter() {
        ensureOpen();
        if (!session.tryEnter(this)) {
            throw new IllegalStateException(session + " is running another call: one call per session at a time"
                    + " (use one AxSession per thread)");
        }
        if (isClosed()) {
            session.exit();
            throw closedException();
        }
    }

    @Override
    void beforeClose() {
        // New calls are refused (closed is set); wait for the one that may run now.
        while (session.isRunning(this)) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Override
    void release() {
        latencyWriter.close(); // its values stay in the model's recorder
        freeNative();
    }

    private void freeNative() {
        if (freed) {
            return;
        }
        freed = true;
        // Every step is tried, the bind included (a lost card fails it and still frees the host side); the
        // first failure is thrown after.
        RuntimeException failure = ctx.bindForRelease();
        if (!stream.equals(MemorySegment.NULL)) {
            failure = chain(failure, AxclNative.error(Axcl.axclrtDestroyStream(stream), "axclrtDestroyStream", this));
            stream = MemorySegment.NULL;
        }
        if (!io.equals(MemorySegment.NULL)) {
            failure = chain(failure, AxclNative.error(Axcl.axclrtEngineDestroyIO(io), "axclrtEngineDestroyIO", this));
            io = MemorySegment.NULL;
        }
        failure = free(ownDevIn, hostIn, failure);
        failure = free(ownDevOut, hostOut, failure);
        java.util.Arrays.fill(boundIn, null);
        java.util.Arrays.fill(boundOut, null);
        if (failure != null) {
            throw failure;
        }
    }

    private @Nullable RuntimeException free(MemorySegment[] dev, MemorySegment[] host, @Nullable RuntimeException failure) {
        for (int i = 0; i < dev.length; i++) {
            if (dev[i] != null) {
                failure = chain(failure, AxclNative.error(Axcl.axclrtFree(dev[i]), "axclrtFree", this));
            }
            if (host[i] != null) {
                // address() works after the arena closed; the segment itself no longer does
                failure = chain(failure, AxclNative.error(Axcl.axclrtFreeHost(MemorySegment.ofAddress(host[i].address())),
                        "axclrtFreeHost", this));
            }
        }
        return failure;
    }

    @Override
    public String toString() {
        return "AxBinding[" + modelName + " context " + contextId + " group " + groupIndex + "]";
    }

    /** The JFR event type, looked up once: {@code isEnabled()} is a field read. */
    private static final class EventHolder {
        static final EventType TYPE = EventType.getEventType(EngineCallEvent.class);
    }
}
