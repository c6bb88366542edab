package org.npu4j.rknn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.rknn.ffi.Rknn;
import org.npu4j.rknn.ffi.rknn_input_output_num;
import org.npu4j.rknn.ffi.rknn_sdk_version;
import org.npu4j.rknn.ffi.rknn_tensor_attr;

/**
 * A loaded {@code .rknn} model: its first context ({@code rknn_init}), the contexts duplicated from it
 * for other threads ({@code rknn_dup_context}: they share the weights), and what the runtime reports
 * of its tensors.
 *
 * <h2>Threads</h2>
 * An RKNN context must not be used by two threads at once (the runtime locks up:
 * rknn-toolkit2 #533, #531). {@link #context()} gives each calling thread its own context: the
 * first thread gets the one {@code rknn_init} made, every other thread a duplicate made on its first
 * call. The model's methods are thread-safe.
 *
 * <h2>Tensor attributes</h2>
 * {@link #inputs()}/{@link #outputs()} are the normal attributes ({@code RKNN_QUERY_INPUT_ATTR} /
 * {@code OUTPUT_ATTR}: image inputs NHWC, outputs NCHW with the model's type and quantisation);
 * {@link #nativeInputs()}/{@link #nativeOutputs()} the native ones ({@code NATIVE_*}: inputs with the
 * row stride the NPU reads, 4-d outputs NC1HWC2 with C2 in {@code dims[4]});
 * {@link #nativeNhwcOutputs()} the native NHWC outputs.
 *
 * <h2>Lifetime</h2>
 * {@link #close()} closes every context (each waits for a run in progress, then {@code rknn_destroy}).
 * Using the model or one of its contexts afterwards throws {@link IllegalStateException}. Idempotent.
 */
public final class RknnModel implements AutoCloseable {
    /**
     * How to initialise a model.
     *
     * @param flags    {@code RKNN_FLAG_*} bits for {@code rknn_init} (e.g. {@code 0x8} collects per-layer
     *                 performance for {@link RknnContext#perfDetail()}); 0 for the defaults
     * @param coreMask the cores of the first context ({@code rknn_set_core_mask}); {@code null} leaves
     *                 the runtime's choice ({@link CoreMask#AUTO}) and needs no core-mask function
     */
    public record Options(int flags, @Nullable CoreMask coreMask) {
        /** {@code RKNN_FLAG_COLLECT_PERF_MASK}. */
        public static final int COLLECT_PERF = 0x8;

        /** No flags, the runtime's core choice. */
        public static Options defaults() {
            return new Options(0, null);
        }

        /** These options with {@code rknn_init} flags. */
        public Options withFlags(int newFlags) {
            return new Options(newFlags, coreMask);
        }

        /** These options with a core mask for the first context. */
        public Options withCoreMask(@Nullable CoreMask mask) {
            return new Options(flags, mask);
        }
    }

    private final RknnRuntime runtime;
    private final String name;
    private final LatencyRecorder latency;
    private final RknnContext primary;
    private final List<RknnContext> contexts = Collections.synchronizedList(new ArrayList<>());
    private final Map<Thread, RknnContext> byThread = new ConcurrentHashMap<>();
    private final List<TensorAttr> inputs;
    private final List<TensorAttr> outputs;
    private final List<TensorAttr> nativeInputs;
    private final List<TensorAttr> nativeOutputs;
    private final List<TensorAttr> nativeNhwcOutputs;
    private final SdkVersion sdkVersion;
    private final int flags;
    private volatile boolean closed;
    private @Nullable Thread primaryOwner;

