package org.npu4j.serve;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The process environment through POSIX {@code setenv} / {@code unsetenv}: the RKLLM emulator reads its
 * fault-injection variables at every run ({@code native/emulator/rkllm/README.md}), and surefire cannot
 * set environment variables per test.
 */
final class EmulatorEnv {
    /** After N token callbacks the run stops with {@code RKLLM_RUN_ERROR}. */
    static final String DIE_AFTER_TOKENS = "NPU4J_EMULATOR_DIE_AFTER_TOKENS";

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SETENV = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("setenv"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle UNSETENV = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("unsetenv"),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private EmulatorEnv() {}

    static void set(String name, String value) {
        try (Arena a = Arena.ofConfined()) {
            if ((int) SETENV.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1) != 0) {
                throw new IllegalStateException("setenv " + name + " failed");
            }
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }

    static void unset(String name) {
        try (Arena a = Arena.ofConfined()) {
            if ((int) UNSETENV.invokeExact(a.allocateFrom(name)) != 0) {
                throw new IllegalStateException("unsetenv " + name + " failed");
            }
        } catch (Throwable t) {
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
    }
}
