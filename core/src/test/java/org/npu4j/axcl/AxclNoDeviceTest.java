package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vendor host runtime on a machine without the card: axclInit returns 0x8030010B
 * (runtime/DEVICE/OPEN, /dev/axcl_host missing; measured with the x86_64 AXCL 3.10.2 runtime,
 * shared/facts/boards.md). The emulator reproduces it with a configuration of zero devices.
 */
class AxclNoDeviceTest {

    @Test
    void initialisationWithoutACardFailsWithTheDecodedErrorAndTheJvmGoesOn() {
        Path noCard = Emu.config("{\"npu4j_emulator\": {\"device_count\": 0}}");
        AxclException e = assertThrows(AxclException.class, () -> AxclRuntime.acquire(Emu.options().withConfig(noCard)));
        assertEquals(0x8030010B, e.code());
        assertEquals("axclInit", e.function());
        assertSame(AxclException.SubModule.DEVICE, e.subModule());
        assertEquals("OPEN", e.errorName());
        String m = e.getMessage();
        assertTrue(m.startsWith("axclInit failed: runtime/DEVICE/OPEN (0x8030010B): "), m);
        assertTrue(m.contains("/dev/axcl_host"), m);
        assertTrue(m.contains("emulat"), "points to the emulator: " + m);
        assertEquals(0, AxclRuntime.openHandles(), "nothing is held after a failed init");

        // The process is unharmed: the same library initialises with a card.
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options())) {
            assertEquals(List.of(1), axcl.deviceIds());
            try (AxModel m1 = axcl.device().load(Emu.model("identity-small.model"));
                 AxSession s = m1.newSession();
                 AxBinding b = s.bind()) {
                b.run();
            }
        }
        // and fails the same way again
        AxclException again = assertThrows(AxclException.class, () -> AxclRuntime.acquire(Emu.options().withConfig(noCard)));
        assertEquals(0x8030010B, again.code());
    }
}
