package org.npu4j.axcl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.npu4j.NpuException;
import org.npu4j.axcl.ffi.Axcl;
import org.npu4j.axcl.ffi.axclrtEngineIODims;
import org.npu4j.metrics.LatencyRecorder;

/**
 * A compiled model loaded on a device ({@code axclrtEngineLoadFromFile} / {@code LoadFromMem}) with
 * its IO description, read once at load time ({@code axclrtEngineGetIOInfo} and the
 * {@code axclrtEngineGet*ByIndex} queries): tensor names, shapes, element types, layouts and byte
 * sizes per {@link ShapeGroup}.
 *
 * <p>A model runs through {@link AxSession}s ({@code axclrtEngineCreateContext}): several sessions
 * of one model may run at the same time, one per thread. Every call of every session records its
 * host→device, execute and device→host latencies in this model's {@link #latency()} recorder.
 *
 * <p>Thread-safe. Closing the model ({@code axclrtEngineDestroyIOInfo}, {@code axclrtEngineUnload})
 * closes its live sessions and their bindings first.
 */
public final class AxModel extends AxHandle {
    /**
     * Memory a model needs on the device, as {@code axclrtEngineGetUsageFromModelId} reports it.
     *
     * @param systemBytes working memory in the device's system memory, bytes
     * @param cmmBytes    CMM (contiguous memory the NPU uses), bytes
     */
    public record Usage(long systemBytes, long cmmBytes) {}

    private final AxDevice device;
    private final long modelId;
    private final String name;
    private final MemorySegment ioInfo;
    private final List<ShapeGroup> groups;
    private final String compilerVersion;
    private final int npuCores;
    private final Usage usage;
    private final LatencyRecorder latency;

    private AxModel(AxDevice device, long modelId, String name, MemorySegment ioInfo, List<ShapeGroup> groups,
            String compilerVersion, int npuCores, Usage usage) {
        super(device);
        this.device = device;
        this.modelId = modelId;
        this.name = name;
        this.ioInfo = ioInfo;
        this.groups = List.copyOf(groups);
        this.compilerVersion = compilerVersion;
        this.npuCores = npuCores;
        this.usage = usage;
        this.latency = new LatencyRecorder(name);
    }

