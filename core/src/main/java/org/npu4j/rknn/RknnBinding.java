package org.npu4j.rknn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import org.npu4j.NpuException;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.RknnRunEvent;
import org.npu4j.metrics.Stage;
import org.npu4j.rknn.ffi.Rknn;
import org.npu4j.rknn.ffi.rknn_tensor_attr;
import org.npu4j.rknn.ffi.rknn_tensor_mem;

/**
 * Zero-copy inputs and outputs of one {@link RknnContext}, bound once and reused call after call
 * (API reference §4.3, the model zoo's {@code yolov8_zero_copy.cc}): per tensor one runtime memory
 * ({@code rknn_create_mem} of the attribute's {@code size_with_stride}) set on the context with
 * {@code rknn_set_io_mem}.
 *
 * <h2>Layouts</h2>
 * Inputs are UINT8 NHWC with the native row stride: row {@code y} of input {@code i} starts at byte
 * {@code y · inputAttr(i).widthStride() · C} of {@link #input(int)} (copy row by row when the stride
 * is not the width). Outputs are as {@link OutputLayout} says; {@link #outputAttr(int)} gives their
 * shape, zero point and scale, so quantised outputs are read in place, without copies
 * ({@code real = (q − zeroPoint) · scale}, {@link TensorAttr#dequantize(int)}).
 *
 * <h2>The hot path</h2>
 * {@link #run()}: one {@code rknn_run}, its latency recorded as {@link Stage#EXECUTE} into the model's
 * {@link RknnModel#latency()} through a single-writer recorder: no Java allocation (unless a JFR
 * recording enables {@code org.npu4j.RknnRun}: one event per call). There is no input set nor output
 * get in zero-copy IO; only when the model was opened with the runtime's cache flushing turned off
 * ({@code RKNN_FLAG_DISABLE_FLUSH_INPUT_MEM_CACHE} / {@code _OUTPUT_}) does a run also call
 * {@code rknn_mem_sync} per tensor, recorded as {@link Stage#INPUT_SET} and {@link Stage#OUTPUT_GET}.
 *
 * <h2>Threads and lifetime</h2>
 * As its context: one call at a time, from one thread. {@link #close()} waits for a run in progress,
 * destroys the memories; the segments are inaccessible afterwards. Closing the context or the model
 * closes the binding.
 */
public final class RknnBinding implements AutoCloseable {
    /** How the outputs of a binding are laid out. */
    public enum OutputLayout {
        /**
         * As {@link RknnModel#outputs()}: NCHW for 4-d tensors, the model's type (INT8 for quantised heads).
         * Not a layout the NPU writes: the runtime converts from the native one after each run. Code that
         * reads outputs in place on a board binds {@link #NATIVE_NHWC} or {@link #NATIVE}, the zero-copy
         * recipe of the API reference ({@code shared/facts/rknn.md} "Zero-copy").
         */
        NORMAL,
        /** As {@link RknnModel#nativeOutputs()}: NC1HWC2 for 4-d tensors, no conversion by the runtime. */
        NATIVE,
        /** As {@link RknnModel#nativeNhwcOutputs()}: NHWC, the model's type. */
        NATIVE_NHWC,
        /** The normal layout dequantized by the runtime to FLOAT32. */
        FLOAT
    }

    /** {@code RKNN_FLAG_DISABLE_FLUSH_INPUT_MEM_CACHE} / {@code _OUTPUT_}: the caller syncs (2.0.0-beta0+). */
    private static final int DISABLE_FLUSH_INPUT = 0x4000;
    private static final int DISABLE_FLUSH_OUTPUT = 0x8000;
    private static final int SYNC_TO_DEVICE = 1;
    private static final int SYNC_FROM_DEVICE = 2;

    private final RknnContext context;
    private final long ctx;
    private final String modelName;
    private final Arena arena = Arena.ofShared();
    private final List<TensorAttr> inAttrs;
    private final List<TensorAttr> outAttrs;
    private final MemorySegment[] inMem;
    private final MemorySegment[] outMem;
    private final MemorySegment[] inData;
    private final MemorySegment[] outData;
    private final boolean syncInputs;
    private final boolean syncOutputs;
    private final LatencyRecorder.Writer writer;
    private boolean released;

