package org.npu4j;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Test helper: POSIX setenv/unsetenv in this process. The emulators read their fault-injection,
 * platform and speed variables on every call. Only call while no other thread is inside an emulator
 * (setenv and getenv race in glibc).
 */
public final class ProcessEnv {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SETENV = handle("setenv",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle UNSETENV = handle("unsetenv",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));

    private ProcessEnv() {}

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        MemorySegment addr = LINKER.defaultLookup().find(name).orElseThrow(() -> new AssertionError(name + " not found"));
        return LINKER.downcallHandle(addr, d);
    }

    /** setenv(name, value, 1). */
    public static void setenv(String name, String value) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) SETENV.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) {
                throw new AssertionError("setenv " + name + " failed");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** unsetenv(name). */
    public static void unsetenv(String name) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) UNSETENV.invokeExact(a.allocateFrom(name));
            if (rc != 0) {
                throw new AssertionError("unsetenv " + name + " failed");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
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
