package org.npu4j.springai;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The emulated runtimes' knobs and counters for tests: {@code NPU4J_EMULATOR_SPEED} is read by the
 * emulator at each run (libc {@code setenv}, since the JVM's environment is read-only), and
 * {@code npu4j_emulator_live_allocations()} counts the heap blocks it owns.
 */
final class EmulatorEnv {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SETENV = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("setenv"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private EmulatorEnv() {}

    /** Sets the emulators' speed factor (1 = the board's timing, 0 = no delays) for the runs that follow. */
    static void speed(String factor) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) SETENV.invokeExact(a.allocateFrom("NPU4J_EMULATOR_SPEED"), a.allocateFrom(factor), 1);
            if (rc != 0) {
                throw new IllegalStateException("setenv failed");
            }
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /** Heap blocks the emulator owns right now. */
    static long liveAllocations() {
        MemorySegment fn = SymbolLookup.loaderLookup().findOrThrow("npu4j_emulator_live_allocations");
        try {
            return (long) LINKER.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
