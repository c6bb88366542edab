package org.npu4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The emulated runtimes npu4j builds from {@code native/emulator} and ships in the
 * {@code org.npu4j:npu4j-native} jar, with their example model descriptors: what an application
 * loads instead of a vendor library on a machine without an NPU.
 *
 * <p>The emulators say they are emulators (banner, version strings) and refuse real model files;
 * their timing follows device profiles taken from published board measurements, scaled by the
 * environment variable {@code NPU4J_EMULATOR_SPEED} (1 = board timing, 0 = no delays).
 *
 * <p>Files are extracted once per JVM into a temporary directory (deleted at exit). Thread-safe.
 */
public final class Emulator {
    private static final String ROOT = "org/npu4j/emulator/";
    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();
    private static volatile @Nullable Path tempDir;

    /** An emulated runtime library. */
    public enum Runtime {
        /** RKLLM runtime, ABI 1.2.x ({@code rkllm_init} takes the callback directly). */
        RKLLM_V1_2("rkllm/v1_2/librkllmrt.so"),
        /** RKLLM runtime, ABI 1.3.0. */
        RKLLM_V1_3("rkllm/v1_3/librkllmrt.so"),
        /** AXCL runtime and engine, 3.x. */
        AXCL("axcl/libaxcl_rt.so"),
        /** RKNN runtime (vision models, VLM encoders), 2.x. */
        RKNN("rknn/librknnrt.so");

        private final String path;

        Runtime(String path) {
            this.path = path;
        }
    }

    private Emulator() {}

