package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.axcl.ffi.Axcl;
import org.npu4j.metrics.Stage;

/** AXCL contexts per thread, concurrent sessions of one model, one call per session, close during a call. */
class AxThreadsTest {
    static AxclRuntime axcl;
    static AxDevice device;

    @BeforeAll
    static void open() {
        axcl = AxclRuntime.acquire(Emu.options());
        device = axcl.device();
    }

    @AfterAll
    static void close() {
        axcl.close();
    }

    /** Runs {@code body} on a new platform thread and returns what it threw, or null. */
    private static Throwable onNewThread(ThrowingRunnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        return failure.get();
    }

    interface ThrowingRunnable {
        void run() throws Throwable;
    }

    @Test
    void aRawCallFromAThreadWithoutContextFailsAndIsDecoded() throws Exception {
        AtomicReference<Integer> rc = new AtomicReference<>();
        Throwable t = onNewThread(() -> {
            try (Arena a = Arena.ofConfined()) {
                rc.set(Axcl.axclrtMalloc(a.allocate(ValueLayout.ADDRESS), 64, Axcl.AXCL_MEM_MALLOC_NORMAL_ONLY()));
            }
        });
        assertEquals(null, t);
        assertEquals(Axcl.AXCL_ERR_CONTEXT_NO_BIND_CONTEXT(), rc.get());
        assertEquals("runtime/CONTEXT/NO_BIND_CONTEXT (0x80300284)", AxclException.describe(rc.get()));
        AxclException e = new AxclException("axclrtMalloc", rc.get(), null);
        assertEquals(AxclException.SubModule.CONTEXT, e.subModule());
        assertEquals("NO_BIND_CONTEXT", e.errorName());
    }

    @Test
    void theApiBindsTheContextOnAnyThread() throws Exception {
        try (AxModel m = device.load(Emu.model("identity-small.model"))) {
            // Everything from fresh threads that never saw a context: session, binding, run, queries, close.
            Throwable t = onNewThread(() -> {
                try (AxSession s = m.newSession(); AxBinding b = s.bind()) {
                    b.input(0).setAtIndex(ValueLayout.JAVA_FLOAT, 3, 42);
                    b.run();
                    assertEquals(42f, b.output(0).getAtIndex(ValueLayout.JAVA_FLOAT, 3));
                    assertEquals(0, m.inputIndex("input"));
                }
            });
            assertEquals(null, t);
            AxSession s = m.newSession();
            AxBinding b = s.bind();
            assertEquals(null, onNewThread(b::run), "a binding made on one thread runs on another");
            assertEquals(null, onNewThread(b::close), "and closes there");
            assertEquals(null, onNewThread(() -> {
                try (AxModel other = device.load(Emu.model("affine-small.model"))) {
                    assertEquals(2, other.inputs().size());
                }
            }));
            s.close();
        }
    }

