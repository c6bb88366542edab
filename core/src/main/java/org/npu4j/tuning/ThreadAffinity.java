package org.npu4j.tuning;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU affinity of the calling thread, read and set with Linux {@code sched_getaffinity} and
 * {@code sched_setaffinity} (glibc/musl, called through the FFM API; pid 0 = the calling thread; a
 * {@code cpu_set_t} of 1024 bits). Pin the thread that drives an NPU runtime to the big cores:
 *
 * {@snippet :
 * CpuTopology topology = CpuTopology.system();
 * try (ThreadAffinity.Pin pin = ThreadAffinity.pin(topology.bigCores())) {
 *     // this thread now runs on CPU4-7 of an RK3588 only
 * } // previous mask restored
 * }
 *
 * <p>Needs native access ({@code --enable-native-access=org.npu4j.core} or {@code ALL-UNNAMED}).
 * Linux only; elsewhere the methods throw {@link UnsupportedOperationException}.
 *
 * <p>Threading: every method acts on the calling thread only. A {@link Pin} must be closed by the
 * thread that created it. Virtual threads are refused: their carrier thread would be pinned, and
 * the virtual thread may move to another carrier.
 */
public final class ThreadAffinity {
    private static final Logger LOG = LoggerFactory.getLogger(ThreadAffinity.class);
    /** Bytes of a 1024-bit {@code cpu_set_t}: 16 {@code unsigned long} words. */
    private static final int CPU_SET_BYTES = CpuList.MAX_CPUS / 8;

    private ThreadAffinity() {}

    /** Calls to libc, linked on first use. */
    private static final class Libc {
        static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle GET;
        static final MethodHandle SET;
        static final MethodHandle STRERROR;

        static {
            Linker linker = Linker.nativeLinker();
            var lookup = linker.defaultLookup();
            FunctionDescriptor affinity = FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS);
            Linker.Option errno = Linker.Option.captureCallState("errno");
            GET = linker.downcallHandle(lookup.find("sched_getaffinity").orElseThrow(), affinity, errno);
            SET = linker.downcallHandle(lookup.find("sched_setaffinity").orElseThrow(), affinity, errno);
            STRERROR = linker.downcallHandle(lookup.find("strerror").orElseThrow(),
                    FunctionDescriptor.of(ADDRESS, JAVA_INT));
        }
    }

    /**
     * The CPUs the calling thread may run on.
     *
     * @return CPU numbers, ascending
     * @throws IllegalStateException        if {@code sched_getaffinity} fails (message has errno)
     * @throws UnsupportedOperationException if not on Linux
     */
    public static List<Integer> current() {
        requireLinux();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(CPU_SET_BYTES, 8);
            MemorySegment state = arena.allocate(Libc.CAPTURE);
            int rc = (int) Libc.GET.invokeExact(state, 0, (long) CPU_SET_BYTES, set);
            if (rc != 0) {
                throw failure("sched_getaffinity", state);
            }
            List<Integer> cpus = new ArrayList<>();
            for (int w = 0; w < CPU_SET_BYTES / 8; w++) {
                long word = set.getAtIndex(JAVA_LONG, w);
                for (int b = 0; b < 64; b++) {
                    if ((word & (1L << b)) != 0) {
                        cpus.add(w * 64 + b);
                    }
                }
            }
            return List.copyOf(cpus);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_getaffinity failed", t);
        }
    }

    /**
     * Restricts the calling thread to {@code cpus} until the returned handle is closed.
     *
     * @param cpus CPU numbers 0-1023, at least one of them online (e.g. {@link CpuTopology#bigCores()})
     * @return a handle whose {@link Pin#close()} restores the mask the thread had before
     * @throws IllegalArgumentException      if {@code cpus} is empty or names a CPU outside 0-1023
     * @throws IllegalStateException         if called on a virtual thread, or the kernel refuses the
     *                                       mask ({@code EINVAL}: none of the CPUs is online/allowed;
     *                                       the message has errno and its text)
     * @throws UnsupportedOperationException if not on Linux
     */
    public static Pin pin(Collection<Integer> cpus) {
        Objects.requireNonNull(cpus, "cpus");
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("No CPU to pin to");
        }
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("Cannot pin a virtual thread: its carrier thread would be pinned instead");
        }
        List<Integer> previous = current();
        set(cpus);
        LOG.debug("Pinned thread {} to CPUs {} (was {})", Thread.currentThread().getName(), CpuList.format(cpus),
                CpuList.format(previous));
        return new Pin(Thread.currentThread(), previous, List.copyOf(new TreeSet<>(cpus)));
    }

    /** {@link #pin(Collection)} with CPU numbers. */
    public static Pin pin(int... cpus) {
        List<Integer> list = new ArrayList<>();
        for (int c : cpus) {
            list.add(c);
        }
        return pin(list);
    }

    private static void requireLinux() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).contains("linux")) {
            throw new UnsupportedOperationException("Thread affinity uses Linux sched_setaffinity; this is " + os);
        }
    }

    private static void set(Collection<Integer> cpus) {
        requireLinux();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(CPU_SET_BYTES, 8);
            for (int c : cpus) {
                if (c < 0 || c >= CpuList.MAX_CPUS) {
                    throw new IllegalArgumentException("CPU " + c + " outside 0-" + (CpuList.MAX_CPUS - 1));
                }
                long word = set.getAtIndex(JAVA_LONG, c / 64);
                set.setAtIndex(JAVA_LONG, c / 64, word | (1L << (c % 64)));
            }
            MemorySegment state = arena.allocate(Libc.CAPTURE);
            int rc = (int) Libc.SET.invokeExact(state, 0, (long) CPU_SET_BYTES, set);
            if (rc != 0) {
                throw failure("sched_setaffinity(" + CpuList.format(cpus) + ")", state);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity failed", t);
        }
    }

    private static IllegalStateException failure(String call, MemorySegment state) throws Throwable {
        int errno = (int) Libc.ERRNO.get(state, 0L);
        MemorySegment msg = (MemorySegment) Libc.STRERROR.invokeExact(errno);
        String text = msg.equals(MemorySegment.NULL) ? "" : ": " + msg.reinterpret(256).getString(0);
        return new IllegalStateException(call + " failed with errno " + errno + text);
    }

    /**
     * The calling thread's pinning; {@link #close()} restores the previous mask. Not thread-safe:
     * close it on the thread that pinned (try-with-resources does).
     */
    public static final class Pin implements AutoCloseable {
        private final Thread owner;
        private final List<Integer> previous;
        private final List<Integer> cpus;
        private boolean closed;

        private Pin(Thread owner, List<Integer> previous, List<Integer> cpus) {
            this.owner = owner;
            this.previous = previous;
            this.cpus = cpus;
        }

        /** The CPUs the thread was pinned to. */
        public List<Integer> cpus() {
            return cpus;
        }

        /** The mask the thread had before, restored by {@link #close()}. */
        public List<Integer> previous() {
            return previous;
        }

        /**
         * Restores the previous mask. Idempotent.
         *
         * @throws IllegalStateException if called from another thread than the one pinned, or the
         *                               kernel refuses the previous mask (its CPUs went offline)
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("A Pin must be closed by the thread it pinned (" + owner.getName()
                        + "), not " + Thread.currentThread().getName());
            }
            closed = true;
            set(previous);
            LOG.debug("Restored thread {} to CPUs {}", owner.getName(), CpuList.format(previous));
        }
    }
}
