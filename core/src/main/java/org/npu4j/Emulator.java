package org.npu4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
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