    RknnBinding(RknnContext context, OutputLayout layout) {
        this.context = context;
        this.ctx = context.id();
        RknnModel model = context.model();
        this.modelName = model.name();
        this.syncInputs = (model.flags() & DISABLE_FLUSH_INPUT) != 0;
        this.syncOutputs = (model.flags() & DISABLE_FLUSH_OUTPUT) != 0;
        List<TensorAttr> ni = model.nativeInputs();
        inAttrs = ni.stream().map(RknnBinding::zeroCopyInput).toList();
        outAttrs = switch (layout) {
            case NORMAL -> model.outputs();
            case NATIVE -> model.nativeOutputs();
            case NATIVE_NHWC -> model.nativeNhwcOutputs();
            case FLOAT -> model.outputs().stream()
                    .map(t -> t.with(t.format(), TensorType.FLOAT32, t.dims(), t.elements() * 4)).toList();
        };
        inMem = new MemorySegment[inAttrs.size()];
        outMem = new MemorySegment[outAttrs.size()];
        inData = new MemorySegment[inAttrs.size()];
        outData = new MemorySegment[outAttrs.size()];
        writer = model.latency().newWriter(Stage.INPUT_SET, Stage.EXECUTE, Stage.OUTPUT_GET);
        try {
            for (int i = 0; i < inAttrs.size(); i++) {
                inMem[i] = create(inAttrs.get(i));
                inData[i] = data(inMem[i]);
                bindMem(inMem[i], inAttrs.get(i));
            }
            for (int i = 0; i < outAttrs.size(); i++) {
                outMem[i] = create(outAttrs.get(i));
                outData[i] = data(outMem[i]);
                bindMem(outMem[i], outAttrs.get(i));
            }
        } catch (RuntimeException e) {
            try {
                release();
            } catch (RuntimeException s) {
                e.addSuppressed(s);
            }
            throw e;
        }
    }

    /** The zero-copy form of a native input: UINT8 NHWC (the NPU normalises and quantises). */
    private static TensorAttr zeroCopyInput(TensorAttr n) {
        if (n.type() == TensorType.UINT8 && n.format() == TensorFormat.NHWC) {
            return n;
        }
        if (n.rank() != 4 || n.format() != TensorFormat.NHWC) {
            return n;
        }
        int h = n.dim(1);
        int w = n.widthStride() == 0 ? n.dim(2) : n.widthStride();
        int c = n.dim(3);
        return n.with(TensorFormat.NHWC, TensorType.UINT8, n.dims(), h * w * c);
    }

    private MemorySegment create(TensorAttr t) {
        MemorySegment m = Rknn.rknn_create_mem(ctx, t.sizeWithStride());
        if (m.address() == 0) {
            throw new NpuException("rknn_create_mem returned NULL for " + t.sizeWithStride() + " bytes (" + t + " of "
                    + modelName + "): out of NPU memory?");
        }
        return MemorySegment.ofAddress(m.address());
    }

    private MemorySegment data(MemorySegment mem) {
        MemorySegment s = mem.reinterpret(rknn_tensor_mem.sizeof());
        long addr = rknn_tensor_mem.virt_addr(s).address() + rknn_tensor_mem.offset(s);
        long size = Integer.toUnsignedLong(rknn_tensor_mem.size(s));
        return MemorySegment.ofAddress(addr).reinterpret(size, arena, null);
    }

    private void bindMem(MemorySegment mem, TensorAttr t) {
        MemorySegment attr = arena.allocate(rknn_tensor_attr.layout());
        t.write(attr);
        RknnNative.check(Rknn.rknn_set_io_mem(ctx, mem, attr), "rknn_set_io_mem", t + " of " + modelName);
    }

    /** The context this binding runs on. */
    public RknnContext context() {
        return context;
    }

    /** Number of inputs. */
    public int inputCount() {
        return inData.length;
    }

    /** Number of outputs. */
    public int outputCount() {
        return outData.length;
    }

    /**
     * The memory of input {@code index}: {@link TensorAttr#sizeWithStride()} bytes of
     * {@link #inputAttr(int)}, readable and writable, valid until the binding closes.
     *
     * @throws IllegalStateException if the binding is closed
     */
    public MemorySegment input(int index) {
        ensureOpen();
        return inData[index];
    }

