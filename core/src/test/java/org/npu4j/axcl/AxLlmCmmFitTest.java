package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.axcl.llm.AxLlmModel;
import org.npu4j.axcl.llm.AxLlmPackage;

/** An LLM package whose models do not fit the card's free CMM is refused before any model is loaded. */
class AxLlmCmmFitTest {

    @Test
    void aPackageLargerThanTheFreeCmmIsRefusedBeforeLoading() {
        // 1 MiB of CMM; the tiny package's 4 layers (256 KiB each) and post model (512 KiB) need 1.5 MiB.
        Path small = Emu.config("{\"npu4j_emulator\": {\"devices\": [{\"bdf\": \"0000:01:00.0\", \"cmm_mib\": 1}]}}");
        AxLlmPackage pkg = AxLlmPackage.read(Emulator.axllmPackage("tiny"));
        NpuException e = assertThrows(NpuException.class, () -> AxLlmModel.open(pkg,
                Emu.options().withConfig(small), new AxLlmModel.Options(null, 0, "copy", -1)));
        assertTrue(e.getMessage().contains("5 models need 1.5 MiB of CMM") && e.getMessage().contains("1.0 MiB free"),
                e.getMessage());
        assertTrue(!(e instanceof AxclException), "refused by the check, not by a failed load: " + e);
        // nothing was left behind: a runtime acquired now is a fresh one with nothing loaded
        try (AxclRuntime rt = AxclRuntime.acquire(Emu.options())) {
            assertEquals(0, Emu.live("models"));
            assertEquals(0, Emu.live("device_allocations"));
        }
    }
}
