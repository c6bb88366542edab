package org.npu4j.rknn;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;

/**
 * Loading of {@code librknnrt.so} (or the emulator), the version string in the file, the lookup of
 * functions some builds lack, and the one place where RKNN return codes are checked.
 * Package-private: the public API is {@link RknnRuntime} and its handles.
 */
final class RknnNative {
    static final NativeLibrary.Spec SPEC = new NativeLibrary.Spec(
            "RKNN runtime",
            "librknnrt.so",
            "npu4j.rknn.library",
            "NPU4J_RKNN_LIBRARY",
            "No Rockchip NPU or librknnrt.so on this machine? Run on the emulated RKNN runtime that npu4j ships in"
                    + " org.npu4j:npu4j-native: RknnRuntime.emulator(), or"
                    + " -Dnpu4j.rknn.library=<path of Emulator.library(Emulator.Runtime.RKNN)>.");

    /** The marker of the version string in the library file (shared/facts/rknn.md "Versions"). */
    static final String VERSION_MARKER = "librknnrt version: ";

    private static final Object LOCK = new Object();
    private static NativeLibrary.@Nullable Loaded loaded;
    private static final Map<String, Boolean> SYMBOLS = new ConcurrentHashMap<>();

    private RknnNative() {}

    /** Loads the RKNN runtime once per JVM; a different explicit library later fails (one per process). */
    static NativeLibrary.Loaded load(@Nullable Path explicit) {
        synchronized (LOCK) {
            NativeLibrary.Loaded l = loaded;
            if (l != null) {
                if (explicit != null && !samePath(explicit, l.path())) {
                    throw new NpuException("The RKNN runtime " + l.path() + " is already loaded in this JVM (" + l.foundBy()
                            + "); cannot load " + explicit.toAbsolutePath() + " as well: one RKNN runtime per process.");
                }
                return l;
            }
            l = NativeLibrary.load(SPEC, explicit);
            loaded = l;
            return l;
        }
    }

    private static boolean samePath(Path a, Path b) {
        try {
            return a.toRealPath().equals(b.toRealPath());
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /**
     * Whether the loaded library exports {@code function}: looked up on first use and remembered. The
     * generated bindings resolve each function on its first call; calling an absent one would throw
     * from the binding's static initialiser, so callers check here first.
     */
    static boolean has(String function) {
        return SYMBOLS.computeIfAbsent(function, f -> SymbolLookup.loaderLookup().find(f).isPresent());
    }

    /**
     * Throws unless the loaded library exports {@code function}.
     *
     * @throws UnsupportedOperationException naming the function, the library and its version
     */
    static void require(String function, String what) {
        if (!has(function)) {
            NativeLibrary.Loaded l = loaded;
            String lib = l == null ? "the RKNN runtime" : l.path().toString();
            String version = l == null ? "" : versionInFile(l.path()).map(v -> " (version " + v + ")").orElse("");
            throw new UnsupportedOperationException(what + " is not supported by " + lib + version + ": it does not export "
                    + function);
        }
    }

    /**
     * The version the library file says it is: the text after {@code "librknnrt version: "} up to and
     * including the first {@code ')'} (e.g. {@code 2.3.2 (429f97ae6b@2025-04-09T09:09:27)}), read
     * without loading the file. Empty when the file has no such string or cannot be read.
     */
    static Optional<String> versionInFile(Path file) {
        byte[] marker = VERSION_MARKER.getBytes(StandardCharsets.US_ASCII);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            byte[] carry = new byte[0];
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] window = new byte[carry.length + n];
                System.arraycopy(carry, 0, window, 0, carry.length);
                System.arraycopy(buf, 0, window, carry.length, n);
                int at = indexOf(window, marker);
                if (at >= 0) {
                    StringBuilder v = new StringBuilder();
                    int i = at + marker.length;
                    while (true) {
                        if (i == window.length) {
                            int more = in.read(buf);
                            if (more <= 0) {
                                break;
                            }
                            window = java.util.Arrays.copyOf(buf, more);
                            i = 0;
                        }
                        int c = window[i++] & 0xff;
                        if (c < 0x20 || c > 0x7e || v.length() > 200) {
                            break;
                        }
                        v.append((char) c);
                        if (c == ')') {
                            break;
                        }
                    }
                    return v.isEmpty() ? Optional.empty() : Optional.of(v.toString().trim());
                }
                int keep = Math.min(window.length, marker.length - 1);
                carry = java.util.Arrays.copyOfRange(window, window.length - keep, window.length);
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * The one check every RKNN return code goes through: 0 is success, anything else throws.
     * {@code detail}'s {@code toString()} is computed only on failure.
     *
     * @throws RknnException when {@code code != 0}
     */
    static void check(int code, String function, @Nullable Object detail) {
        if (code != 0) {
            throw new RknnException(function, code, detail == null ? null : detail.toString());
        }
    }
}
