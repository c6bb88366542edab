package org.npu4j.chat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Holds back what the process writes to its standard error (file descriptor 2) for a while: the RKLLM
 * runtime logs its banner and model details there when a model loads (the vendor runtime does, and
 * npu4j's emulator copies it). The chat keeps that quiet unless {@code --verbose}, and still shows
 * warnings and errors. POSIX {@code dup}/{@code dup2}/{@code open} through the FFM API; Linux only
 * ({@code /proc/self/fd}).
 */
final class NativeStderr {
    private static final int STDERR = 2;
    private static final int O_WRONLY = 1;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final MethodHandle DUP = fn("dup", ValueLayout.JAVA_INT);
    private static final MethodHandle DUP2 = fn("dup2", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final MethodHandle CLOSE = fn("close", ValueLayout.JAVA_INT);
    private static final MethodHandle ISATTY = fn("isatty", ValueLayout.JAVA_INT);
    private static final MethodHandle OPEN = fn("open", ValueLayout.ADDRESS, ValueLayout.JAVA_INT);

    private final Path file;
    private final int saved;
    private @Nullable PrintStream original;

    private NativeStderr(Path file, int saved) {
        this.file = file;
        this.saved = saved;
    }

    private static MethodHandle fn(String name, ValueLayout... args) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), FunctionDescriptor.of(ValueLayout.JAVA_INT, args));
    }

    /** Starts holding back; null where that is not possible (then nothing changed). */
    static @Nullable NativeStderr capture() {
        if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
            return null;
        }
        try {
            Path file = Files.createTempFile("npu4j-chat-runtime-", ".log");
            System.err.flush();
            int saved = (int) DUP.invokeExact(STDERR);
            if (saved < 0) {
                Files.deleteIfExists(file);
                return null;
            }
            int fd;
            try (Arena a = Arena.ofConfined()) {
                fd = (int) OPEN.invokeExact(a.allocateFrom(file.toString()), O_WRONLY);
            }
            if (fd < 0 || (int) DUP2.invokeExact(fd, STDERR) < 0) {
                int ignored = (int) CLOSE.invokeExact(saved);
                Files.deleteIfExists(file);
                return null;
            }
            int ignored = (int) CLOSE.invokeExact(fd);
            return new NativeStderr(file, saved);
        } catch (Throwable t) {
            return null;
        }
    }

    /** Whether file descriptor {@code fd} is a terminal. */
    static boolean isTerminal(int fd) {
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The standard error as it was before the capture, if it is a terminal (for a spinner); else null. */
    @Nullable PrintStream terminal() {
        if (!isTerminal(saved)) {
            return null;
        }
        if (original == null) {
            try {
                original = new PrintStream(new FileOutputStream("/proc/self/fd/" + saved), true,
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                return null;
            }
        }
        return original;
    }

    /** Stops holding back and returns the lines written meanwhile. */
    List<String> restore() {
        System.err.flush();
        try {
            int ignored = (int) DUP2.invokeExact(saved, STDERR);
            ignored = (int) CLOSE.invokeExact(saved);
        } catch (Throwable t) {
            // nothing better to do: the descriptor stays as it is
        }
        if (original != null) {
            original.close();
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            Files.deleteIfExists(file);
            return lines;
        } catch (IOException e) {
            return List.of();
        }
    }
}
