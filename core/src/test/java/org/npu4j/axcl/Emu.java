package org.npu4j.axcl;

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
import org.npu4j.Emulator;

/**
 * Test access to the emulated AXCL runtime: where it is, its example models, its introspection
 * helpers ({@code npu4j_axcl_emulator.h}), and the process environment it reads on every call.
 *
 * <p>By default the runtime and models come from the npu4j-native jar ({@link Emulator}). The system
 * property {@code npu4j.axcl.library} (read by npu4j itself) and {@code npu4j.test.axcl.models} (a
 * directory) point the tests at another build.
 */
final class Emu {
    private static final Linker LINKER = Linker.nativeLinker();

    private Emu() {}

    static AxclRuntime.Options options() {
        return System.getProperty("npu4j.axcl.library") != null ? AxclRuntime.Options.defaults()
                : AxclRuntime.Options.emulator();
    }

    static Path model(String name) {
        String dir = System.getProperty("npu4j.test.axcl.models");
        return dir != null ? Path.of(dir, name) : Emulator.model("axcl", name);
    }

    /** A descriptor written to a temporary file (the emulator's model format, see its README). */
    static Path descriptor(String text) {
        try {
            Path f = Files.createTempFile("npu4j-axcl-test-", ".model");
            f.toFile().deleteOnExit();
            Files.writeString(f, text);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An axclInit configuration written to a temporary file. */
    static Path config(String json) {
        try {
            Path f = Files.createTempFile("npu4j-axcl-test-", ".json");
            f.toFile().deleteOnExit();
            Files.writeString(f, json);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MethodHandle handle(SymbolLookup lookup, String name, FunctionDescriptor d) {
        MemorySegment addr = lookup.find(name)
                .orElseThrow(() -> new AssertionError(name + " not found: is the loaded libaxcl_rt.so npu4j's emulator?"));
        return LINKER.downcallHandle(addr, d);
    }

    /** Live objects of one kind ({@code npu4j_emulator_axcl_live}), e.g. "device_allocations", "ios". */
    static long live(String kind) {
        try (Arena a = Arena.ofConfined()) {
            return (long) handle(SymbolLookup.loaderLookup(), "npu4j_emulator_axcl_live",
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)).invokeExact(a.allocateFrom(kind));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Executes attempted in this process ({@code npu4j_emulator_axcl_execute_count}). */
    static long executeCount() {
        try {
            return (long) handle(SymbolLookup.loaderLookup(), "npu4j_emulator_axcl_execute_count",
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The line the last axclFinalize printed ({@code npu4j_emulator_axcl_finalize_report}). */
    static String finalizeReport() {
        try {
            MemorySegment s = (MemorySegment) handle(SymbolLookup.loaderLookup(), "npu4j_emulator_axcl_finalize_report",
                    FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            return s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** 1 when {@code p} points into a live device allocation. */
    static boolean isDevicePointer(MemorySegment p) {
        try {
            return (int) handle(SymbolLookup.loaderLookup(), "npu4j_emulator_axcl_is_device_pointer",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS)).invokeExact(p) == 1;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * POSIX setenv in this process: the emulator reads its fault-injection and speed variables on every
     * call. Only call while no other thread is inside the emulator (setenv and getenv race in glibc).
     */
    static void setenv(String name, String value) {
        org.npu4j.ProcessEnv.setenv(name, value);
    }

    /** POSIX unsetenv (see {@link #setenv}). */
    static void unsetenv(String name) {
        org.npu4j.ProcessEnv.unsetenv(name);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
