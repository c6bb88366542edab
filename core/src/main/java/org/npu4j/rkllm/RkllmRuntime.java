package org.npu4j.rkllm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.npu4j.Emulator;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RKLLM runtime library of this process ({@code librkllmrt.so}, or npu4j's emulated runtime)
 * and the ABI it speaks.
 *
 * <h2>Where the library comes from</h2>
 * {@link #load()} tries, in order: the system property {@value #LIBRARY_PROPERTY}, the environment
 * variable {@value #LIBRARY_ENV}, then the OS search path ({@code java.library.path},
 * {@code LD_LIBRARY_PATH}, the usual library directories), through {@link NativeLibrary}. When nothing
 * loads, the {@link NpuException} lists every place tried and how to use the emulator instead.
 *
 * <h2>Which ABI</h2>
 * The ABI (1.2 or 1.3, see {@link RkllmAbi}) is read from the library file before it is used: the
 * runtime embeds its version next to the string {@code rkllm-runtime version} (npu4j's emulators
 * embed {@code rkllm-runtime version: 1.3.0 (npu4j emulator)}; vendor builds a format string
 * {@code rkllm-runtime version: %s, ...} with the version as a separate literal nearby, which is
 * accepted within 8 KiB). The system property {@value #ABI_PROPERTY} ({@code 1.2} or {@code 1.3}), or
 * the {@code abi} argument of {@link #load(Path, RkllmAbi)}, overrides the detection; a library whose
 * version cannot be found or is neither 1.2.x nor 1.3.x is refused with a message asking for it.
 *
 * <h2>One runtime per process</h2>
 * Both ABIs export the same symbol names ({@code rkllm_init}, {@code rkllm_run}, ...), and the
 * bindings resolve them through the class loader's libraries, so a process holds exactly one RKLLM
 * runtime: once a library is loaded, loading another file throws {@link IllegalStateException};
 * loading the same file again returns the same runtime. Tests that cover both ABIs run each in its own
 * JVM.
 *
 * <p>Thread-safe.
 */
public final class RkllmRuntime {
    /** System property naming the runtime library file. */
    public static final String LIBRARY_PROPERTY = "npu4j.rkllm.library";
    /** Environment variable naming the runtime library file. */
    public static final String LIBRARY_ENV = "NPU4J_RKLLM_LIBRARY";
    /** System property overriding the ABI detection: {@code 1.2} or {@code 1.3}. */
    public static final String ABI_PROPERTY = "npu4j.rkllm.abi";

    private static final Logger LOG = LoggerFactory.getLogger(RkllmRuntime.class);
    private static final String EMULATOR_MARK = "npu4j emulator";
    private static final NativeLibrary.Spec SPEC = new NativeLibrary.Spec("RKLLM runtime", "librkllmrt.so",
            LIBRARY_PROPERTY, LIBRARY_ENV,
            "On a machine without a Rockchip NPU, use npu4j's emulated runtime: RkllmRuntime.emulator(RkllmAbi.V1_3)"
                    + " (needs org.npu4j:npu4j-native on the class path), or point -D" + LIBRARY_PROPERTY
                    + " at an emulated librkllmrt.so.");

    private static @Nullable RkllmRuntime current;
    /** The file System.load took, even when its ABI could not be told (it stays in the process). */
    private static @Nullable Path loadedFile;

    private final Path library;
    private final String foundBy;
    private final RkllmAbi abi;
    private final boolean abiDetected;
    private final @Nullable String version;
    private final @Nullable String versionString;
    private final AbiAdapter adapter;

    private RkllmRuntime(Path library, String foundBy, RkllmAbi abi, boolean abiDetected, @Nullable String version,
            @Nullable String versionString) {
        this.library = library;
        this.foundBy = foundBy;
        this.abi = abi;
        this.abiDetected = abiDetected;
        this.version = version;
        this.versionString = versionString;
        this.adapter = AbiAdapter.of(abi);
    }

    /**
     * The runtime of this process: the one already loaded, or the library found by the system property,
     * the environment variable or the OS search path (see the class description).
     *
     * @throws NpuException             if no library loads (the message lists every place tried) or its
     *                                  ABI cannot be told
     * @throws IllegalArgumentException if {@value #ABI_PROPERTY} is set to something other than 1.2 or 1.3
     */
    public static synchronized RkllmRuntime load() {
        if (current != null) {
            return current;
        }
        RkllmAbi override = abiProperty();
        Path pending = loadedFile;
        NativeLibrary.Loaded loaded = NativeLibrary.load(SPEC, pending);
        return init(loaded.path(), loaded.foundBy(), override);
    }

    /**
     * Loads the runtime library {@code library}; its ABI is detected unless {@value #ABI_PROPERTY} is set.
     *
     * @throws IllegalStateException if another runtime library is already loaded in this process
     * @throws NpuException          if the file does not load or its ABI cannot be told
     */
    public static RkllmRuntime load(Path library) {
        return load(library, abiProperty());
    }

    /**
     * Loads the runtime library {@code library} speaking {@code abi} (null: detect it from the file).
     *
     * @throws IllegalStateException if another runtime library, or the same one with another ABI, is
     *                               already loaded in this process
     * @throws NpuException          if the file does not load or its ABI cannot be told
     */
    public static synchronized RkllmRuntime load(Path library, @Nullable RkllmAbi abi) {
        Path path = library.toAbsolutePath().normalize();
        if (loadedFile != null && !sameFile(loadedFile, path)) {
            throw new IllegalStateException("This process already loaded the RKLLM runtime " + loadedFile
                    + "; it cannot also load " + path + " (both export the same symbols: one RKLLM runtime per"
                    + " process; run the other in its own JVM)");
        }
        if (current != null) {
            if (abi != null && abi != current.abi) {
                throw new IllegalStateException("The RKLLM runtime " + current.library + " is already loaded with ABI "
                        + current.abi + "; it cannot be used with ABI " + abi + " as well");
            }
            return current;
        }
        if (!Files.isRegularFile(path)) {
            throw new NpuException("Cannot load the RKLLM runtime " + path + ": no such file. " + SPEC.emulatorHint());
        }
        // Tell the ABI before System.load, so that a refused file never enters the process.
        AbiDetector.Result detected = AbiDetector.detect(path);
        if (abi == null && detected.abi() == null) {
            throw unknownAbi(path, detected);
        }
        NativeLibrary.Loaded loaded = NativeLibrary.load(SPEC, path);
        return init(loaded.path(), loaded.foundBy(), abi, detected);
    }

    /**
     * npu4j's emulated runtime for {@code abi}, from the {@code npu4j-native} jar on the class path.
     *
     * @throws NpuException          if npu4j-native is not on the class path or has no build for this platform
     * @throws IllegalStateException if another runtime library is already loaded in this process
     */
    public static RkllmRuntime emulator(RkllmAbi abi) {
        Emulator.Runtime which = abi == RkllmAbi.V1_2 ? Emulator.Runtime.RKLLM_V1_2 : Emulator.Runtime.RKLLM_V1_3;
        return load(Emulator.library(which), abi);
    }

    /** The runtime loaded in this process so far, if any. */
    public static synchronized Optional<RkllmRuntime> loaded() {
        return Optional.ofNullable(current);
    }

    private static RkllmRuntime init(Path path, String foundBy, @Nullable RkllmAbi override) {
        loadedFile = path;
        return init(path, foundBy, override, AbiDetector.detect(path));
    }

    private static RkllmRuntime init(Path path, String foundBy, @Nullable RkllmAbi override, AbiDetector.Result detected) {
        loadedFile = path;
        if (override == null && detected.abi() == null) {
            throw unknownAbi(path, detected);
        }
        RkllmAbi abi = override != null ? override : detected.abi();
        if (override != null && detected.abi() != null && override != detected.abi()) {
            LOG.warn("RKLLM runtime {}: the file says ABI {} ({}), used as ABI {} as asked", path, detected.abi(),
                    detected.evidence(), override);
        }
        RkllmRuntime rt = new RkllmRuntime(path, foundBy, abi, override == null, detected.version(),
                detected.versionString());
        LOG.info("RKLLM runtime {} ({}): ABI {} ({}){}", path, foundBy, abi,
                override == null ? detected.evidence() : "set by the caller", rt.isEmulator() ? ", an npu4j emulator" : "");
        current = rt;
        return rt;
    }

    private static NpuException unknownAbi(Path path, AbiDetector.Result detected) {
        return new NpuException("Cannot tell the RKLLM ABI of " + path + ": " + detected.evidence()
                + (detected.version() != null ? " (version " + detected.version() + " is neither 1.2.x nor 1.3.x)" : "")
                + ". Say which it is with -D" + ABI_PROPERTY + "=1.2 (runtime 1.2.0-1.2.3) or -D" + ABI_PROPERTY
                + "=1.3 (runtime 1.3.0), or RkllmRuntime.load(path, RkllmAbi.V1_x).");
    }

    private static @Nullable RkllmAbi abiProperty() {
        String v = System.getProperty(ABI_PROPERTY);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return RkllmAbi.of(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("System property " + ABI_PROPERTY + "='" + v
                    + "': accepted values are 1.2 and 1.3", e);
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.equals(b);
        }
    }

    /** The library file. */
    public Path library() {
        return library;
    }

    /** How the library was found, e.g. "system property npu4j.rkllm.library". */
    public String foundBy() {
        return foundBy;
    }

    /** The ABI npu4j uses to call the library. */
    public RkllmAbi abi() {
        return abi;
    }

    /** True if the ABI was detected from the file, false if it was set by the caller or the property. */
    public boolean abiDetected() {
        return abiDetected;
    }

    /** The runtime version found in the file (e.g. {@code 1.2.3}), if any. */
    public Optional<String> version() {
        return Optional.ofNullable(version);
    }

    /**
     * True if the library is one of npu4j's emulated runtimes (its version string says
     * {@code (npu4j emulator)}): its speed numbers come from a device profile, not from an NPU.
     */
    public boolean isEmulator() {
        return versionString != null && versionString.contains(EMULATOR_MARK);
    }

    AbiAdapter adapter() {
        return adapter;
    }

    @Override
    public String toString() {
        return "RKLLM runtime " + library + " (ABI " + abi + (version != null ? ", version " + version : "")
                + (isEmulator() ? ", npu4j emulator" : "") + ")";
    }
}