    RknnModel(RknnRuntime runtime, String name, @Nullable Path path, byte @Nullable [] bytes, Options options) {
        this.runtime = runtime;
        this.name = name;
        this.latency = new LatencyRecorder("rknn:" + name);
        this.flags = options.flags();
        long ctx;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment model;
            int size;
            if (path != null) {
                model = a.allocateFrom(path.toAbsolutePath().toString());
                size = 0;
            } else {
                model = a.allocate(bytes.length);
                MemorySegment.copy(bytes, 0, model, ValueLayout.JAVA_BYTE, 0, bytes.length);
                size = bytes.length;
            }
            RknnNative.check(Rknn.rknn_init(out, model, size, options.flags(), MemorySegment.NULL), "rknn_init",
                    path != null ? path.toAbsolutePath() : name + " (" + size + " bytes in memory)");
            ctx = out.get(ValueLayout.JAVA_LONG, 0);
        }
        RknnContext first = null;
        try {
            first = new RknnContext(this, ctx);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment io = a.allocate(rknn_input_output_num.layout());
                RknnNative.check(Rknn.rknn_query(ctx, Rknn.RKNN_QUERY_IN_OUT_NUM(), io, (int) io.byteSize()),
                        "rknn_query", "RKNN_QUERY_IN_OUT_NUM of " + name);
                int nIn = rknn_input_output_num.n_input(io);
                int nOut = rknn_input_output_num.n_output(io);
                inputs = attrs(a, ctx, Rknn.RKNN_QUERY_INPUT_ATTR(), nIn, "RKNN_QUERY_INPUT_ATTR");
                outputs = attrs(a, ctx, Rknn.RKNN_QUERY_OUTPUT_ATTR(), nOut, "RKNN_QUERY_OUTPUT_ATTR");
                nativeInputs = attrs(a, ctx, Rknn.RKNN_QUERY_NATIVE_INPUT_ATTR(), nIn, "RKNN_QUERY_NATIVE_INPUT_ATTR");
                nativeOutputs = attrs(a, ctx, Rknn.RKNN_QUERY_NATIVE_OUTPUT_ATTR(), nOut,
                        "RKNN_QUERY_NATIVE_OUTPUT_ATTR");
                nativeNhwcOutputs = attrs(a, ctx, Rknn.RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR(), nOut,
                        "RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR");
                MemorySegment v = a.allocate(rknn_sdk_version.layout());
                RknnNative.check(Rknn.rknn_query(ctx, Rknn.RKNN_QUERY_SDK_VERSION(), v, (int) v.byteSize()),
                        "rknn_query", "RKNN_QUERY_SDK_VERSION");
                sdkVersion = new SdkVersion(rknn_sdk_version.api_version(v).getString(0),
                        rknn_sdk_version.drv_version(v).getString(0));
            }
            if (options.coreMask() != null) {
                first.coreMask(options.coreMask());
            }
        } catch (RuntimeException e) {
            if (first != null) {
                first.close();
            } else {
                Rknn.rknn_destroy(ctx);
            }
            throw e;
        }
        primary = first;
        contexts.add(first);
    }

    private List<TensorAttr> attrs(Arena a, long ctx, int cmd, int n, String what) {
        List<TensorAttr> list = new ArrayList<>(n);
        MemorySegment attr = a.allocate(rknn_tensor_attr.layout());
        for (int i = 0; i < n; i++) {
            attr.fill((byte) 0);
            rknn_tensor_attr.index(attr, i);
            RknnNative.check(Rknn.rknn_query(ctx, cmd, attr, (int) attr.byteSize()), "rknn_query",
                    what + " index " + i + " of " + name);
            list.add(TensorAttr.read(attr));
        }
        return List.copyOf(list);
    }

    /** The runtime the model was loaded with. */
    public RknnRuntime runtime() {
        return runtime;
    }

    /** The model's name (its file name, or the name given with the bytes). */
    public String name() {
        return name;
    }

    /** Normal input attributes, in index order. */
    public List<TensorAttr> inputs() {
        return inputs;
    }

    /** Normal output attributes, in index order. */
    public List<TensorAttr> outputs() {
        return outputs;
    }

    /** Native input attributes (with the row stride the NPU reads). */
    public List<TensorAttr> nativeInputs() {
        return nativeInputs;
    }

    /** Native output attributes (NC1HWC2 for 4-d outputs). */
    public List<TensorAttr> nativeOutputs() {
        return nativeOutputs;
    }

    /** Native NHWC output attributes. */
    public List<TensorAttr> nativeNhwcOutputs() {
        return nativeNhwcOutputs;
    }

    /** The output called {@code name}. @throws IllegalArgumentException if there is none */
    public TensorAttr output(String tensorName) {
        for (TensorAttr t : outputs) {
            if (t.name().equals(tensorName)) {
                return t;
            }
        }
        throw new IllegalArgumentException(name + " has no output '" + tensorName + "'; it has "
                + outputs.stream().map(TensorAttr::name).toList());
    }

    /** Runtime and driver versions ({@code RKNN_QUERY_SDK_VERSION}, queried at load). */
    public SdkVersion sdkVersion() {
        return sdkVersion;
    }

    /**
     * Latency of this model's calls, every context together, in nanoseconds:
     * {@link org.npu4j.metrics.Stage#INPUT_SET}, {@link org.npu4j.metrics.Stage#EXECUTE},
     * {@link org.npu4j.metrics.Stage#OUTPUT_GET}.
     */
    public LatencyRecorder latency() {
        return latency;
    }

    /**
     * The calling thread's context: the first thread to ask gets the context {@code rknn_init} made,
     * each other thread a duplicate ({@code rknn_dup_context}) made on its first call and kept until
     * the model closes.
     *
     * @throws IllegalStateException if the model is closed
     * @throws RknnException         if the runtime cannot duplicate the context
     */
    public RknnContext context() {
        ensureOpen();
        Thread me = Thread.currentThread();
        RknnContext c = byThread.get(me);
        if (c != null) {
            return c;
        }
        synchronized (this) {
            ensureOpen();
            if (primaryOwner == null) {
                primaryOwner = me;
                byThread.put(me, primary);
                return primary;
            }
        }
        c = newContext();
        byThread.put(me, c);
        return c;
    }

    /**
     * A new context sharing this model's weights ({@code rknn_dup_context}), for a thread of the
     * caller's choosing; closed with the model (or earlier by its own {@link RknnContext#close()}).
     */
    public RknnContext newContext() {
        ensureOpen();
        long id;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment in = a.allocateFrom(ValueLayout.JAVA_LONG, primary.id());
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
            RknnNative.check(Rknn.rknn_dup_context(in, out), "rknn_dup_context", name);
            id = out.get(ValueLayout.JAVA_LONG, 0);
        }
        RknnContext c = new RknnContext(this, id);
        synchronized (this) {
            if (closed) {
                c.close();
                throw new IllegalStateException("model " + name + " is closed");
            }
            contexts.add(c);
        }
        return c;
    }

    /** Every context still open, the first one first. */
    public List<RknnContext> contexts() {
        synchronized (contexts) {
            return List.copyOf(contexts);
        }
    }

    void forget(RknnContext c) {
        contexts.remove(c);
        byThread.values().remove(c);
    }

    int flags() {
        return flags;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("RKNN model " + name + " is closed");
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes the duplicated contexts (newest first), then the first one. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        List<RknnContext> all = contexts();
        RuntimeException failure = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        byThread.clear();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "RknnModel[" + name + ", " + inputs.size() + " inputs, " + outputs.size() + " outputs]";
    }
}
