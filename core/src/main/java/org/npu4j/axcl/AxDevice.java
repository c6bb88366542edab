package org.npu4j.axcl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.npu4j.NpuException;
import org.npu4j.axcl.ffi.Axcl;

/**
 * One AX650N device of the {@link AxclRuntime}, with the AXCL context npu4j created for it; loads
 * models.
 *
 * <h2>Threads and contexts</h2>
 * AXCL binds a context to each OS thread ({@code axclrtSetCurrentContext}); memory, stream and engine
 * calls on a thread without one fail with {@code runtime/CONTEXT/NO_BIND_CONTEXT (0x80300284)}.
 * Callers of npu4j never manage contexts: every method that reaches such a call first binds this
 * device's context to the calling thread, lazily.
 * <ul>
 *   <li>Platform threads keep a one-slot cache of the context npu4j last bound to them: when a thread
 *       keeps using one device, binding costs a {@code ThreadLocal} read; switching device costs one
 *       {@code axclrtSetCurrentContext}.</li>
 *   <li>Virtual threads may move to another carrier (OS thread) whenever they block, so npu4j binds
 *       on every call (one extra, cheap native call). The sequence of one call (bind, copies, execute,
 *       copies) has no blocking operation in it and a native call pins the virtual thread, so the
 *       whole sequence runs on one carrier. To avoid the extra call, run models on platform threads.</li>
 *   <li>If your own code calls {@code axclrtSetCurrentContext} through the raw bindings on a thread
 *       npu4j also uses, call {@link #bindCurrentThread()} before using npu4j again on it.</li>
 * </ul>
 * Thread-safe.
 */
public final class AxDevice extends AxHandle {
    private final AxclRuntime runtime;
    private final DeviceContext context;
    final CallCounter calls = new CallCounter();

    AxDevice(AxclRuntime runtime, DeviceContext context) {
        super(runtime);
        this.runtime = runtime;
        this.context = context;
    }

    /** The AXCL device id. */
    public int id() {
        return context.deviceId;
    }

    /**
     * The AXCL calls npu4j has made on this device so far, by kind: executes, copies, memsets and
     * buffer bindings of every model, binding and {@link AxDeviceBuffer} of this handle, counted where
     * the API issues them (on npu4j's emulator they equal its own counters). Subtract two snapshots
     * ({@link AxCallCounts#minus}) for the calls of a step. Thread-safe, cheap (one read per kind).
     */
    public AxCallCounts callCounts() {
        return calls.snapshot();
    }

    /** The runtime handle this device belongs to. */
    public AxclRuntime runtime() {
        return runtime;
    }

    /**
     * The device's current properties ({@link AxclRuntime#deviceProperties(int)}).
     *
     * @throws IllegalStateException if this device handle is closed
     */
    public AxclRuntime.DeviceProperties properties() {
        ensureOpen();
        return runtime.deviceProperties(id());
    }

    /**
     * Binds this device's context to the calling thread now, whatever npu4j believes is bound. Only
     * needed after foreign code changed the thread's current context.
     *
     * @throws AxclException if {@code axclrtSetCurrentContext} fails
     */
    public void bindCurrentThread() {
        ensureOpen();
        context.forceBind();
    }

    /**
     * Waits until every task queued on this device is done ({@code axclrtSynchronizeDevice}).
     *
     * @throws AxclException if the runtime reports an error
     */
    public void synchronize() {
        ensureOpen();
        context.bind();
        AxclNative.check(Axcl.axclrtSynchronizeDevice(), "axclrtSynchronizeDevice");
    }