    /** The attribute input {@code index} is bound with (UINT8 NHWC, with the row stride). */
    public TensorAttr inputAttr(int index) {
        return inAttrs.get(index);
    }

    /**
     * The memory of output {@code index}, each run overwrites it; layout, type, zero point and scale in
     * {@link #outputAttr(int)}. Valid until the binding closes.
     */
    public MemorySegment output(int index) {
        ensureOpen();
        return outData[index];
    }

    /** The memory of the output called {@code name}. @throws IllegalArgumentException if none */
    public MemorySegment output(String name) {
        Objects.requireNonNull(name, "name");
        for (int i = 0; i < outAttrs.size(); i++) {
            if (outAttrs.get(i).name().equals(name)) {
                return output(i);
            }
        }
        throw new IllegalArgumentException(modelName + " has no output '" + name + "'; it has "
                + outAttrs.stream().map(TensorAttr::name).toList());
    }

    /** The attribute output {@code index} is bound with. */
    public TensorAttr outputAttr(int index) {
        return outAttrs.get(index);
    }

    /** Every output attribute, in index order. */
    public List<TensorAttr> outputAttrs() {
        return outAttrs;
    }

    /**
     * Runs the model once on the bound memories. Allocation-free; see the class description.
     *
     * @throws RknnException         if {@code rknn_run} fails
     * @throws IllegalStateException if the binding or its context is closed, or its context runs a call
     *                               on another thread
     */
    public void run() {
        context.enter();
        try {
            ensureOpen();
            RknnRunEvent event = null;
            if (RknnContext.eventsEnabled()) {
                event = new RknnRunEvent();
                event.begin();
            }
            if (!syncInputs && !syncOutputs) { // the common case: one call, one clock pair
                long t1 = System.nanoTime();
                RknnNative.check(Rknn.rknn_run(ctx, MemorySegment.NULL), "rknn_run", modelName);
                long t2 = System.nanoTime();
                writer.record(Stage.EXECUTE, t2 - t1);
                if (event != null) {
                    context.commit(event, true, 0, t2 - t1, 0);
                }
                return;
            }
            long t0 = System.nanoTime();
            if (syncInputs) {
                for (MemorySegment m : inMem) {
                    RknnNative.check(Rknn.rknn_mem_sync(ctx, m, SYNC_TO_DEVICE), "rknn_mem_sync", modelName);
                }
            }
            long t1 = System.nanoTime();
            RknnNative.check(Rknn.rknn_run(ctx, MemorySegment.NULL), "rknn_run", modelName);
            long t2 = System.nanoTime();
            if (syncOutputs) {
                for (MemorySegment m : outMem) {
                    RknnNative.check(Rknn.rknn_mem_sync(ctx, m, SYNC_FROM_DEVICE), "rknn_mem_sync", modelName);
                }
            }
            long t3 = System.nanoTime();
            writer.record(Stage.INPUT_SET, t1 - t0);
            writer.record(Stage.EXECUTE, t2 - t1);
            writer.record(Stage.OUTPUT_GET, t3 - t2);
            if (event != null) {
                context.commit(event, true, t1 - t0, t2 - t1, t3 - t2);
            }
        } finally {
            context.exit();
        }
    }

    private void ensureOpen() {
        if (released) {
            throw new IllegalStateException("RKNN binding of " + modelName + " is closed");
        }
    }

    /** Waits for a run in progress, destroys the memories. Idempotent. */
    @Override
    public void close() {
        if (released || context.isClosed()) {
            return;
        }
        context.enterWaiting();
        try {
            release();
        } finally {
            context.exit();
        }
        context.forget(this);
    }

    /** Destroys the memories (the caller holds the context). */
    void release() {
        if (released) {
            return;
        }
        released = true;
        RuntimeException failure = null;
        for (MemorySegment[] mems : new MemorySegment[][] {inMem, outMem}) {
            for (MemorySegment m : mems) {
                if (m != null) {
                    int rc = Rknn.rknn_destroy_mem(ctx, m);
                    if (rc != 0 && failure == null) {
                        failure = new RknnException("rknn_destroy_mem", rc, modelName);
                    }
                }
            }
        }
        writer.close();
        arena.close();
        if (failure != null) {
            throw failure;
        }
    }
}
