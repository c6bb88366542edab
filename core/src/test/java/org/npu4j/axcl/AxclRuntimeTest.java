package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.npu4j.NpuException;

/** Runtime initialisation, reference counting, devices, versions, lifetimes of the handle tree. */
class AxclRuntimeTest {

    @AfterEach
    void nothingLeftOpen() {
        assertEquals(0, AxclRuntime.openHandles(), "a test left a runtime handle open");
    }

    @Test
    void reportsVersionSocAndDevices() {
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options())) {
            AxclRuntime.Version v = axcl.runtimeVersion();
            assertEquals(3, v.major());
            assertEquals(10, v.minor());
            assertTrue(v.full().contains("emulator"), v.full());
            assertTrue(axcl.isEmulator());
            assertTrue(axcl.socName().startsWith("AX650N"), axcl.socName());

            List<Integer> ids = axcl.deviceIds();
            assertEquals(List.of(1), ids, "the default emulated card sits at 0000:01:00.0, id = bus number");
            AxclRuntime.DeviceProperties p = axcl.deviceProperties(ids.getFirst());
            assertEquals(1, p.deviceId());
            assertEquals(1, p.pciBus());
            assertTrue(p.softwareVersion().contains("emulator"), p.softwareVersion());
            assertTrue(p.totalMemoryKiB() > 0 && p.freeMemoryKiB() <= p.totalMemoryKiB(), p.toString());
            assertTrue(p.totalCmmKiB() > 0 && p.freeCmmKiB() <= p.totalCmmKiB(), p.toString());
            assertTrue(p.npuLoadPercent() >= 0 && p.npuLoadPercent() <= 100, p.toString());
            assertTrue(p.cpuLoadPercent() >= 0 && p.cpuLoadPercent() <= 100, p.toString());
            assertTrue(p.temperature() != 0, p.toString());

            AxclException bad = assertThrows(AxclException.class, () -> axcl.deviceProperties(77));
            assertEquals("INVALID_ID", bad.errorName());
            assertSame(AxclException.SubModule.DEVICE, bad.subModule());
        }
    }

    @Test
    void initialisesOnceAndFinalisesOnTheLastClose() {
        AxclRuntime a = AxclRuntime.acquire(Emu.options());
        AxclRuntime b = AxclRuntime.acquire(Emu.options());
        assertNotSame(a, b);
        assertEquals(2, AxclRuntime.openHandles());
        AxDevice da = a.device();
        AxDevice db = b.device();
        assertNotSame(da, db, "each runtime handle has its own device handles");
        assertEquals(1, Emu.live("contexts"), "one explicit AXCL context per device and process");
        assertEquals(1, Emu.live("engine_inits"));

        a.close();
        assertTrue(da.isClosed());
        assertFalse(db.isClosed());
        assertEquals(1, AxclRuntime.openHandles());
        assertEquals(1, Emu.live("contexts"), "the context outlives a handle while another is open");
        a.close(); // idempotent
        assertEquals(1, AxclRuntime.openHandles());

        b.close();
        assertEquals(0, AxclRuntime.openHandles());
        assertEquals(0, Emu.live("contexts"));
        String report = Emu.finalizeReport();
        assertTrue(report.contains("live_device_allocations=0") && report.contains("live_contexts=0")
                && report.contains("active_devices=0") && report.contains("engine_inits=0"), report);

        // and again: a later acquire initialises anew
        try (AxclRuntime c = AxclRuntime.acquire(Emu.options())) {
            assertEquals(List.of(1), c.deviceIds());
        }
    }

    @Test
    void deviceHandlesAreCachedPerRuntimeHandle() {
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options())) {
            AxDevice d = axcl.device(1);
            assertSame(d, axcl.device(1));
            assertSame(d, axcl.device());
            assertEquals(1, d.id());
            assertEquals(1, d.properties().deviceId());
            d.close();
            AxDevice again = axcl.device(1);
            assertNotSame(d, again);
            assertThrows(IllegalStateException.class, d::properties);
            AxclException e = assertThrows(AxclException.class, () -> axcl.device(5));
            assertEquals("runtime/DEVICE/INVALID_ID (0x80300184)", AxclException.describe(e.code()));
            assertEquals("axclrtSetDevice", e.function());
        }
    }

    @Test
    void closingTheRuntimeClosesTheWholeTreeAndFreesEverything() {
        AxclRuntime axcl = AxclRuntime.acquire(Emu.options());
        AxModel model = axcl.device().load(Emu.model("identity-small.model"));
        AxSession s1 = model.newSession();
        AxSession s2 = model.newSession();
        AxBinding b1 = s1.bind();
        AxBinding b2 = s2.bind();
        MemorySegment in = b1.input(0);
        b1.run();
        assertEquals(4, Emu.live("device_allocations"));
        assertEquals(4, Emu.live("host_allocations"));
        assertEquals(2, Emu.live("ios"));
        assertEquals(1, Emu.live("models"));

        axcl.close();
        for (AxHandle h : List.of(b1, b2, s1, s2, model, axcl)) {
            assertTrue(h.isClosed(), h.toString());
        }
        String report = Emu.finalizeReport();
        assertTrue(report.contains("live_device_allocations=0 live_host_allocations=0 live_contexts=0 live_streams=0"
                + " live_models=0 live_engine_contexts=0 live_io_infos=0 live_ios=0"), report);
        // use after close
        assertThrows(IllegalStateException.class, b1::run);
        assertThrows(IllegalStateException.class, () -> b1.input(0));
        assertThrows(IllegalStateException.class, () -> in.get(ValueLayout.JAVA_FLOAT, 0), "the host view dies with its binding");
        assertThrows(IllegalStateException.class, s1::bind);
        assertThrows(IllegalStateException.class, model::newSession);
        assertThrows(IllegalStateException.class, axcl::device);
        assertThrows(IllegalStateException.class, axcl::deviceIds);
        assertThrows(IllegalStateException.class, () -> model.inputIndex("input"));
    }

    @Test
    @SuppressWarnings("try") // resources held open for their effect on the runtime's reference count
    void closingAModelClosesItsSessionsAndBindingsFirst() {
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options())) {
            AxModel model = axcl.device().load(Emu.model("identity-small.model"));
            AxSession s = model.newSession();
            AxBinding b = s.bind();
            model.close();
            assertTrue(b.isClosed());
            assertTrue(s.isClosed());
            assertEquals(0, Emu.live("ios"));
            assertEquals(0, Emu.live("device_allocations"));
            assertEquals(0, Emu.live("host_allocations"));
            assertEquals(0, Emu.live("models"));
            assertEquals(0, Emu.live("io_infos"));
            model.close(); // idempotent
            // the device is still usable
            try (AxModel m2 = axcl.device().load(Emu.model("identity-small.model"))) {
                assertEquals(1, Emu.live("models"));
            }
        }
    }

    @Test
    @SuppressWarnings("try") // resources held open for their effect on the runtime's reference count
    void takesAConfigurationFileAndRefusesAnotherWhileUp() {
        Path twoCards = Emu.config("""
                {"npu4j_emulator": {"devices": [
                    {"bdf": "0000:03:00.0", "cmm_mib": 512, "temperature_c": 50},
                    {"bdf": "0000:04:00.0", "cmm_mib": 256}]}}
                """);
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options().withConfig(twoCards))) {
            assertEquals(List.of(3, 4), axcl.deviceIds());
            assertEquals(512 * 1024, axcl.deviceProperties(3).totalCmmKiB());
            assertEquals(256 * 1024, axcl.deviceProperties(4).totalCmmKiB());
            // same file again: fine; no file: joins the running runtime
            try (AxclRuntime same = AxclRuntime.acquire(Emu.options().withConfig(twoCards));
                 AxclRuntime plain = AxclRuntime.acquire(Emu.options())) {
                assertEquals(3, AxclRuntime.openHandles());
                assertEquals(List.of(3, 4), plain.deviceIds());
            }
            Path other = Emu.config("{}");
            NpuException e = assertThrows(NpuException.class, () -> AxclRuntime.acquire(Emu.options().withConfig(other)));
            assertTrue(e.getMessage().contains("already initialised"), e.getMessage());
            // two devices, each with its own context, used from one thread
            try (AxModel m3 = axcl.device(3).load(Emu.model("identity-small.model"));
                 AxModel m4 = axcl.device(4).load(Emu.model("identity-small.model"));
                 AxSession s3 = m3.newSession();
                 AxSession s4 = m4.newSession();
                 AxBinding b3 = s3.bind();
                 AxBinding b4 = s4.bind()) {
                for (int i = 0; i < 10; i++) {
                    b3.input(0).set(ValueLayout.JAVA_FLOAT, 0, i);
                    b4.input(0).set(ValueLayout.JAVA_FLOAT, 0, -i);
                    b3.run();
                    b4.run();
                    assertEquals(i, b3.output(0).get(ValueLayout.JAVA_FLOAT, 0));
                    assertEquals(-i, b4.output(0).get(ValueLayout.JAVA_FLOAT, 0));
                }
                assertEquals(2, Emu.live("contexts"));
            }
        }
        assertThrows(NpuException.class, () -> AxclRuntime.acquire(Emu.options().withConfig(Path.of("/nonexistent.json"))));
        assertEquals(0, AxclRuntime.openHandles());
    }

    @Test
    void aBadConfigurationIsTheRuntimesError() {
        Path bad = Emu.config("{ this is not json");
        AxclException e = assertThrows(AxclException.class, () -> AxclRuntime.acquire(Emu.options().withConfig(bad)));
        assertEquals("axclInit", e.function());
        assertSame(AxclException.SubModule.CONFIG, e.subModule(), e.getMessage());
        assertEquals(0, AxclRuntime.openHandles());
    }

    @Test
    void anotherLibraryCannotBeLoadedOnceOneIs() {
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options())) {
            NpuException e = assertThrows(NpuException.class,
                    () -> AxclRuntime.acquire(Emu.options().withLibrary(Path.of("/usr/lib/libaxcl_rt.so"))));
            assertTrue(e.getMessage().contains("already loaded"), e.getMessage());
            assertEquals(1, AxclRuntime.openHandles());
            assertTrue(axcl.library().path().getFileName().toString().equals("libaxcl_rt.so"));
        }
    }
}
