package org.npu4j.tools;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.jspecify.annotations.Nullable;

/**
 * The C side of this process: POSIX {@code setenv}/{@code unsetenv}/{@code getenv} (the emulated
 * runtimes read {@code NPU4J_EMULATOR_SPEED} and {@code NPU4J_EMULATOR_AXCL_PROFILE} from the C
 * environment when they run; {@link System#getenv} is a copy taken at JVM start and does not see
 * changes) and {@code isatty}.
 *
 * <p>Not thread-safe with respect to native code: change the environment only while no other thread
 * is inside a runtime (setenv and getenv race in glibc).
 */
final class NativeEnv {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SETENV = downcall("setenv",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle UNSETENV = downcall("unsetenv",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final MethodHandle GETENV = downcall("getenv",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle ISATTY = downcall("isatty",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private NativeEnv() {}

    private static MethodHandle downcall(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), d);
    }

    /** {@code setenv(name, value, 1)}, or {@code unsetenv(name)} when {@code value} is null. */
    static void set(String name, @Nullable String value) {
        try (Arena a = Arena.ofConfined()) {
            int rc = value == null ? (int) UNSETENV.invokeExact(a.allocateFrom(name))
                    : (int) SETENV.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 1);
            if (rc != 0) {
                throw new IllegalStateException((value == null ? "unsetenv " : "setenv ") + name + " failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code getenv(name)}: the C environment as it is now. */
    static @Nullable String get(String name) {
        try (Arena a = Arena.ofConfined()) {
            var p = (java.lang.foreign.MemorySegment) GETENV.invokeExact(a.allocateFrom(name));
            return p.address() == 0 ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Whether file descriptor {@code fd} (2 = standard error) is a terminal. */
    static boolean isatty(int fd) {
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable t) {
            return false;
        }
    }
}
