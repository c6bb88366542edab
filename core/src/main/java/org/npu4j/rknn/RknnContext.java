package org.npu4j.rknn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import jdk.jfr.EventType;
import org.jspecify.annotations.Nullable;
import org.npu4j.metrics.RknnRunEvent;
import org.npu4j.metrics.Stage;
import org.npu4j.rknn.ffi.Rknn;
import org.npu4j.rknn.ffi.rknn_input;
import org.npu4j.rknn.ffi.rknn_output;
import org.npu4j.rknn.ffi.rknn_perf_detail;
import org.npu4j.rknn.ffi.rknn_perf_run;

/**
 * One RKNN context ({@code rknn_context}, a 64-bit handle): the unit that runs a model, one call at a
 * time. Get the calling thread's context from {@link RknnModel#context()}.
 *
 * <p>Two ways to run:
 * <ul>
 *   <li>{@link #run(Map)}: inputs by name as arrays, outputs back as {@code float[]} (the runtime
 *       converts both ways: {@code rknn_inputs_set}, {@code rknn_run}, {@code rknn_outputs_get} with
 *       {@code want_float}, {@code rknn_outputs_release}). Allocates per call.</li>
 *   <li>{@link #bind()}: zero-copy memory bound once ({@code rknn_create_mem}, {@code rknn_set_io_mem});
 *       then {@link RknnBinding#run()} is one {@code rknn_run} and allocates nothing.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * A context runs one call at a time and must not be shared by threads (the runtime locks up, see
 * {@link RknnModel}): a call while another thread's call runs on it throws
 * {@link IllegalStateException} rather than entering the runtime.
 *
 * <h2>Lifetime</h2>
 * {@link #close()} refuses new calls, waits for the call in progress (a run pending in another thread
 * completes normally), closes the bindings, then {@code rknn_destroy}. Idempotent.
 */
public final class RknnContext implements AutoCloseable {
    private final RknnModel model;
    private final long id;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<RknnBinding> bindings = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile int coreMask;

    RknnContext(RknnModel model, long id) {
        this.model = model;
        this.id = id;
    }

    /** The model this context runs. */
    public RknnModel model() {
        return model;
    }

    /** The runtime's handle of this context. */
    public long id() {
        return id;
    }

    /** The core mask last set ({@link CoreMask#value()}), 0 (AUTO) by default. */
    public int coreMaskValue() {
        return coreMask;
    }

    /**
     * Sets the NPU cores this context runs on ({@code rknn_set_core_mask}).
     *
     * @throws UnsupportedOperationException if the library has no {@code rknn_set_core_mask}
     * @throws RknnException                 if the SoC has no such cores (e.g. {@link CoreMask#CORE_2} on RK3576)
     */
    public void coreMask(CoreMask mask) {
        Objects.requireNonNull(mask, "mask");
        RknnNative.require("rknn_set_core_mask", "Choosing NPU cores");
        enter();
        try {
            RknnNative.check(Rknn.rknn_set_core_mask(id, mask.value()), "rknn_set_core_mask", mask + " on " + model.name());
            coreMask = mask.value();
        } finally {
            exit();
        }
    }

    /**
     * Sets how many cores a batched model splits its batch over ({@code rknn_set_batch_core_num}).
     *
     * @throws UnsupportedOperationException if the library has no {@code rknn_set_batch_core_num}
     * @throws RknnException                 if {@code cores} exceeds the SoC's cores
     */
    public void batchCoreNum(int cores) {
        RknnNative.require("rknn_set_batch_core_num", "Splitting a batch over cores");
        enter();
        try {
            RknnNative.check(Rknn.rknn_set_batch_core_num(id, cores), "rknn_set_batch_core_num", cores + " cores");
        } finally {
            exit();
        }
    }

