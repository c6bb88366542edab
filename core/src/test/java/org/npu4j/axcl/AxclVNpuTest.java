package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The virtual-NPU option reaches axclrtEngineInit (its own class: the kind is fixed per process and device). */
class AxclVNpuTest {

    @Test
    void equalVirtualNpusTakeOnlyOneCoreModels() {
        try (AxclRuntime axcl = AxclRuntime.acquire(Emu.options().withVNpu(AxclRuntime.VNpu.ENABLE))) {
            AxDevice d = axcl.device();
            AxclException e = assertThrows(AxclException.class, () -> d.load(Emu.model("mobilenetv2.model")));
            assertEquals("runtime/ENGINE/UNSUPPORT (0x80300704)", AxclException.describe(e.code()));
            try (AxModel one = d.load(Emu.model("identity-small.model"))) {
                assertEquals(1, one.npuCores());
            }
        }
    }
}