    /**
     * Loads a compiled model from a file ({@code axclrtEngineLoadFromFile}) and reads its IO
     * description.
     *
     * @param file a {@code .axmodel} file (or an emulator model descriptor on the emulated runtime)
     * @throws NpuException  if the file does not exist
     * @throws AxclException if the runtime rejects it (e.g. {@code runtime/ENGINE/DECODE} for a file
     *                       that is not a model the runtime understands)
     */
    public AxModel load(Path file) {
        ensureOpen();
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new NpuException("No model file " + file.toAbsolutePath());
        }
        context.bind();
        long modelId;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
            AxclNative.check(Axcl.axclrtEngineLoadFromFile(a.allocateFrom(file.toAbsolutePath().toString()), out),
                    "axclrtEngineLoadFromFile", file.toAbsolutePath().toString());
            modelId = out.get(ValueLayout.JAVA_LONG, 0);
        }
        return adopt(AxModel.create(this, modelId, file.getFileName().toString()));
    }

    /**
     * Loads a compiled model from bytes ({@code axclrtEngineLoadFromMem}). As the AXCL documentation
     * asks, the bytes are first copied to device memory ({@code axclrtMalloc},
     * {@code axclrtMemcpy} host to device); that copy is freed once the model is loaded.
     *
     * @param name a name for logs and metrics (e.g. the file name the bytes came from)
     * @throws AxclException if the runtime rejects the model or device memory runs out
     */
    public AxModel load(byte[] model, String name) {
        Objects.requireNonNull(model, "model");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(model.length);
            MemorySegment.copy(model, 0, host, ValueLayout.JAVA_BYTE, 0, model.length);
            return load(host, name);
        }
    }

    /**
     * Loads a compiled model from native memory (see {@link #load(byte[], String)}).
     *
     * @param model a native segment holding the whole model
     * @throws IllegalArgumentException if {@code model} is a heap segment
     */
    public AxModel load(MemorySegment model, String name) {
        ensureOpen();
        Objects.requireNonNull(name, "name");
        if (!model.isNative()) {
            throw new IllegalArgumentException("the model must be in native memory");
        }
        if (model.byteSize() == 0) {
            throw new IllegalArgumentException("empty model");
        }
        context.bind();
        long modelId;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devOut = a.allocate(ValueLayout.ADDRESS);
            AxclNative.check(Axcl.axclrtMalloc(devOut, model.byteSize(), Memory.POLICY),
                    "axclrtMalloc", model.byteSize() + " bytes for model " + name);
            MemorySegment dev = devOut.get(ValueLayout.ADDRESS, 0);
            try {
                int rc = Axcl.axclrtMemcpy(dev, model, model.byteSize(), Memory.HOST_TO_DEVICE);
                calls.copy(Memory.HOST_TO_DEVICE);
                AxclNative.check(rc, "axclrtMemcpy", "model " + name + " to the device");
                MemorySegment out = a.allocate(ValueLayout.JAVA_LONG);
                AxclNative.check(Axcl.axclrtEngineLoadFromMem(dev, model.byteSize(), out),
                        "axclrtEngineLoadFromMem", "model " + name);
                modelId = out.get(ValueLayout.JAVA_LONG, 0);
            } catch (RuntimeException e) {
                Axcl.axclrtFree(dev); // the load error is the one to report
                throw e;
            }
            AxclNative.check(Axcl.axclrtFree(dev), "axclrtFree", "model copy of " + name);
        }
        return adopt(AxModel.create(this, modelId, name));
    }

    /**
     * Loads a model file through {@link #load(byte[], String)} (read into memory first).
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    public AxModel loadIntoMemory(Path file) {
        try {
            return load(Files.readAllBytes(file), file.getFileName().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * Device memory a model file would need, without loading it ({@code axclrtEngineGetUsage}).
     *
     * @param file a model file
     * @return system and CMM bytes
     * @throws AxclException if the runtime cannot read the file as a model
     */
    public AxModel.Usage usageOf(Path file) {
        ensureOpen();
        context.bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sys = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment cmm = a.allocate(ValueLayout.JAVA_LONG);
            AxclNative.check(Axcl.axclrtEngineGetUsage(a.allocateFrom(file.toAbsolutePath().toString()), sys, cmm),
                    "axclrtEngineGetUsage", file);
            return new AxModel.Usage(sys.get(ValueLayout.JAVA_LONG, 0), cmm.get(ValueLayout.JAVA_LONG, 0));
        }
    }

    /**
     * Device memory a model in memory would need ({@code axclrtEngineGetUsageFromMem}); the bytes are
     * copied to device memory first, as the AXCL documentation asks, and freed afterwards.
     *
     * @param model the whole model
     * @return system and CMM bytes
     * @throws AxclException if the runtime cannot read the bytes as a model
     */
    public AxModel.Usage usageOf(byte[] model) {
        ensureOpen();
        return onDevice(model, (dev, a) -> {
            MemorySegment sys = a.allocate(ValueLayout.JAVA_LONG);
            MemorySegment cmm = a.allocate(ValueLayout.JAVA_LONG);
            AxclNative.check(Axcl.axclrtEngineGetUsageFromMem(dev, model.length, sys, cmm), "axclrtEngineGetUsageFromMem",
                    model.length + " bytes");
            return new AxModel.Usage(sys.get(ValueLayout.JAVA_LONG, 0), cmm.get(ValueLayout.JAVA_LONG, 0));
        });
    }

    /**
     * NPU cores a model file was compiled for, 1 to 3, without loading it ({@code axclrtEngineGetModelType}).
     *
     * @param file a model file
     * @return {@code axclrtEngineModelKind} + 1
     * @throws AxclException if the runtime cannot read the file as a model
     */
    public int npuCoresOf(Path file) {
        ensureOpen();
        context.bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment kind = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetModelType(a.allocateFrom(file.toAbsolutePath().toString()), kind),
                    "axclrtEngineGetModelType", file);
            return kind.get(ValueLayout.JAVA_INT, 0) + 1;
        }
    }

    /**
     * NPU cores a model in memory was compiled for ({@code axclrtEngineGetModelTypeFromMem}; the bytes
     * go through device memory as for {@link #usageOf(byte[])}).
     *
     * @param model the whole model
     * @return {@code axclrtEngineModelKind} + 1
     * @throws AxclException if the runtime cannot read the bytes as a model
     */
    public int npuCoresOf(byte[] model) {
        ensureOpen();
        return onDevice(model, (dev, a) -> {
            MemorySegment kind = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetModelTypeFromMem(dev, model.length, kind), "axclrtEngineGetModelTypeFromMem",
                    model.length + " bytes");
            return kind.get(ValueLayout.JAVA_INT, 0) + 1;
        });
    }

    /**
     * The NPU partitioning the engine of this device was initialised with ({@code axclrtEngineGetVNpuKind}).
     *
     * @return the kind {@link AxclRuntime.Options#vnpu()} asked for when the device was first opened
     * @throws AxclException if the runtime reports an error
     */
    public AxclRuntime.VNpu vnpu() {
        ensureOpen();
        context.bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment kind = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtEngineGetVNpuKind(kind), "axclrtEngineGetVNpuKind", this);
            int k = kind.get(ValueLayout.JAVA_INT, 0);
            for (AxclRuntime.VNpu v : AxclRuntime.VNpu.values()) {
                if (v.value == k) {
                    return v;
                }
            }
            throw new NpuException("axclrtEngineGetVNpuKind returned an unknown kind " + k);
        }
    }

    /**
     * A device buffer of {@code bytes} bytes ({@code axclrtMalloc}, ordinary pages) that lives until it
     * or this device is closed, independent of any binding: bind it to tensors of several
     * {@link AxBinding}s ({@link AxBinding#setInput(int, AxDeviceBuffer, long)}), copy to, from and
     * between such buffers with offsets. Its content is undefined until written.
     *
     * @param name names the buffer in messages
     * @throws IllegalArgumentException if {@code bytes <= 0}
     * @throws AxclException            if the device is out of memory
     */
    public AxDeviceBuffer allocate(long bytes, String name) {
        ensureOpen();
        return adopt(new AxDeviceBuffer(this, bytes, name));
    }

    private interface DeviceQuery<T> {
        T query(MemorySegment deviceCopy, Arena arena);
    }

    /** Copies {@code bytes} to a temporary device buffer, runs {@code q} on it, frees the buffer. */
    private <T> T onDevice(byte[] bytes, DeviceQuery<T> q) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty model");
        }
        context.bind();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, host, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment dev = Memory.mallocDevice(bytes.length, "a model copy");
            T result;
            try {
                int rc = Axcl.axclrtMemcpy(dev, host, bytes.length, Memory.HOST_TO_DEVICE);
                calls.copy(Memory.HOST_TO_DEVICE);
                AxclNative.check(rc, "axclrtMemcpy", "model to the device");
                result = q.query(dev, a);
            } catch (RuntimeException e) {
                Axcl.axclrtFree(dev); // the query's error is the one to report
                throw e;
            }
            AxclNative.check(Axcl.axclrtFree(dev), "axclrtFree", "model copy");
            return result;
        }
    }

    DeviceContext context() {
        return context;
    }

    @Override
    void release() {
        runtime.forgetDevice(this);
        // The context itself is shared by the process and destroyed when the last runtime handle closes.
    }

    @Override
    public String toString() {
        return "AxDevice#" + id();
    }
}