    /**
     * Runs the model once on the given inputs and returns every output as floats.
     *
     * @param inputs every input by name: {@code byte[]} or {@link MemorySegment} of UINT8 elements, or
     *               {@code float[]} (FLOAT32), in the layout of {@link RknnModel#inputs()} (NHWC for
     *               images), exactly {@link TensorAttr#elements()} elements
     * @return the outputs by name, in index order, dequantized ({@code want_float}), in the layout of
     *         {@link RknnModel#outputs()} (NCHW for 4-d tensors); fresh arrays
     * @throws IllegalArgumentException if an input is missing, unknown, of an unsupported type or size
     *                                  (checked before any native call)
     * @throws RknnException            if the runtime fails
     * @throws IllegalStateException    if the context is closed or running on another thread
     */
    public Map<String, float[]> run(Map<String, ?> inputs) {
        Objects.requireNonNull(inputs, "inputs");
        List<TensorAttr> ins = model.inputs();
        List<TensorAttr> outs = model.outputs();
        for (String k : inputs.keySet()) {
            if (ins.stream().noneMatch(t -> t.name().equals(k))) {
                throw new IllegalArgumentException(model.name() + " has no input '" + k + "'; it has "
                        + ins.stream().map(TensorAttr::name).toList());
            }
        }
        enter();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment arr = a.allocate(rknn_input.layout(), ins.size());
            for (int i = 0; i < ins.size(); i++) {
                TensorAttr t = ins.get(i);
                Object v = inputs.get(t.name());
                MemorySegment in = arr.asSlice(i * rknn_input.sizeof(), rknn_input.sizeof());
                rknn_input.index(in, i);
                rknn_input.fmt(in, t.format().value());
                switch (v) {
                    case byte[] b -> {
                        checkSize(t, b.length, 1, "UINT8");
                        rknn_input.buf(in, a.allocateFrom(ValueLayout.JAVA_BYTE, b));
                        rknn_input.size(in, b.length);
                        rknn_input.type(in, TensorType.UINT8.value());
                    }
                    case MemorySegment s -> {
                        checkSize(t, s.byteSize(), 1, "UINT8");
                        MemorySegment copy = a.allocate(s.byteSize());
                        copy.copyFrom(s);
                        rknn_input.buf(in, copy);
                        rknn_input.size(in, (int) s.byteSize());
                        rknn_input.type(in, TensorType.UINT8.value());
                    }
                    case float[] f -> {
                        checkSize(t, f.length, 1, "FLOAT32");
                        rknn_input.buf(in, a.allocateFrom(ValueLayout.JAVA_FLOAT, f));
                        rknn_input.size(in, 4 * f.length);
                        rknn_input.type(in, TensorType.FLOAT32.value());
                    }
                    case null -> throw new IllegalArgumentException(model.name() + ": missing input '" + t.name()
                            + "' (" + t + ")");
                    default -> throw new IllegalArgumentException("input '" + t.name() + "': unsupported type "
                            + v.getClass().getName() + " (byte[], MemorySegment or float[])");
                }
            }
            MemorySegment outArr = a.allocate(rknn_output.layout(), outs.size());
            for (int i = 0; i < outs.size(); i++) {
                MemorySegment o = outArr.asSlice(i * rknn_output.sizeof(), rknn_output.sizeof());
                rknn_output.index(o, i);
                rknn_output.want_float(o, (byte) 1);
            }
            RknnRunEvent event = EventHolder.TYPE.isEnabled() ? new RknnRunEvent() : null;
            if (event != null) {
                event.begin();
            }
            long t0 = System.nanoTime();
            RknnNative.check(Rknn.rknn_inputs_set(id, ins.size(), arr), "rknn_inputs_set", model.name());
            long t1 = System.nanoTime();
            RknnNative.check(Rknn.rknn_run(id, MemorySegment.NULL), "rknn_run", model.name());
            long t2 = System.nanoTime();
            RknnNative.check(Rknn.rknn_outputs_get(id, outs.size(), outArr, MemorySegment.NULL), "rknn_outputs_get",
                    model.name());
            Map<String, float[]> result = new LinkedHashMap<>();
            try {
                for (int i = 0; i < outs.size(); i++) {
                    MemorySegment o = outArr.asSlice(i * rknn_output.sizeof(), rknn_output.sizeof());
                    int bytes = rknn_output.size(o);
                    float[] f = rknn_output.buf(o).reinterpret(bytes).toArray(ValueLayout.JAVA_FLOAT);
                    result.put(outs.get(i).name(), f);
                }
            } finally {
                RknnNative.check(Rknn.rknn_outputs_release(id, outs.size(), outArr), "rknn_outputs_release",
                        model.name());
            }
            long t3 = System.nanoTime();
            model.latency().record(Stage.INPUT_SET, t1 - t0);
            model.latency().record(Stage.EXECUTE, t2 - t1);
            model.latency().record(Stage.OUTPUT_GET, t3 - t2);
            if (event != null) {
                commit(event, false, t1 - t0, t2 - t1, t3 - t2);
            }
            return result;
        } finally {
            exit();
        }
    }

    private void checkSize(TensorAttr t, long given, int unit, String type) {
        if (given != (long) t.elements() * unit) {
            throw new IllegalArgumentException("input '" + t.name() + "' of " + model.name() + ": got " + given + " "
                    + type + " elements, expected " + t.elements() + " (" + t + ")");
        }
    }

    void commit(RknnRunEvent event, boolean zeroCopy, long inputSet, long run, long outputGet) {
        event.end();
        if (event.shouldCommit()) {
            event.model = model.name();
            event.zeroCopy = zeroCopy;
            event.coreMask = coreMask;
            event.inputSet = inputSet;
            event.run = run;
            event.outputGet = outputGet;
            event.commit();
        }
    }

    /**
     * Zero-copy IO with the outputs in the normal layout and type ({@link RknnBinding.OutputLayout#NORMAL}:
     * INT8 NCHW with zero point and scale for quantised detectors, converted by the runtime from the
     * native layout after each run; {@link #bind(RknnBinding.OutputLayout)} with
     * {@link RknnBinding.OutputLayout#NATIVE_NHWC} reads what the NPU writes, as the YOLO sample does).
     */
    public RknnBinding bind() {
        return bind(RknnBinding.OutputLayout.NORMAL);
    }

    /**
     * Zero-copy IO: one runtime memory per tensor, bound to this context once.
     *
     * @throws RknnException if the runtime refuses a memory or binding (nothing stays allocated then)
     */
    public RknnBinding bind(RknnBinding.OutputLayout layout) {
        Objects.requireNonNull(layout, "layout");
        enter();
        try {
            RknnBinding b = new RknnBinding(this, layout);
            bindings.add(b);
            return b;
        } finally {
            exit();
        }
    }

    void forget(RknnBinding b) {
        bindings.remove(b);
    }

    /** Duration of the last run as the runtime measured it ({@code RKNN_QUERY_PERF_RUN}), microseconds. */
    public long lastRunMicros() {
        enter();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(rknn_perf_run.layout());
            RknnNative.check(Rknn.rknn_query(id, Rknn.RKNN_QUERY_PERF_RUN(), p, (int) p.byteSize()), "rknn_query",
                    "RKNN_QUERY_PERF_RUN");
            return rknn_perf_run.run_duration(p);
        } finally {
            exit();
        }
    }

    /**
     * The runtime's per-layer report of the last run ({@code RKNN_QUERY_PERF_DETAIL}).
     *
     * @throws RknnException if the model was not opened with {@link RknnModel.Options#COLLECT_PERF}
     */
    public String perfDetail() {
        enter();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(rknn_perf_detail.layout());
            RknnNative.check(Rknn.rknn_query(id, Rknn.RKNN_QUERY_PERF_DETAIL(), p, (int) p.byteSize()), "rknn_query",
                    "RKNN_QUERY_PERF_DETAIL");
            long len = rknn_perf_detail.data_len(p);
            MemorySegment data = rknn_perf_detail.perf_data(p);
            return data.address() == 0 ? "" : new String(data.reinterpret(len).toArray(ValueLayout.JAVA_BYTE),
                    java.nio.charset.StandardCharsets.UTF_8);
        } finally {
            exit();
        }
    }

    /** Claims the context for one call. @throws IllegalStateException if closed or busy on another thread */
    void enter() {
        if (closed || model.isClosed()) {
            throw new IllegalStateException("RKNN context of " + model.name() + " is closed");
        }
        if (!lock.tryLock()) {
            throw new IllegalStateException("RKNN context of " + model.name() + " is running a call on another thread:"
                    + " a context serves one thread at a time (use RknnModel.context() in each thread)");
        }
        if (closed) {
            lock.unlock();
            throw new IllegalStateException("RKNN context of " + model.name() + " is closed");
        }
    }

    /** As {@link #enter()}, but waits for a call of another thread to end (for closing). */
    void enterWaiting() {
        if (closed || model.isClosed()) {
            throw new IllegalStateException("RKNN context of " + model.name() + " is closed");
        }
        lock.lock();
    }

    void exit() {
        lock.unlock();
    }

    boolean isClosed() {
        return closed;
    }

    /** Refuses new calls, waits for the call in progress, closes the bindings, {@code rknn_destroy}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        lock.lock();
        @Nullable RuntimeException failure = null;
        try {
            List<RknnBinding> open = new ArrayList<>(bindings);
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).release();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            bindings.clear();
            int rc = Rknn.rknn_destroy(id);
            if (rc != 0 && failure == null) {
                failure = new RknnException("rknn_destroy", rc, model.name());
            }
        } finally {
            lock.unlock();
            model.forget(this);
        }
        if (failure != null) {
            throw failure;
        }
    }

    static boolean eventsEnabled() {
        return EventHolder.TYPE.isEnabled();
    }

    private static final class EventHolder {
        static final EventType TYPE = EventType.getEventType(RknnRunEvent.class);
    }
}