    /** Reads the IO description of a just loaded model; unloads it if that fails. */
    static AxModel create(AxDevice device, long modelId, String name) {
        DeviceContext ctx = device.context();
        MemorySegment ioInfo = MemorySegment.NULL;
        try (Arena a = Arena.ofConfined()) {
            ctx.bind();
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            AxclNative.check(Axcl.axclrtEngineGetIOInfo(modelId, out), "axclrtEngineGetIOInfo", name);
            ioInfo = out.get(ValueLayout.ADDRESS, 0);

            MemorySegment count = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetShapeGroupsCount(ioInfo, count), "axclrtEngineGetShapeGroupsCount", name);
            int groupCount = count.get(ValueLayout.JAVA_INT, 0);
            int nIn = Axcl.axclrtEngineGetNumInputs(ioInfo);
            int nOut = Axcl.axclrtEngineGetNumOutputs(ioInfo);
            if (groupCount < 1 || nIn < 0 || nOut < 0) {
                throw new NpuException("The engine describes model " + name + " with " + groupCount + " shape groups, "
                        + Integer.toUnsignedString(nIn) + " inputs, " + Integer.toUnsignedString(nOut) + " outputs");
            }
            List<ShapeGroup> groups = new ArrayList<>(groupCount);
            for (int g = 0; g < groupCount; g++) {
                groups.add(new ShapeGroup(g, tensors(a, ioInfo, g, nIn, true, name), tensors(a, ioInfo, g, nOut, false, name)));
            }

            String compiler = AxclNative.string(Axcl.axclrtEngineGetModelCompilerVersion(modelId), "");
            MemorySegment kind = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetModelTypeFromModelId(modelId, kind), "axclrtEngineGetModelTypeFromModelId", name);
            MemorySegment sys = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment cmm = a.allocate(ValueLayout.JAVA_LONG);
            AxclNative.check(Axcl.axclrtEngineGetUsageFromModelId(modelId, sys, cmm), "axclrtEngineGetUsageFromModelId", name);
            AxModel m = new AxModel(device, modelId, name, ioInfo, groups, compiler,
                    kind.get(ValueLayout.JAVA_INT, 0) + 1,
                    new Usage(sys.get(ValueLayout.JAVA_LONG, 0), cmm.get(ValueLayout.JAVA_LONG, 0)));
            return m;
        } catch (RuntimeException e) {
            if (!ioInfo.equals(MemorySegment.NULL)) {
                Axcl.axclrtEngineDestroyIOInfo(ioInfo);
            }
            Axcl.axclrtEngineUnload(modelId);
            throw e;
        }
    }

    private static List<TensorInfo> tensors(Arena a, MemorySegment ioInfo, int group, int n, boolean input, String model) {
        List<TensorInfo> list = new ArrayList<>(n);
        MemorySegment dims = axclrtEngineIODims.allocate(a);
        MemorySegment type = a.allocate(ValueLayout.JAVA_INT);
        MemorySegment layout = a.allocate(ValueLayout.JAVA_INT);
        String kind = input ? "input" : "output";
        for (int i = 0; i < n; i++) {
            String where = model + " " + kind + " " + i + " of group " + group;
            String tensorName = AxclNative.string(input ? Axcl.axclrtEngineGetInputNameByIndex(ioInfo, i)
                    : Axcl.axclrtEngineGetOutputNameByIndex(ioInfo, i), kind + i);
            dims.fill((byte) 0);
            AxclNative.check(input ? Axcl.axclrtEngineGetInputDims(ioInfo, group, i, dims)
                    : Axcl.axclrtEngineGetOutputDims(ioInfo, group, i, dims),
                    input ? "axclrtEngineGetInputDims" : "axclrtEngineGetOutputDims", where);
            AxclNative.check(input ? Axcl.axclrtEngineGetInputDataType(ioInfo, i, type)
                    : Axcl.axclrtEngineGetOutputDataType(ioInfo, i, type),
                    input ? "axclrtEngineGetInputDataType" : "axclrtEngineGetOutputDataType", where);
            AxclNative.check(input ? Axcl.axclrtEngineGetInputDataLayout(ioInfo, i, layout)
                    : Axcl.axclrtEngineGetOutputDataLayout(ioInfo, i, layout),
                    input ? "axclrtEngineGetInputDataLayout" : "axclrtEngineGetOutputDataLayout", where);
            long size = input ? Axcl.axclrtEngineGetInputSizeByIndex(ioInfo, group, i)
                    : Axcl.axclrtEngineGetOutputSizeByIndex(ioInfo, group, i);
            int dimCount = Math.clamp(axclrtEngineIODims.dimCount(dims), 0, Axcl.AXCLRT_ENGINE_MAX_DIM_CNT());
            List<Integer> shape = new ArrayList<>(dimCount);
            for (int d = 0; d < dimCount; d++) {
                shape.add(axclrtEngineIODims.dims(dims, d));
            }
            list.add(new TensorInfo(i, tensorName, shape, DataType.of(type.get(ValueLayout.JAVA_INT, 0)),
                    Layout.of(layout.get(ValueLayout.JAVA_INT, 0)), size));
        }
        return list;
    }

    /** The device this model is loaded on. */
    public AxDevice device() {
        return device;
    }

    /** The engine's model id. */
    public long id() {
        return modelId;
    }

    /** The file name (or the name given to a load from memory). */
    public String name() {
        return name;
    }

    /** The Pulsar2 compiler version the model was built with ({@code axclrtEngineGetModelCompilerVersion}); may be empty. */
    public String compilerVersion() {
        return compilerVersion;
    }

    /** NPU cores the model was compiled for: 1, 2 or 3 ({@code axclrtEngineModelKind} + 1). */
    public int npuCores() {
        return npuCores;
    }

    /** Device memory the model needs ({@code axclrtEngineGetUsageFromModelId}), bytes. */
    public Usage usage() {
        return usage;
    }

    /** The shape groups, in engine order (at least one). */
    public List<ShapeGroup> shapeGroups() {
        return groups;
    }

    /**
     * One shape group.
     *
     * @throws IndexOutOfBoundsException if there is no such group
     */
    public ShapeGroup shapeGroup(int index) {
        return groups.get(index);
    }

    /** The inputs of shape group 0. */
    public List<TensorInfo> inputs() {
        return groups.getFirst().inputs();
    }

    /** The outputs of shape group 0. */
    public List<TensorInfo> outputs() {
        return groups.getFirst().outputs();
    }

    /**
     * The engine's index of the input called {@code name} ({@code axclrtEngineGetInputIndexByName}),
     * or -1 if there is none.
     *
     * @throws IllegalStateException if the model is closed
     */
    public int inputIndex(String name) {
        return indexByName(name, true);
    }

    /** As {@link #inputIndex(String)} for outputs ({@code axclrtEngineGetOutputIndexByName}). */
    public int outputIndex(String name) {
        return indexByName(name, false);
    }

    private int indexByName(String tensor, boolean input) {
        Objects.requireNonNull(tensor, "name");
        ensureOpen();
        device.context().bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocateFrom(tensor);
            return input ? Axcl.axclrtEngineGetInputIndexByName(ioInfo, s) : Axcl.axclrtEngineGetOutputIndexByName(ioInfo, s);
        }
    }

    /**
     * The NPU cores this model may run on ({@code axclrtEngineGetAffinity}; bit N = core N).
     *
     * @throws AxclException if the runtime reports an error
     */
    public int affinity() {
        ensureOpen();
        device.context().bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetAffinity(modelId, out), "axclrtEngineGetAffinity", name);
            return out.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /**
     * Restricts the model to some NPU cores ({@code axclrtEngineSetAffinity}; bit N = core N; 0 is not
     * allowed, nor bits beyond the cores the model may use).
     *
     * @throws AxclException if the runtime refuses the mask ({@code runtime/ENGINE/ILLEGAL_PARAM})
     */
    public void setAffinity(int mask) {
        ensureOpen();
        device.context().bind();
        AxclNative.check(Axcl.axclrtEngineSetAffinity(modelId, mask), "axclrtEngineSetAffinity",
                name + ", mask 0x" + Integer.toHexString(mask));
    }

    /**
     * A new execution context of this model ({@code axclrtEngineCreateContext}). One session runs one
     * call at a time; use one session per thread to run the model concurrently.
     *
     * @throws AxclException if the runtime cannot create one
     */
    public AxSession newSession() {
        ensureOpen();
        device.context().bind();
        long contextId;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
            AxclNative.check(Axcl.axclrtEngineCreateContext(modelId, out), "axclrtEngineCreateContext", name);
            contextId = out.get(ValueLayout.JAVA_LONG, 0);
        }
        return adopt(new AxSession(this, contextId));
    }

    /**
     * The latency histograms of this model's calls (all sessions): {@code HOST_TO_DEVICE},
     * {@code EXECUTE}, {@code DEVICE_TO_HOST}, nanoseconds. Recording is wait-free and allocation-free.
     */
    public LatencyRecorder latency() {
        return latency;
    }

    MemorySegment ioInfo() {
        return ioInfo;
    }

    @Override
    void release() {
        // Every step is tried (a lost card fails the bind, and still lets the host side go); the first
        // failure is thrown after.
        RuntimeException failure = device.context().bindForRelease();
        failure = chain(failure, AxclNative.error(Axcl.axclrtEngineDestroyIOInfo(ioInfo), "axclrtEngineDestroyIOInfo",
                name));
        failure = chain(failure, AxclNative.error(Axcl.axclrtEngineUnload(modelId), "axclrtEngineUnload", name));
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "AxModel[" + name + "#" + modelId + "]";
    }
}
