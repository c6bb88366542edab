package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.npu4j.axcl.ffi.Axcl;

/**
 * The emulator's injected faults (environment variables it reads on every call, set here with POSIX
 * setenv while no other thread is inside the runtime), device memory exhaustion, and use after finalize.
 */
class AxclFaultsTest {

    @AfterEach
    void clean() {
        Emu.unsetenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE");
        Emu.unsetenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST");
        assertEquals(0, AxclRuntime.openHandles());
    }

    @Test
    void aFailedExecuteThrowsAndTheNextCallWorks() {
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options());
             AxModel m = axcl.device().load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            b.run();
            Emu.setenv("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE", Long.toString(Emu.executeCount() + 1));
            AxclException e = assertThrows(AxclException.class, b::run);
            assertEquals(0x8030070C, e.code());
            assertEquals("axclrtEngineExecute", e.function());
            assertSame(AxclException.SubModule.ENGINE, e.subModule());
            assertEquals("EXECUTE_FAIL", e.errorName());
            assertTrue(e.getMessage().contains("identity-small.model"), e.getMessage());
            b.input(0).setAtIndex(ValueLayout.JAVA_INT, 0, 5);
            b.run();
            assertEquals(5, b.output(0).getAtIndex(ValueLayout.JAVA_INT, 0));
        }
    }

    @Test
    void aLostCardFailsEveryCallAndStillReleasesEverything() {
        AxclRuntime axcl = AxclRuntime.acquire(Emu.options());
        AxModel m = axcl.device().load(Emu.model("identity-small.model"));
        AxSession s = m.newSession();
        AxBinding b = s.bind();
        b.run();
        // The card drops off the bus once it has done one more execute: the copy of its result fails.
        Emu.setenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST", Long.toString(Emu.executeCount() + 1));
        AxclException lost = assertThrows(AxclException.class, b::run);
        assertEquals("runtime/DEVICE/NO_CONNECT (0x80300181)", AxclException.describe(lost.code()));
        assertEquals("axclrtMemcpy", lost.function());
        assertTrue(lost.getMessage().contains("output"), lost.getMessage());
        AxclException next = assertThrows(AxclException.class, b::run);
        assertTrue(next.getMessage().contains(": input"), "now already the first copy fails: " + next.getMessage());
        AxclException props = assertThrows(AxclException.class, () -> axcl.deviceProperties(1));
        assertEquals(0x80300181, props.code());
        assertThrows(AxclException.class, m::newSession);

        // Closing reports the loss but releases the host side and finalises.
        AxclException closing = assertThrows(AxclException.class, axcl::close);
        assertEquals(0x80300181, closing.code());
        assertTrue(b.isClosed() && s.isClosed() && m.isClosed() && axcl.isClosed());
        assertEquals(0, AxclRuntime.openHandles());

        // The card "comes back" when the variable goes: a new runtime works.
        Emu.unsetenv("NPU4J_EMULATOR_AXCL_DEVICE_LOST");
        try (AxclRuntime again = AxclRuntime.acquire(Emu.options());
             AxModel m2 = again.device().load(Emu.model("identity-small.model"));
             AxSession s2 = m2.newSession();
             AxBinding b2 = s2.bind()) {
            b2.run();
        }
    }

    @Test
    void deviceOutOfMemoryFailsTheAllocationAndLeaksNothing() {
        Path tiny = Emu.config("{\"npu4j_emulator\": {\"devices\": [{\"bdf\": \"0000:01:00.0\", \"cmm_mib\": 1}]}}");
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options().withConfig(tiny));
             AxModel m = axcl.device().load(Emu.model("identity-small.model"));
             AxSession s = m.newSession()) {
            long devBefore = Emu.live("device_allocations");
            long hostBefore = Emu.live("host_allocations");
            // 2,000 items of 1 KiB per buffer: the input buffer alone is larger than the 1 MiB CMM.
            AxclException e = assertThrows(AxclException.class, () -> s.bind(0, 2000));
            assertEquals("runtime/MEMORY/NO_MEMORY (0x80300507)", AxclException.describe(e.code()));
            assertEquals("axclrtMalloc", e.function());
            assertTrue(e.getMessage().contains("input"), "names the tensor: " + e.getMessage());
            assertEquals(devBefore, Emu.live("device_allocations"));
            assertEquals(hostBefore, Emu.live("host_allocations"));
            assertEquals(0, Emu.live("ios"), "the half-built binding was undone");
            // a model that does not fit the card at all
            AxclException load = assertThrows(AxclException.class, () -> axcl.device().load(Emu.model("mobilenetv2.model")));
            assertSame(AxclException.SubModule.ENGINE, load.subModule(), load.getMessage());
            // the session still works with a binding that fits
            try (AxBinding b = s.bind()) {
                b.run();
            }
        }
    }

    @Test
    void afterFinalizeHandlesAreClosedAndTheRuntimeSaysSo() {
        AxclRuntime axcl = AxclRuntime.acquire(Emu.options());
        AxBinding b = axcl.device().load(Emu.model("identity-small.model")).newSession().bind();
        axcl.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, b::run);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        // Below the API, the finalised runtime refuses work.
        try (Arena a = Arena.ofConfined()) {
            int rc = Axcl.axclrtMalloc(a.allocate(ValueLayout.ADDRESS), 64, Axcl.AXCL_MEM_MALLOC_NORMAL_ONLY());
            assertEquals("runtime/DEVICE/NO_ACTIVE_DEVICE (0x80300185)", AxclException.describe(rc));
        }
    }
}