    @Test
    void rebindsAfterForeignCodeChangedTheThreadsContext() throws Exception {
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind();
             Arena a = Arena.ofConfined()) {
            b.run();
            // Foreign code creates and destroys its own context on this thread: AXCL leaves the
            // thread without a current context, which npu4j's per-thread cache cannot see.
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            assertEquals(0, Axcl.axclrtCreateContext(out, device.id()));
            assertEquals(0, Axcl.axclrtDestroyContext(out.get(ValueLayout.ADDRESS, 0)));
            AxclException e = assertThrows(AxclException.class, b::run);
            assertEquals("NO_BIND_CONTEXT", e.errorName());
            device.bindCurrentThread();
            b.run();
        }
    }

    @Test
    void severalSessionsOfOneModelRunConcurrently() throws Exception {
        int threads = 6;
        int calls = 500;
        try (AxModel m = device.load(Emu.model("identity-small.model"))) {
            m.latency().reset();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try (AxSession s = m.newSession(); AxBinding b = s.bind()) {
                        start.await();
                        for (int i = 0; i < calls; i++) {
                            float v = id * 100_000 + i;
                            for (int k = 0; k < 256; k++) {
                                b.input(0).setAtIndex(ValueLayout.JAVA_FLOAT, k, v + k);
                            }
                            b.run();
                            for (int k = 0; k < 256; k++) {
                                float got = b.output(0).getAtIndex(ValueLayout.JAVA_FLOAT, k);
                                if (got != v + k) {
                                    throw new AssertionError("thread " + id + " call " + i + ": " + got + " != " + (v + k));
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            start.countDown();
            for (Thread w : workers) {
                w.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals((long) threads * calls, m.latency().snapshot().count(Stage.EXECUTE));
            assertEquals(0, Emu.live("ios"));
        }
    }

    @Test
    void virtualThreadsRunModelsWhateverTheirCarrier() throws Exception {
        int tasks = 32;
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             ExecutorService vts = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                int id = t;
                fs.add(vts.submit(() -> {
                    try (AxSession s = m.newSession(); AxBinding b = s.bind()) {
                        for (int i = 0; i < 100; i++) {
                            b.input(0).setAtIndex(ValueLayout.JAVA_INT, 0, id * 1000 + i);
                            b.run();
                            assertEquals(id * 1000 + i, b.output(0).getAtIndex(ValueLayout.JAVA_INT, 0));
                            Thread.yield(); // give the scheduler a chance to move us to another carrier
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
    }

    @Test
    void oneSessionRunsOneCallAtATime() throws Exception {
        // A slow model (200 ms of emulated NPU time) so that the second call surely overlaps the first.
        Emu.setenv("NPU4J_EMULATOR_SPEED", "1");
        try (AxModel m = device.load(Emu.descriptor("""
                npu4j-emulator-model axcl 1
                name slow
                model_type 1core
                usage sys=4K cmm=4K
                time_ms default=200 tuned=200 native=200
                compute identity
                input  in  uint8 none 1x16
                output out uint8 none 1x16
                """));
             AxSession s = m.newSession();
             AxBinding b1 = s.bind();
             AxBinding b2 = s.bind()) {
            CountDownLatch running = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                running.countDown();
                b1.run();
            });
            running.await();
            Thread.sleep(50);
            IllegalStateException e = assertThrows(IllegalStateException.class, b2::run);
            assertTrue(e.getMessage().contains("one call per session"), e.getMessage());
            t.join();
            b2.run(); // free again
            // Another session of the same model is not blocked by a running one.
            try (AxSession other = m.newSession(); AxBinding ob = other.bind()) {
                Thread t2 = Thread.ofPlatform().start(b1::run);
                Thread.sleep(50);
                ob.run();
                t2.join();
            }
        } finally {
            Emu.setenv("NPU4J_EMULATOR_SPEED", "0");
        }
    }

    @Test
    void closingABindingWaitsForItsRunningCall() throws Exception {
        Emu.setenv("NPU4J_EMULATOR_SPEED", "1");
        try (AxModel m = device.load(Emu.descriptor("""
                npu4j-emulator-model axcl 1
                name slow
                model_type 1core
                usage sys=4K cmm=4K
                time_ms default=300 tuned=300 native=300
                compute identity
                input  in  uint8 none 1x16
                output out uint8 none 1x16
                """));
             AxSession s = m.newSession()) {
            AxBinding b = s.bind();
            b.input(0).fill((byte) 7);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    started.countDown();
                    b.run();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            started.await();
            Thread.sleep(100);
            long t0 = System.nanoTime();
            b.close(); // must not free the buffers under the running call
            long waited = System.nanoTime() - t0;
            t.join();
            assertEquals(null, failure.get(), "the running call completed normally");
            assertTrue(waited > 50_000_000L, "close waited for the call: " + waited / 1e6 + " ms");
            assertEquals(0, Emu.live("ios"));
            assertThrows(IllegalStateException.class, b::run);
        } finally {
            Emu.setenv("NPU4J_EMULATOR_SPEED", "0");
        }
    }
}
