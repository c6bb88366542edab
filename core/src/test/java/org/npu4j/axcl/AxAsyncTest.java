package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.metrics.Stage;

/** Execution on an AXCL stream, completed through a CompletableFuture. */
class AxAsyncTest {
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

    @Test
    void runsOnAStreamAndCompletesTheFuture() throws Exception {
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            m.latency().reset();
            b.input(0).setAtIndex(ValueLayout.JAVA_FLOAT, 10, 3.5f);
            CompletableFuture<AxBinding> f = b.runAsync();
            assertSame(b, f.get(10, TimeUnit.SECONDS));
            assertEquals(3.5f, b.output(0).getAtIndex(ValueLayout.JAVA_FLOAT, 10));
            assertEquals(1, Emu.live("streams"));

            // a chain of calls, each queued when the previous one completed
            CompletableFuture<AxBinding> chain = CompletableFuture.completedFuture(b);
            for (int i = 0; i < 100; i++) {
                int v = i;
                chain = chain.thenCompose(x -> {
                    x.input(0).setAtIndex(ValueLayout.JAVA_INT, 0, v);
                    return x.runAsync();
                }).thenApply(x -> {
                    assertEquals(v, x.output(0).getAtIndex(ValueLayout.JAVA_INT, 0));
                    return x;
                });
            }
            chain.get(30, TimeUnit.SECONDS);
            assertEquals(101, m.latency().snapshot().count(Stage.EXECUTE));
            assertEquals(1, Emu.live("streams"), "one stream per binding, reused");
            b.run(); // synchronous again
        }
        assertEquals(0, Emu.live("streams"), "the stream is destroyed with its binding");
    }

    @Test
    void aPendingCallHoldsTheSessionAndCloseWaitsForIt() throws Exception {
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
             AxSession s = m.newSession()) {
            AxBinding b = s.bind();
            b.input(0).fill((byte) 9);
            CompletableFuture<AxBinding> f = b.runAsync();
            assertTrue(!f.isDone(), "returned before the emulated 200 ms");
            assertThrows(IllegalStateException.class, b::run);
            assertThrows(IllegalStateException.class, b::runAsync);
            b.close();
            assertTrue(f.isDone(), "close waited for the pending call");
            assertSame(b, f.get());
            assertEquals(0, Emu.live("streams"));
        } finally {
            Emu.setenv("NPU4J_EMULATOR_SPEED", "0");
        }
    }

    @Test
    void anAsynchronousFailureCompletesTheFutureExceptionally() throws Exception {
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            b.runAsync().get();
            Emu.setenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE", Long.toString(Emu.executeCount() + 1));
            try {
                CompletableFuture<AxBinding> f = b.runAsync();
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                AxclException cause = assertInstanceOf(AxclException.class, e.getCause());
                assertEquals("runtime/ENGINE/EXECUTE_FAIL (0x8030070C)", AxclException.describe(cause.code()));
                assertEquals("axclrtSynchronizeStream", cause.function());
            } finally {
                Emu.unsetenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE");
            }
            // the session is free again and the next call works
            b.input(0).setAtIndex(ValueLayout.JAVA_INT, 0, 77);
            b.runAsync().get(10, TimeUnit.SECONDS);
            assertEquals(77, b.output(0).getAtIndex(ValueLayout.JAVA_INT, 0));
        }
    }
}
