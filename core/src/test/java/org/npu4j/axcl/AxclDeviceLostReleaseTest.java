package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A card lost after many executes ({@code NPU4J_EMULATOR_AXCL_DEVICE_LOST}, issue 12): closing
 * everything must still release every step it can and report the first failure after; the
 * emulator's finalize line (what was left when {@code axclFinalize} came) then counts nothing.
 *
 * <p>On the thread that used the device everything is released, {@code engine_inits=0} included. On
 * a thread that never used it (another platform thread, a virtual thread) the lost card refuses to
 * make the device's context current ({@code axclrtSetCurrentContext} fails like every call), and
 * {@code axclrtEngineUnload} and {@code axclrtEngineFinalize} act through the current context only:
 * there the model and the engine's init are the steps that cannot be done (their host side goes with
 * {@code axclFinalize}); memory, IO, IO infos, streams and contexts are released.
 */
class AxclDeviceLostReleaseTest {
    /** As in the issue: the card drops off after 2000 executes. */
    static final int LOST_AFTER = 2000;

    @AfterEach
    void clean() {
        Emu.unsetenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST");
        assertEquals(0, AxclRuntime.openHandles());
    }

    /** Runs until the card is lost, then closes with {@code closer}; returns the close's exception. */
    private static AxclException loseTheCardAndClose(Consumer<Runnable> closer) {
        AxclRuntime axcl = AxclRuntime.acquire(Emu.options());
        AxModel m = axcl.device().load(Emu.model("identity-small.model"));
        AxSession s = m.newSession();
        AxBinding b = s.bind();
        AxSession s2 = m.newSession();
        AxBinding b2 = s2.bind();
        b2.run();
        Emu.setenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST", Long.toString(Emu.executeCount() + LOST_AFTER));
        int runs = 0;
        AxclException lost = null;
        while (lost == null && runs <= LOST_AFTER + 1) {
            try {
                b.run();
                runs++;
            } catch (AxclException e) {
                lost = e;
            }
        }
        assertTrue(lost != null, "the card was not lost after " + runs + " runs");
        assertEquals(0x80300181, lost.code(), lost.getMessage());
        AxclException[] closing = new AxclException[1];
        closer.accept(() -> closing[0] = assertThrows(AxclException.class, axcl::close));
        assertTrue(b.isClosed() && b2.isClosed() && s.isClosed() && m.isClosed() && axcl.isClosed());
        return closing[0];
    }

    /** {@code engineToo}: also the model and the engine init (which need the device's context current). */
    private static void assertNothingLeft(AxclException closing, boolean engineToo) {
        assertEquals(0x80300181, closing.code(), "the first failure is reported: " + closing.getMessage());
        String report = Emu.finalizeReport();
        List<String> counters = new ArrayList<>(List.of("live_device_allocations=0", "live_host_allocations=0",
                "live_contexts=0", "live_streams=0", "live_io_infos=0", "live_ios=0", "active_devices=0"));
        if (engineToo) {
            counters.addAll(List.of("live_models=0", "live_engine_contexts=0", "engine_inits=0"));
        }
        for (String counter : counters) {
            assertTrue(report.contains(counter), "finalize after a lost card: expected " + counter + " in " + report);
        }
        assertEquals(0, AxclRuntime.openHandles());
    }

    @Test
    void closingOnTheThreadThatRanReleasesEverything() {
        assertNothingLeft(loseTheCardAndClose(Runnable::run), true);
    }

    @Test
    void closingOnAnotherPlatformThreadReleasesEverything() {
        assertNothingLeft(loseTheCardAndClose(close -> onThread(Thread.ofPlatform().unstarted(close))), false);
    }

    @Test
    void closingOnAVirtualThreadReleasesEverything() {
        assertNothingLeft(loseTheCardAndClose(close -> onThread(Thread.ofVirtual().unstarted(close))), false);
    }

    /** Runs {@code t} to its end and rethrows what it threw. */
    private static void onThread(Thread t) {
        Throwable[] thrown = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> thrown[0] = e);
        t.start();
        try {
            assertTrue(t.join(Duration.ofSeconds(30)), "the closing thread did not end");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        if (thrown[0] instanceof RuntimeException r) {
            throw r;
        }
        if (thrown[0] instanceof Error e) {
            throw e;
        }
    }
}
