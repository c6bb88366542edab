package org.npu4j.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proves that the committed jextract bindings describe the same ABI as gcc sees in our headers
 * (native/probe), that they were generated from the headers as they are now, and that every
 * function they declare is exported by the library built from native/ for that ABI.
 */
class AbiConformanceTest {

    @ParameterizedTest
    @EnumSource(Abi.class)
    void structLayoutsEqualTheProbe(Abi abi) throws Exception {
        ProbeReport probe = ProbeReport.read(abi.probeOutput());
        Map<String, GroupLayout> java = structLayouts(abi);
        List<String> problems = new ArrayList<>();

        for (String name : new TreeSet<>(java.keySet())) {
            if (!probe.aggregates().containsKey(name)) {
                problems.add(name + ": in the bindings but not in the probe");
            }
        }
        for (ProbeReport.Aggregate c : probe.aggregates().values()) {
            GroupLayout layout = java.get(c.name());
            if (layout == null) {
                problems.add(c.name() + ": in the probe but not in the bindings");
                continue;
            }
            if (layout.byteSize() != c.size()) {
                problems.add(c.name() + ": size " + layout.byteSize() + " in Java, " + c.size() + " in C");
            }
            if (layout.byteAlignment() != c.align()) {
                problems.add(c.name() + ": alignment " + layout.byteAlignment() + " in Java, " + c.align() + " in C");
            }
            if ((layout instanceof UnionLayout) != c.union()) {
                problems.add(c.name() + ": union in one and struct in the other");
            }
            Map<String, ProbeReport.Field> javaFields = new TreeMap<>();
            flatten(layout, "", 0, javaFields);
            for (ProbeReport.Field f : c.fields().values()) {
                ProbeReport.Field j = javaFields.get(f.path());
                if (j == null) {
                    problems.add(c.name() + "." + f.path() + ": in C but missing in Java");
                } else if (j.offset() != f.offset() || j.size() != f.size()) {
                    problems.add(c.name() + "." + f.path() + ": Java offset " + j.offset() + " size " + j.size()
                            + ", C offset " + f.offset() + " size " + f.size());
                }
            }
            for (String path : javaFields.keySet()) {
                if (!c.fields().containsKey(path)) {
                    problems.add(c.name() + "." + path + ": in Java but missing in the probe");
                }
            }
        }
        assertNoProblems(abi, "layout", problems);
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void functionSignaturesEqualTheProbe(Abi abi) throws Exception {
        ProbeReport probe = ProbeReport.read(abi.probeOutput());
        Map<String, FunctionDescriptor> java = functions(abi);
        Map<String, GroupLayout> structs = structLayouts(abi);
        List<String> problems = new ArrayList<>();
        for (ProbeReport.Signature s : probe.functions().values()) {
            FunctionDescriptor d = java.get(s.name());
            if (d == null) {
                problems.add(s.name() + ": declared in C but not bound");
                continue;
            }
            String ret = d.returnLayout().map(l -> kind(l, structs)).orElse("void");
            List<String> params = d.argumentLayouts().stream().map(l -> kind(l, structs)).toList();
            if (!ret.equals(s.ret()) || !params.equals(s.params())) {
                problems.add(s.name() + ": Java " + ret + "(" + String.join(",", params) + "), C " + s.ret() + "("
                        + String.join(",", s.params()) + ")");
            }
        }
        for (String name : java.keySet()) {
            if (!probe.functions().containsKey(name)) {
                problems.add(name + ": bound in Java but not in the probe");
            }
        }
        assertNoProblems(abi, "function", problems);
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void everyBoundFunctionResolvesInTheLibraryBuiltFromNative(Abi abi) throws Exception {
        Path library = abi.emulatorLibrary();
        assertTrue(Files.isRegularFile(library), "library built from native/ not found: " + library);
        List<String> missing = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lookup = SymbolLookup.libraryLookup(library, arena);
            for (String name : functions(abi).keySet()) {
                if (lookup.find(name).isEmpty()) {
                    missing.add(name);
                }
            }
        }
        assertNoProblems(abi, "symbol missing from " + library, missing);
    }

    @ParameterizedTest
    @EnumSource(Abi.class)
    void bindingsWereGeneratedFromTheCurrentHeaders(Abi abi) throws Exception {
        String resource = "/" + abi.javaPackage.replace('.', '/') + "/jextract.stamp";
        String stamp;
        try (var in = abi.header().getResourceAsStream(resource)) {
            assertTrue(in != null, "stamp " + resource + " missing: run native/jextract.sh");
            stamp = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Map<String, String> recorded = new TreeMap<>();
        stamp.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> {
            String[] t = l.split("\\s+", 2);
            recorded.put(t[1].trim(), t[0]);
        });

        Path nativeDir = Abi.nativeSources();
        Map<String, String> current = new TreeMap<>();
        try (Stream<Path> headers = Files.walk(nativeDir.resolve("include").resolve(abi.includeDir))) {
            for (Path h : headers.filter(p -> p.toString().endsWith(".h")).toList()) {
                current.put(nativeDir.relativize(h).toString(), sha256(h));
            }
        }
        Path args = nativeDir.resolve("jextract").resolve(abi.allowList + ".args");
        current.put(nativeDir.relativize(args).toString(), sha256(args));
        assertEquals(recorded, current, abi + ": the bindings in " + abi.javaPackage
                + " were generated from other inputs than native/ holds now: run native/jextract.sh");
    }

    // --- the generated code, read by reflection ---

    /** Every top-level generated struct/union class of the package, by C typedef name. */
    private static Map<String, GroupLayout> structLayouts(Abi abi) throws Exception {
        Map<String, GroupLayout> result = new TreeMap<>();
        for (String simpleName : classNames(abi)) {
            Class<?> c = Class.forName(abi.javaPackage + "." + simpleName);
            try {
                Method m = c.getMethod("layout");
                if (Modifier.isStatic(m.getModifiers()) && m.invoke(null) instanceof GroupLayout g) {
                    result.put(simpleName, g);
                }
            } catch (NoSuchMethodException notAStruct) {
                // functional interfaces and the header class
            }
        }
        return result;
    }

    /**
     * Every function of the header class, by C name, from its {@code NAME$descriptor()} method.
     * The generated holder of a descriptor also resolves the symbol when it is initialised, so the
     * ABI's library is loaded first (this test class runs in a JVM of its own).
     */
    private static Map<String, FunctionDescriptor> functions(Abi abi) throws Exception {
        Path library = abi.emulatorLibrary();
        assertTrue(Files.isRegularFile(library), "library built from native/ not found: " + library);
        System.load(library.toString());
        Map<String, FunctionDescriptor> result = new TreeMap<>();
        for (Method m : abi.header().getMethods()) {
            if (m.getName().endsWith("$descriptor") && m.getParameterCount() == 0
                    && m.getReturnType() == FunctionDescriptor.class && Modifier.isStatic(m.getModifiers())) {
                result.put(m.getName().substring(0, m.getName().length() - "$descriptor".length()),
                        (FunctionDescriptor) m.invoke(null));
            }
        }
        if (result.isEmpty()) {
            fail(abi + ": no function found in " + abi.header());
        }
        return result;
    }

    /** Simple names of the top-level classes of the package, from the jar or directory that holds it. */
    private static List<String> classNames(Abi abi) throws Exception {
        URI location = abi.header().getProtectionDomain().getCodeSource().getLocation().toURI();
        Path root = Path.of(location);
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(root)) {
            collect(root.resolve(abi.javaPackage.replace('.', '/')), names);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(root)) {
                collect(jar.getPath(abi.javaPackage.replace('.', '/')), names);
            }
        }
        return names;
    }

    private static void collect(Path dir, List<String> names) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .map(n -> n.substring(0, n.length() - ".class".length()))
                    .forEach(names::add);
        }
    }

    /**
     * Field paths as the probe prints them: members of anonymous groups under their own name,
     * members of named nested groups as {@code outer.inner}, padding left out.
     */
    private static void flatten(GroupLayout group, String prefix, long base, Map<String, ProbeReport.Field> out) {
        long offset = base;
        boolean union = group instanceof UnionLayout;
        for (MemoryLayout member : group.memberLayouts()) {
            if (!(member instanceof PaddingLayout)) {
                String name = member.name().orElse("");
                boolean anonymous = name.isEmpty() || name.startsWith("$anon$");
                if (anonymous && member instanceof GroupLayout g) {
                    flatten(g, prefix, offset, out);
                } else {
                    String path = prefix + name;
                    out.put(path, new ProbeReport.Field(path, offset, member.byteSize()));
                    if (member instanceof GroupLayout g) {
                        flatten(g, path + ".", offset, out);
                    }
                }
            }
            if (!union) {
                offset += member.byteSize();
            }
        }
    }

    private static String kind(MemoryLayout layout, Map<String, GroupLayout> structs) {
        return switch (layout) {
            case AddressLayout a -> "ptr";
            case ValueLayout.OfBoolean b -> "bool";
            case ValueLayout.OfFloat f -> "f32";
            case ValueLayout.OfDouble d -> "f64";
            case ValueLayout v -> "i" + (v.byteSize() * 8);
            case GroupLayout g -> "struct:" + structs.entrySet().stream()
                    .filter(e -> e.getValue().equals(g)).map(Map.Entry::getKey).findFirst()
                    .orElse("?" + g);
            default -> "?" + layout;
        };
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static void assertNoProblems(Abi abi, String what, List<String> problems) {
        if (!problems.isEmpty()) {
            fail(abi + ": " + problems.size() + " " + what + " mismatch(es):\n  " + String.join("\n  ", problems));
        }
    }
}
