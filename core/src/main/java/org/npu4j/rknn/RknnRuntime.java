package org.npu4j.rknn;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.npu4j.Emulator;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;

/**
 * The RKNN runtime of this process ({@code librknnrt.so}): loads the library once and opens models.
 *
 * {@snippet :
 * RknnRuntime rknn = RknnRuntime.load();             // or RknnRuntime.emulator()
 * try (RknnModel model = rknn.open(Path.of("yolov8s.rknn"));
 *      RknnBinding io = model.context().bind()) {   // zero-copy buffers, bound once
 *     io.input(0).copyFrom(image);                   // UINT8 NHWC, rows of inputAttr(0).widthStride() pixels
 *     io.run();                                      // rknn_run
 *     MemorySegment boxes = io.output(0);            // INT8 NCHW; outputAttr(0).dequantize(q)
 * }
 * }
 *
 * <h2>Finding the library</h2>
 * As the other runtimes ({@link NativeLibrary}): an explicit path, the system property
 * {@code npu4j.rknn.library}, the environment variable {@code NPU4J_RKNN_LIBRARY}, then the OS search
 * path; the error lists every place tried. One RKNN library per JVM.
 *
 * <h2>Versions</h2>
 * {@link #fileVersion()} reads the {@code librknnrt version: X.Y.Z (...)} string from the library file
 * (there is no context-free version call); {@link RknnModel#sdkVersion()} asks the loaded runtime
 * ({@code RKNN_QUERY_SDK_VERSION}).
 *
 * <h2>Optional functions</h2>
 * Some builds lack {@code rknn_create_mem2}, the core-mask functions or the matmul API (RV1106's
 * {@code librknnmrt.so} has no {@code rknn_set_core_mask}). They are looked up when first used;
 * {@link #supports(String)} tells in advance, and a call to a missing one throws
 * {@link UnsupportedOperationException}; loading never fails for it.
 *
 * <p>Thread-safe.
 */
public final class RknnRuntime {
    private static final Object LOCK = new Object();
    private static @Nullable RknnRuntime instance;

    private final NativeLibrary.Loaded library;
    private final Optional<String> fileVersion;

    private RknnRuntime(NativeLibrary.Loaded library) {
        this.library = library;
        this.fileVersion = RknnNative.versionInFile(library.path());
    }

    /** Loads the runtime found by the search order above. @throws NpuException listing every place tried */
    public static RknnRuntime load() {
        return load(null);
    }

    /**
     * Loads {@code library} ({@code null}: search). Only the first load of the JVM loads a file; later
     * calls return the same runtime and must name the same file or none.
     *
     * @throws NpuException if nothing loads, or another library is already loaded
     */
    public static RknnRuntime load(@Nullable Path library) {
        synchronized (LOCK) {
            NativeLibrary.Loaded l = RknnNative.load(library);
            RknnRuntime r = instance;
            if (r == null) {
                r = new RknnRuntime(l);
                instance = r;
            }
            return r;
        }
    }

    /**
     * The emulated RKNN runtime shipped in {@code org.npu4j:npu4j-native}
     * ({@link Emulator#library(Emulator.Runtime)}), unless a library is already loaded, which wins if
     * it is the same file.
     */
    public static RknnRuntime emulator() {
        return load(Emulator.library(Emulator.Runtime.RKNN));
    }

    /**
     * The version string in a {@code librknnrt.so} file, read without loading it (the text after
     * {@code "librknnrt version: "} up to its closing parenthesis, e.g.
     * {@code 2.3.2 (429f97ae6b@2025-04-09T09:09:27)}); empty if the file has none or cannot be read.
     */
    public static Optional<String> versionOf(Path library) {
        return RknnNative.versionInFile(Objects.requireNonNull(library, "library"));
    }

    /** The library file loaded. */
    public Path library() {
        return library.path();
    }

    /** Which rule found the library (e.g. "system property npu4j.rknn.library"). */
    public String foundBy() {
        return library.foundBy();
    }

    /**
     * The version string in the library file, e.g. {@code 2.3.2 (429f97ae6b@2025-04-09T09:09:27)} or
     * {@code 2.3.2 (npu4j emulator)}; empty if the file has none.
     */
    public Optional<String> fileVersion() {
        return fileVersion;
    }

    /** True when the library is npu4j's emulator (its version string says so). */
    public boolean isEmulator() {
        return fileVersion.map(v -> v.contains("npu4j emulator")).orElse(false);
    }

    /** Whether the loaded library exports {@code function} (e.g. {@code rknn_create_mem2}, {@code rknn_matmul_create}). */
    public boolean supports(String function) {
        return RknnNative.has(Objects.requireNonNull(function, "function"));
    }

    /**
     * A matrix product {@code C = A × B} on the NPU without a model, its memories bound once
     * ({@link RknnMatmul}).
     *
     * @param m rows of A and C
     * @param k columns of A, rows of B
     * @param n columns of B and C
     * @throws UnsupportedOperationException if this runtime has no matmul API (named function and version)
     * @throws IllegalArgumentException      if a dimension is below 1 (before any native call)
     * @throws RknnException                 if the runtime refuses the shape or type (its alignment limits)
     */
    public RknnMatmul matmul(int m, int k, int n, RknnMatmul.Type type) {
        return new RknnMatmul(m, k, n, type);
    }

    /** Opens a model file with default options. @see #open(Path, RknnModel.Options) */
    public RknnModel open(Path model) {
        return open(model, RknnModel.Options.defaults());
    }

    /**
     * Opens a model file ({@code rknn_init} with the path).
     *
     * @throws RknnException      if the runtime refuses the model (e.g. {@link RknnError#MODEL_INVALID})
     * @throws NpuException       if the file cannot be read
     */
    public RknnModel open(Path model, RknnModel.Options options) {
        Objects.requireNonNull(model, "model");
        if (!Files.isReadable(model)) {
            throw new NpuException("RKNN model " + model.toAbsolutePath() + " does not exist or is not readable");
        }
        return new RknnModel(this, model.getFileName().toString(), model, null, options);
    }

    /**
     * Opens a model held in memory ({@code rknn_init} with a buffer, freed after init).
     *
     * @param name  a name for logs and metrics
     * @throws RknnException if the runtime refuses the model
     */
    public RknnModel open(byte[] model, String name, RknnModel.Options options) {
        Objects.requireNonNull(model, "model");
        if (model.length == 0) {
            throw new IllegalArgumentException("empty model buffer");
        }
        return new RknnModel(this, Objects.requireNonNull(name, "name"), null, model.clone(), options);
    }

    @Override
    public String toString() {
        return "RKNN runtime " + library.path() + fileVersion.map(v -> " (" + v + ")").orElse("");
    }
}
