package org.npu4j.axcl.llm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.spi.LanguageModelProvider;

/**
 * The AXCL backend of {@link LanguageModel#open}: ax-llm package directories ({@code config.json} and
 * {@code *.axmodel} layers, {@link AxLlmPackage}), and the emulated packages of npu4j's AXCL emulator
 * (written once per JVM into a temporary directory by the emulator's
 * {@code npu4j_emu_axllm_write_package}).
 *
 * <p>{@link LoadOptions} keys: {@code axcl.kv} ({@code copy}, default, or {@code bind}: how new K/V rows
 * reach the cache in decode), {@code axcl.device} (an AXCL device id; default the first),
 * {@code axcl.tokenizer} (a tokenizer file or HF directory used instead of the package's
 * {@code url_tokenizer_model}). Thread-safe.
 */
public final class AxclLlmProvider implements LanguageModelProvider {
    static final String KV = "axcl.kv";
    static final String DEVICE = "axcl.device";
    static final String TOKENIZER = "axcl.tokenizer";
    private static final Set<String> KEYS = Set.of(KV, DEVICE, TOKENIZER);
    /** Emulator profile → the emulator's package profile. */
    private static final Map<String, String> PROFILES = new LinkedHashMap<>();

    static {
        PROFILES.put("ax650n-qwen3-0.6b-w8a16", "qwen3-0.6b");
        PROFILES.put("ax650n-tiny", "tiny");
    }

    private static final Map<String, Path> WRITTEN = new ConcurrentHashMap<>();

    @Override
    public String backend() {
        return "axcl";
    }

    @Override
    public boolean accepts(Path path) {
        return AxLlmPackage.looksLikePackage(path);
    }

    @Override
    public LanguageModel open(Path path, LoadOptions options) {
        for (String k : options.options().keySet()) {
            if (k.startsWith("axcl.") && !KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown AXCL option " + k + ": expected " + KEYS);
            }
        }
        AxLlmPackage pkg = AxLlmPackage.read(path);
        String tok = options.option(TOKENIZER);
        if (tok != null) {
            pkg = new AxLlmPackage(pkg.dir(), pkg.modelName(), pkg.tokenizerType(), Path.of(tok), pkg.layers(), pkg.post(),
                    pkg.embeddings(), pkg.vocab(), pkg.hidden(), pkg.systemPrompt(), pkg.postConfig(), pkg.thinking());
        }
        if (options.contextLength() > 0) {
            throw new IllegalArgumentException("contextLength " + options.contextLength() + ": an ax-llm package's context"
                    + " is fixed by its layers (leave it 0)");
        }
        int device = -1;
        String d = options.option(DEVICE);
        if (d != null) {
            try {
                device = Integer.parseInt(d.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(DEVICE + " '" + d + "': expected an AXCL device id such as 0 or 1");
            }
        }
        String kv = options.option(KV) == null ? "copy" : options.option(KV);
        AxclRuntime.Options rt;
        if (options.library() != null) {
            if (options.emulator()) {
                throw new IllegalArgumentException("the emulator and the library " + options.library()
                        + " exclude each other: the emulator is a library");
            }
            rt = AxclRuntime.Options.defaults().withLibrary(options.library());
        } else {
            rt = options.emulator() ? AxclRuntime.Options.emulator() : AxclRuntime.Options.defaults();
        }
        AxLlmModel.Options o = new AxLlmModel.Options(options.name(), options.maxNewTokens(), kv, device);
        return AxLlmModel.open(pkg, rt, o);
    }

    @Override
    public List<String> emulatorProfiles() {
        try {
            Emulator.library(Emulator.Runtime.AXCL);
        } catch (NpuException e) {
            return List.of(); // the npu4j-native jar is not on the class path
        }
        return List.copyOf(PROFILES.keySet());
    }

    @Override
    public LanguageModel openEmulator(String profile, LoadOptions options) {
        String p = PROFILES.get(profile);
        if (p == null) {
            throw new IllegalArgumentException("unknown AXCL emulator profile \"" + profile + "\": expected one of "
                    + PROFILES.keySet());
        }
        return open(emulatorPackage(profile), options.withEmulator(true));
    }

    /**
     * The directory of an emulated package, written on first use (per JVM; deleted at exit).
     *
     * @throws IllegalArgumentException for an unknown profile
     * @throws NpuException             if the emulator cannot write it (or is too old to have packages)
     */
    public static Path emulatorPackage(String profile) {
        String p = PROFILES.get(profile);
        if (p == null) {
            throw new IllegalArgumentException("unknown AXCL emulator profile \"" + profile + "\": expected one of "
                    + PROFILES.keySet());
        }
        return WRITTEN.computeIfAbsent(profile, k -> write(p));
    }

    private static Path write(String profile) {
        Path lib = Emulator.library(Emulator.Runtime.AXCL);
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        MemorySegment fn = lookup.find("npu4j_emu_axllm_write_package").orElseThrow(() -> new NpuException(
                "the AXCL emulator " + lib + " has no npu4j_emu_axllm_write_package: it predates emulated LLM packages"));
        MemorySegment err = lookup.find("npu4j_emu_axllm_error").orElseThrow();
        Linker linker = Linker.nativeLinker();
        MethodHandle write = linker.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS));
        MethodHandle error = linker.downcallHandle(err, FunctionDescriptor.of(ValueLayout.ADDRESS));
        try {
            Path dir = Files.createTempDirectory("npu4j-axllm-" + profile + "-");
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> deleteTree(dir)));
            try (Arena a = Arena.ofConfined()) {
                int rc = (int) write.invokeExact(a.allocateFrom(dir.toString()), a.allocateFrom(profile));
                if (rc != 0) {
                    MemorySegment m = ((MemorySegment) error.invokeExact()).reinterpret(4096);
                    throw new NpuException("the AXCL emulator could not write package " + profile + " into " + dir + ": "
                            + m.getString(0));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
