package org.npu4j.rkllm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Test helpers that talk to the C side directly: the process environment (POSIX {@code setenv} /
 * {@code unsetenv}: the emulator reads its fault-injection variables at every init and run, and
 * surefire cannot set environment variables per test) and the emulator's allocation counter.
 */
final class NativeEnv {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SETENV = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("setenv"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle UNSETENV = LINKER.downcallHandle(
            LINKER.defaultLookup().findOrThrow("unsetenv"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    /** Fault injection variables of the RKLLM emulator (native/emulator/rkllm/README.md). */
    static final String FAIL_INIT = "NPU4J_EMULATOR_FAIL_INIT";
    static final String FAIL_RUN = "NPU4J_EMULATOR_FAIL_RUN";
    static final String DIE_AFTER_TOKENS = "NPU4J_EMULATOR_DIE_AFTER_TOKENS";
    static final String STALL_MS = "NPU4J_EMULATOR_STALL_MS";
    static final String SPEED = "NPU4J_EMULATOR_SPEED";

    private NativeEnv() {}

    static void set(String name, String value) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) SETENV.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) {
                throw new IllegalStateException("setenv " + name + " failed");
            }
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    static void unset(String name) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) UNSETENV.invokeExact(a.allocateFrom(name));
            if (rc != 0) {
                throw new IllegalStateException("unsetenv " + name + " failed");
            }
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    /** Heap blocks the emulator owns right now ({@code npu4j_emulator_live_allocations()}). */
    static long emulatorLiveAllocations() {
        MemorySegment fn = SymbolLookup.loaderLookup().findOrThrow("npu4j_emulator_live_allocations");
        try {
            return (long) LINKER.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
