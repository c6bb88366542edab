package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** On this machine, for real: sched_setaffinity through FFM, read back two ways. */
class ThreadAffinityTest {

    private static List<Integer> cpusAllowedFromProc() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return CpuList.parse(line.substring("Cpus_allowed_list:".length()));
            }
        }
        throw new AssertionError("no Cpus_allowed_list in /proc/thread-self/status");
    }

    @Test
    void pinsTheCallingThreadToCpu0AndRestoresThePreviousMask() throws Exception {
        List<Integer> before = ThreadAffinity.current();
        assertFalse(before.isEmpty());
        assertEquals(before, cpusAllowedFromProc());
        try (ThreadAffinity.Pin pin = ThreadAffinity.pin(0)) {
            assertEquals(List.of(0), pin.cpus());
            assertEquals(before, pin.previous());
            assertEquals(List.of(0), ThreadAffinity.current());
            assertEquals(List.of(0), cpusAllowedFromProc());
        }
        assertEquals(before, ThreadAffinity.current());
        assertEquals(before, cpusAllowedFromProc());
    }

    @Test
    void pinsToTheBigCoresOfThisMachine() throws Exception {
        List<Integer> big = CpuTopology.system().bigCores();
        List<Integer> before = ThreadAffinity.current();
        try (ThreadAffinity.Pin pin = ThreadAffinity.pin(big)) {
            assertEquals(big, pin.cpus());
            assertEquals(big, cpusAllowedFromProc());
        }
        assertEquals(before, cpusAllowedFromProc());
    }

    @Test
    void onlyTheCallingThreadIsPinned() throws Exception {
        List<Integer> before = ThreadAffinity.current();
        AtomicReference<List<Integer>> other = new AtomicReference<>();
        try (ThreadAffinity.Pin pin = ThreadAffinity.pin(0)) {
            Thread t = Thread.ofPlatform().start(() -> other.set(ThreadAffinity.current()));
            t.join();
            assertEquals(List.of(0), pin.cpus());
        }
        // A thread started while pinned inherits the mask (Linux clone semantics)...
        assertEquals(List.of(0), other.get());
        Thread t = Thread.ofPlatform().start(() -> other.set(ThreadAffinity.current()));
        t.join();
        // ...and one started after the restore does not.
        assertEquals(before, other.get());
    }

    @Test
    void refusesWhatItCannotDo() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> ThreadAffinity.pin(List.of()));
        assertThrows(IllegalArgumentException.class, () -> ThreadAffinity.pin(1024));
        // CPU 1000 does not exist: the kernel says EINVAL, nothing changes.
        List<Integer> before = ThreadAffinity.current();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ThreadAffinity.pin(1000));
        assertTrue(e.getMessage().contains("errno 22"), e.getMessage());
        assertEquals(before, ThreadAffinity.current());

        AtomicReference<Throwable> virtual = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try {
                ThreadAffinity.pin(0).close();
            } catch (Throwable x) {
                virtual.set(x);
            }
        }).join();
        assertTrue(virtual.get() instanceof IllegalStateException, String.valueOf(virtual.get()));

        ThreadAffinity.Pin pin = ThreadAffinity.pin(0);
        AtomicReference<Throwable> fromOther = new AtomicReference<>();
        Thread.ofPlatform().start(() -> {
            try {
                pin.close();
            } catch (Throwable x) {
                fromOther.set(x);
            }
        }).join();
        assertTrue(fromOther.get() instanceof IllegalStateException);
        pin.close();
        assertEquals(before, ThreadAffinity.current());
    }
}
