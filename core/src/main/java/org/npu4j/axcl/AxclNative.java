package org.npu4j.axcl;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;

/**
 * Loading of {@code libaxcl_rt.so} (or the emulator) and the one place where AXCL return codes are
 * checked. Package-private: the public API is {@link AxclRuntime} and its handles.
 */
final class AxclNative {
    static final NativeLibrary.Spec SPEC = new NativeLibrary.Spec(
            "AXCL runtime",
            "libaxcl_rt.so",
            "npu4j.axcl.library",
            "NPU4J_AXCL_LIBRARY",
            "No AX650N card or AXCL host runtime on this machine? Run on the emulated AXCL runtime that"
                    + " npu4j ships in org.npu4j:npu4j-native: AxclRuntime.acquire(AxclRuntime.Options.emulator()),"
                    + " or -Dnpu4j.axcl.library=<path of Emulator.library(Emulator.Runtime.AXCL)>.");

    private static final Object LOCK = new Object();
    private static NativeLibrary.@Nullable Loaded loaded;

    private AxclNative() {}

    /**
     * Loads the AXCL runtime once per JVM. A later call with a different explicit library fails:
     * a process holds one AXCL runtime (the symbols of two would clash).
     */
    static NativeLibrary.Loaded load(@Nullable Path explicit) {
        synchronized (LOCK) {
            NativeLibrary.Loaded l = loaded;
            if (l != null) {
                if (explicit != null && !samePath(explicit, l.path())) {
                    throw new NpuException("The AXCL runtime " + l.path() + " is already loaded in this JVM (" + l.foundBy()
                            + "); cannot load " + explicit.toAbsolutePath() + " as well: one AXCL runtime per process.");
                }
                return l;
            }
            l = NativeLibrary.load(SPEC, explicit);
            loaded = l;
            return l;
        }
    }

    /** The library loaded so far, or null. */
    static NativeLibrary.@Nullable Loaded loaded() {
        synchronized (LOCK) {
            return loaded;
        }
    }

    private static boolean samePath(Path a, Path b) {
        try {
            return a.toRealPath().equals(b.toRealPath());
        } catch (java.io.IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /**
     * The one check every AXCL return code goes through: 0 is success, anything else throws.
     *
     * @throws AxclException when {@code code != 0}
     */
    static void check(int code, String function) {
        check(code, function, null);
    }

    /**
     * As {@link #check(int, String)}, with what npu4j was doing: {@code detail}'s {@code toString()},
     * computed only on failure (so hot paths pass an existing object and allocate nothing).
     */
    static void check(int code, String function, @Nullable Object detail) {
        AxclException e = error(code, function, detail);
        if (e != null) {
            throw e;
        }
    }

    /**
     * The exception for a return code, or null for success: what {@link #check} throws, for cleanup
     * paths that must go on releasing after a failure and report it later.
     */
    static @Nullable AxclException error(int code, String function, @Nullable Object detail) {
        return code == 0 ? null : new AxclException(function, code, detail == null ? null : detail.toString());
    }

    /** A NUL-terminated string returned by the runtime, or {@code fallback} for NULL. */
    static String string(MemorySegment p, String fallback) {
        Objects.requireNonNull(p);
        if (p.equals(MemorySegment.NULL) || p.address() == 0) {
            return fallback;
        }
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
