package org.npu4j.tools;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.npu4j.NativeLibrary;
import org.npu4j.rknn.RknnRuntime;
import org.npu4j.tuning.HostFiles;

/**
 * Finds the vendor runtime libraries on the OS search path without loading them: the places
 * {@link NativeLibrary#load} would try (system property, environment variable,
 * {@link NativeLibrary#searchPath()}), plus the directories of {@code /etc/ld.so.conf} (the AXCL
 * package registers its own there). Paths are resolved under the {@link HostFiles} root.
 * The version is read from the file name a symbolic link chain ends in ({@code libfoo.so.1.2.3})
 * where there is one, and for {@code librknnrt.so} from its {@code librknnrt version:} string; the
 * libraries' version functions are not called, as that needs loading them.
 */
final class RuntimeLibraries {

    /** A vendor runtime to look for. */
    record Runtime(String name, String fileName, String property, String envVar) {}

    static final List<Runtime> RUNTIMES = List.of(
            new Runtime("RKLLM runtime", "librkllmrt.so", "npu4j.rkllm.library", "NPU4J_RKLLM_LIBRARY"),
            new Runtime("AXCL runtime", "libaxcl_rt.so", "npu4j.axcl.library", "NPU4J_AXCL_LIBRARY"),
            new Runtime("RKNN runtime", "librknnrt.so", "npu4j.rknn.library", "NPU4J_RKNN_LIBRARY"));

    /**
     * What was found for one runtime.
     *
     * @param runtime  e.g. "AXCL runtime"
     * @param fileName e.g. {@code libaxcl_rt.so}
     * @param path     the host path of the first match, if any
     * @param foundBy  the rule that found it (system property, environment variable, OS search path)
     * @param version  from the file name of the link chain's target, if it carries one
     * @param searched the directories looked in, in order
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Found(String runtime, String fileName, @Nullable String path, @Nullable String foundBy,
            @Nullable String version, List<String> searched) {}

    private static final Pattern SO_VERSION = Pattern.compile("\\.so\\.(\\d+(?:\\.\\d+)*)$");

    private RuntimeLibraries() {}

    static List<Found> find(HostFiles files, Function<String, @Nullable String> properties,
            Function<String, @Nullable String> environment) {
        Set<String> dirs = new LinkedHashSet<>(NativeLibrary.searchPath());
        dirs.addAll(ldSoConf(files));
        List<Found> out = new ArrayList<>();
        for (Runtime r : RUNTIMES) {
            List<String> candidates = new ArrayList<>();
            List<String> rules = new ArrayList<>();
            String prop = properties.apply(r.property());
            if (prop != null && !prop.isBlank()) {
                candidates.add(prop);
                rules.add("system property " + r.property());
            }
            String env = environment.apply(r.envVar());
            if (env != null && !env.isBlank()) {
                candidates.add(env);
                rules.add("environment variable " + r.envVar());
            }
            for (String d : dirs) {
                candidates.add(d.endsWith("/") ? d + r.fileName() : d + "/" + r.fileName());
                rules.add("OS search path");
            }
            Found found = new Found(r.name(), r.fileName(), null, null, null, List.copyOf(dirs));
            for (int i = 0; i < candidates.size(); i++) {
                String c = candidates.get(i);
                if (c.startsWith("/") && files.exists(c) && !files.isDirectory(c)) {
                    Optional<String> v = version(files, c);
                    if (v.isEmpty() && r.fileName().equals("librknnrt.so")) {
                        // librknnrt carries "librknnrt version: X.Y.Z (...)" in the file (shared/facts/rknn.md).
                        v = RknnRuntime.versionOf(files.root().resolve(c.substring(1)));
                    }
                    found = new Found(r.name(), r.fileName(), c, rules.get(i), v.orElse(null),
                            List.copyOf(dirs));
                    break;
                }
            }
            out.add(found);
        }
        return out;
    }

    /** The version in the name of the file a link chain ends in, e.g. libaxcl_rt.so -> libaxcl_rt.so.3.10.2. */
    static Optional<String> version(HostFiles files, String path) {
        String current = path;
        for (int hop = 0; hop < 8; hop++) {
            Matcher m = SO_VERSION.matcher(current);
            if (m.find()) {
                return Optional.of(m.group(1));
            }
            Optional<String> next = files.linkName(current);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            current = current.substring(0, current.lastIndexOf('/') + 1) + next.get();
        }
        return Optional.empty();
    }

    /** Directories listed in /etc/ld.so.conf and the files it includes. */
    static List<String> ldSoConf(HostFiles files) {
        List<String> dirs = new ArrayList<>();
        readConf(files, "/etc/ld.so.conf", dirs, 0);
        return dirs;
    }

    private static void readConf(HostFiles files, String conf, List<String> dirs, int depth) {
        if (depth > 4) {
            return;
        }
        Optional<String> text = files.readIfPresent(conf);
        if (text.isEmpty()) {
            return;
        }
        for (String raw : text.get().split("\\n")) {
            String line = raw.replaceAll("#.*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("include ")) {
                String pattern = line.substring("include ".length()).strip();
                String dir = pattern.substring(0, Math.max(pattern.lastIndexOf('/'), 0));
                String glob = pattern.substring(pattern.lastIndexOf('/') + 1);
                PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
                for (String name : files.list(dir.isEmpty() ? "/" : dir)) {
                    if (matcher.matches(Path.of(name))) {
                        readConf(files, dir + "/" + name, dirs, depth + 1);
                    }
                }
            } else if (line.startsWith("/")) {
                dirs.add(line);
            }
        }
    }
}