    /**
     * Sets the emulators' speed factor ({@code NPU4J_EMULATOR_SPEED}: 1 the boards' timing, 0 no delays,
     * 0.2 a fifth of it) for the runs that follow in this process. Uses libc {@code setenv}, since the
     * JVM's view of the environment is read-only; the emulators read the variable at each run. Not
     * thread-safe with respect to other {@code setenv}/{@code getenv} calls in native code: call it
     * between runs (tests, benchmarks).
     *
     * @throws IllegalArgumentException if {@code factor} is negative or not finite
     */
    public static void speed(double factor) {
        if (!(factor >= 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("speed factor " + factor + ": expected a finite value >= 0");
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(linker.defaultLookup().findOrThrow("setenv"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(a.allocateFrom("NPU4J_EMULATOR_SPEED"),
                    a.allocateFrom(Double.toString(factor)), 1);
            if (rc != 0) {
                throw new NpuException("setenv(NPU4J_EMULATOR_SPEED) failed");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new NpuException("setenv(NPU4J_EMULATOR_SPEED) failed", t);
        }
    }

    /**
     * What an emulated runtime loaded in this process owns right now, by its counter function: heap
     * blocks of the RKLLM emulator ({@code npu4j_emulator_live_allocations}), of the AXCL one
     * ({@code npu4j_emulator_axcl_live_allocations}). 0 once every model is closed; tests assert it.
     *
     * @throws NpuException if no loaded library exports {@code counter}
     */
    public static long liveAllocations(String counter) {
        MemorySegment fn = SymbolLookup.loaderLookup().find(counter)
                .orElseThrow(() -> new NpuException("no emulated runtime with the counter " + counter + " is loaded"));
        try {
            return (long) Linker.nativeLinker().downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_LONG))
                    .invokeExact();
        } catch (Throwable t) {
            throw new NpuException(counter + " failed", t);
        }
    }

    /**
     * The emulated runtime library for this platform, extracted to a file.
     *
     * @throws NpuException if the npu4j-native jar is not on the class path or has no build for
     *                      this OS and architecture
     */
    public static Path library(Runtime runtime) {
        String resource = ROOT + platform() + "/" + runtime.path;
        return EXTRACTED.computeIfAbsent(resource, r -> extract(r, runtime.path));
    }

    /**
     * An example model descriptor of an emulated runtime, extracted with its sibling files (the
     * descriptors may name adapters or configs next to them).
     *
     * @param family {@code "rkllm"}, {@code "axcl"} or {@code "rknn"}
     * @param name   file name in {@code native/emulator/<family>/models}, e.g. {@code rk3588-qwen3-0.6b-w8a8.model}
     * @throws NpuException if there is no such model
     */
    public static Path model(String family, String name) {
        List<String> names = models(family);
        if (!names.contains(name)) {
            throw new NpuException("No emulator model '" + name + "' for " + family + "; available: " + names);
        }
        for (String n : names) {
            String resource = ROOT + family + "/models/" + n;
            EXTRACTED.computeIfAbsent(resource, r -> extract(r, family + "/models/" + n));
        }
        return EXTRACTED.get(ROOT + family + "/models/" + name);
    }

    /** File names of the example models of {@code family} ({@code "rkllm"}, {@code "axcl"} or {@code "rknn"}), sorted. */
    public static List<String> models(String family) {
        String dir = ROOT + family + "/models";
        URL url = loader().getResource(dir);
        if (url == null) {
            throw notInstalled(dir);
        }
        try {
            URI uri = url.toURI();
            List<String> names = new ArrayList<>();
            if ("jar".equals(uri.getScheme())) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                list(fs.getPath(dir), names);
            } else {
                list(Path.of(uri), names);
            }
            names.sort(null);
            return List.copyOf(names);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + url, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Profiles of {@link #axllmPackage(String)}. */
    public static final List<String> AXLLM_PROFILES = List.of("qwen3-0.6b", "tiny", "tiny-vl", "tiny-qwen3-vl");

    /**
     * An emulated AX650N LLM package (Axera's ax-llm G3 layout: {@code config.json}, one
     * {@code .axmodel} descriptor per decoder layer, the post model, the bf16 embedding table,
     * {@code post_config.json}, {@code <arch>_tokenizer.txt}, {@code tokenizer.json},
     * {@code tokenizer_config.json}), written by the AXCL emulator's
     * {@code npu4j_emu_axllm_write_package} and cached: under the directory named by the system
     * property {@code npu4j.emulator.cache}, else {@code java.io.tmpdir}, in
     * {@code npu4j-axllm/<profile>-<digest of the emulator library>}, so a rebuilt emulator gets a
     * fresh package. The model is a deterministic toy that only the emulator runs
     * ({@code native/emulator/axcl/README.md}).
     *
     * @param profile {@code "qwen3-0.6b"} (Qwen3-0.6B shapes: 28 layers, hidden 1024, vocab 151936,
     *                context 2559, prefill chunk 128; about 311 MB, written in a few seconds) or
     *                {@code "tiny"} (4 layers, hidden 128, context 255, chunk 16; prefill tensor names
     *                spelled {@code NAME_<group>}; under 1 MB) or {@code "tiny-vl"} (the tiny model at
     *                context 1023, chunk 128, with a Qwen2.5-VL-style vision encoder: 448 × 448 uint8 NHWC
     *                in, 256 bf16 rows of hidden 128 out; {@code config.json} with the VLM keys; under 2 MB) or
     *                {@code "tiny-qwen3-vl"} (Qwen3-VL-shaped: 6 toy layers whose prefill {@code indices}
     *                hold three mRoPE rows [3, 128], a 448 × 448 encoder of patch 16 with 196 tokens and
     *                four outputs, the embeddings and three deepstack features; under 2 MB)
     * @return the package directory
     * @throws NpuException for an unknown profile, or when the emulator cannot write the package
     */
    public static Path axllmPackage(String profile) {
        checkProfile(profile);
        Path lib = library(Runtime.AXCL);
        String root = System.getProperty("npu4j.emulator.cache", System.getProperty("java.io.tmpdir"));
        Path dir = Path.of(root, "npu4j-axllm", profile + "-" + digest(lib));
        synchronized (Emulator.class) {
            if (Files.isRegularFile(dir.resolve(COMPLETE))) {
                return dir;
            }
            try {
                Files.createDirectories(dir.getParent());
                Path tmp = Files.createTempDirectory(dir.getParent(), profile + "-writing-");
                write(lib, tmp, profile);
                Files.writeString(tmp.resolve(COMPLETE), profile + "\n");
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    if (!Files.isRegularFile(dir.resolve(COMPLETE))) {
                        throw e; // another process has not finished it either
                    }
                    deleteTree(tmp); // another process was first
                }
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the emulated " + profile + " package under " + dir, e);
            }
        }
    }

    /**
     * Writes an emulated LLM package of {@code profile} into {@code dir} (created if missing; its
     * files are overwritten), uncached; see {@link #axllmPackage(String)}.
     *
     * @return {@code dir}
     * @throws NpuException for an unknown profile, or when the emulator cannot write the package
     */
    public static Path axllmPackage(String profile, Path dir) {
        checkProfile(profile);
        write(library(Runtime.AXCL), dir, profile);
        return dir;
    }

    /**
     * The C driver that replays Axera's mid-2025 ax-llm call pattern on the emulated AXCL runtime
     * ({@code native/bench/axllm_vendor_bench.c}; flags and its one-line JSON output in
     * {@code native/emulator/axcl/README.md}, "Calibration"), extracted next to the emulated
     * {@code libaxcl_rt.so} it runs against and made executable: the vendor side of
     * {@code npu4j bench} on AX650N packages.
     *
     * @throws NpuException if the npu4j-native jar has no build of it for this platform
     */
    public static Path axllmVendorBench() {
        library(Runtime.AXCL); // the driver finds the library at ../axcl/ (its rpath)
        String relative = "bench/axllm_vendor_bench";
        Path exe = EXTRACTED.computeIfAbsent(ROOT + platform() + "/" + relative, r -> extract(r, relative));
        if (!exe.toFile().setExecutable(true)) {
            throw new NpuException("cannot make " + exe + " executable");
        }
        return exe;
    }

    private static final String COMPLETE = ".npu4j-package-complete";

    private static void checkProfile(String profile) {
        if (!AXLLM_PROFILES.contains(profile)) {
            throw new NpuException("No emulated LLM package profile '" + profile + "'; available: " + AXLLM_PROFILES);
        }
    }

    private static void write(Path lib, Path dir, String profile) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols = SymbolLookup.libraryLookup(lib, Arena.global());
        MethodHandle writePackage = linker.downcallHandle(symbols.findOrThrow("npu4j_emu_axllm_write_package"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        MethodHandle error = linker.downcallHandle(symbols.findOrThrow("npu4j_emu_axllm_error"),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) writePackage.invokeExact(arena.allocateFrom(dir.toString()), arena.allocateFrom(profile));
            if (rc != 0) {
                // The message lives in the calling thread's storage of the emulator.
                MemorySegment why = ((MemorySegment) error.invokeExact()).reinterpret(4096);
                throw new NpuException("The AXCL emulator could not write the " + profile + " package into " + dir
                        + ": " + why.getString(0));
            }
        } catch (NpuException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String digest(Path file) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** {@code linux-amd64}, {@code linux-aarch64}, ...: the directory of this platform's builds. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux") ? "linux"
                : System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT).replace(' ', '_');
        return os + "-" + System.getProperty("os.arch", "unknown");
    }

    private static void list(Path dir, List<String> names) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
        }
    }

    private static Path extract(String resource, String relative) {
        try (InputStream in = loader().getResourceAsStream(resource)) {
            if (in == null) {
                throw notInstalled(resource);
            }
            Path root = tempDir();
            Path target = root.resolve(relative);
            // deleteOnExit runs in reverse order of registration: directories before their files
            for (Path d = root, rest = root.relativize(target.getParent()); rest != null && !rest.toString().isEmpty();
                    rest = rest.getNameCount() > 1 ? rest.subpath(1, rest.getNameCount()) : null) {
                d = d.resolve(rest.getName(0));
                if (!Files.isDirectory(d)) {
                    Files.createDirectory(d);
                    d.toFile().deleteOnExit();
                }
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            target.toFile().deleteOnExit();
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource, e);
        }
    }

    private static synchronized Path tempDir() throws IOException {
        Path dir = tempDir;
        if (dir == null) {
            dir = Files.createTempDirectory("npu4j-emulator-");
            dir.toFile().deleteOnExit();
            tempDir = dir;
        }
        return dir;
    }

    private static NpuException notInstalled(String resource) {
        return new NpuException("The npu4j emulators are not on the class path (" + resource + " not found for "
                + platform() + "): add the dependency org.npu4j:npu4j-native, built for this platform by"
                + " `./mvnw install` from the npu4j sources.");
    }

    private static ClassLoader loader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : Emulator.class.getClassLoader();
    }
}
