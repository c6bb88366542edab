package org.npu4j;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and loads one vendor runtime library (or the emulator that stands in for it).
 *
 * <p>Order, each step logged: the system property (e.g. {@code npu4j.rkllm.library}), then the
 * environment variable (e.g. {@code NPU4J_RKLLM_LIBRARY}), then the OS search path
 * ({@code java.library.path}, {@code LD_LIBRARY_PATH}, the usual library directories). The first
 * file that loads wins. When nothing loads, the {@link NpuException} lists every place tried and
 * why it failed, and says how to use the emulator instead.
 *
 * <p>Symbols of a loaded library are visible to the generated bindings through
 * {@code SymbolLookup.loaderLookup()}: core and the bindings share the application class loader.
 *
 * <p>Thread-safe. A library is loaded once per class loader; loading the same path again is a no-op.
 */
public final class NativeLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);

    /** Directories searched after {@code java.library.path} and {@code LD_LIBRARY_PATH} (Linux). */
    private static final List<String> SYSTEM_DIRS = List.of(
            "/usr/lib", "/usr/local/lib", "/usr/lib/aarch64-linux-gnu", "/usr/lib/arm-linux-gnueabihf",
            "/usr/lib/x86_64-linux-gnu", "/lib", "/lib64", "/usr/lib64");

    /**
     * What to look for.
     *
     * @param displayName human name of the runtime, e.g. "RKLLM runtime"
     * @param fileName    file name on the OS path, e.g. {@code librkllmrt.so}
     * @param property    system property naming a path, e.g. {@code npu4j.rkllm.library}
     * @param envVar      environment variable naming a path, e.g. {@code NPU4J_RKLLM_LIBRARY}
     * @param emulatorHint sentence that tells the user how to run on the emulator instead
     */
    public record Spec(String displayName, String fileName, String property, String envVar, String emulatorHint) {
        public Spec {
            Objects.requireNonNull(displayName);
            Objects.requireNonNull(fileName);
            Objects.requireNonNull(property);
            Objects.requireNonNull(envVar);
            Objects.requireNonNull(emulatorHint);
        }
    }

    /** Where a library was found: its path and which rule found it. */
    public record Loaded(Path path, String foundBy) {}

    private NativeLibrary() {}

    /**
     * Loads the library described by {@code spec}.
     *
     * @param explicit a path chosen by the caller (e.g. a builder option); tried before anything else
     * @return the loaded file and the rule that found it
     * @throws NpuException when no candidate loads; the message lists every place tried
     */
    public static Loaded load(Spec spec, @Nullable Path explicit) {
        List<String> tried = new ArrayList<>();
        List<Candidate> candidates = new ArrayList<>();
        if (explicit != null) {
            candidates.add(new Candidate(explicit, "the path given by the caller"));
        }
        String prop = System.getProperty(spec.property());
        if (prop != null && !prop.isBlank()) {
            candidates.add(new Candidate(Path.of(prop), "system property " + spec.property()));
        } else {
            tried.add("system property " + spec.property() + ": not set");
        }
        String env = System.getenv(spec.envVar());
        if (env != null && !env.isBlank()) {
            candidates.add(new Candidate(Path.of(env), "environment variable " + spec.envVar()));
        } else {
            tried.add("environment variable " + spec.envVar() + ": not set");
        }
        for (String dir : searchPath()) {
            candidates.add(new Candidate(Path.of(dir, spec.fileName()), "OS search path"));
        }
        for (Candidate c : candidates) {
            Path path = c.path().toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                tried.add(path + " (" + c.rule() + "): no such file");
                LOG.debug("{}: {} ({}) does not exist", spec.displayName(), path, c.rule());
                continue;
            }
            try {
                System.load(path.toString());
                LOG.info("{}: loaded {} ({})", spec.displayName(), path, c.rule());
                return new Loaded(path, c.rule());
            } catch (UnsatisfiedLinkError | SecurityException e) {
                tried.add(path + " (" + c.rule() + "): failed to load: " + e.getMessage());
                LOG.debug("{}: {} failed to load", spec.displayName(), path, e);
            }
        }
        throw new NpuException("Cannot load the " + spec.displayName() + " (" + spec.fileName() + "). Tried:\n  - "
                + String.join("\n  - ", tried) + "\n" + spec.emulatorHint());
    }

    /**
     * The OS search path as {@link #load} walks it: {@code java.library.path}, then
     * {@code LD_LIBRARY_PATH}, then the usual system directories. Directory names, in order, without
     * duplicates; they may not exist. Used by tools that look for a runtime without loading it.
     */
    public static Set<String> searchPath() {
        Set<String> dirs = new LinkedHashSet<>();
        addPathList(dirs, System.getProperty("java.library.path"));
        addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
        dirs.addAll(SYSTEM_DIRS);
        return dirs;
    }

    private static void addPathList(Set<String> dirs, @Nullable String list) {
        if (list == null) {
            return;
        }
        for (String d : list.split(File.pathSeparator)) {
            if (!d.isBlank()) {
                dirs.add(d);
            }
        }
    }

    private record Candidate(Path path, String rule) {}
}
