package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.Emulator;

/**
 * {@code n_batch} > 1 on a runtime older than 1.2.1 is refused by the builder: the emulated 1.2.x runtime
 * (version 1.2.3), copied with its version string set to 1.2.0, is loaded in this JVM alone (one RKLLM
 * runtime per process). The same runtime loads the model with {@code n_batch} 1.
 */
class RkllmBatchVersionTest {
    static final String VERSION_123 = "rkllm-runtime version: 1.2.3 (npu4j emulator)";

    /** The 1.2.x emulator in {@code dir}, its version string saying {@code 1.2.0}. */
    static Path runtime120(Path dir) throws Exception {
        byte[] lib = Files.readAllBytes(Emulator.library(Emulator.Runtime.RKLLM_V1_2));
        byte[] from = VERSION_123.getBytes(StandardCharsets.US_ASCII);
        byte[] to = VERSION_123.replace("1.2.3", "1.2.0").getBytes(StandardCharsets.US_ASCII);
        int found = 0;
        for (int i = 0; i + from.length <= lib.length; i++) {
            if (java.util.Arrays.equals(lib, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, lib, i, to.length);
                found++;
            }
        }
        assertEquals(1, found, "the emulator holds its version string once");
        Path copy = dir.resolve("librkllmrt.so");
        Files.write(copy, lib);
        return copy;
    }

    @Test
    void nBatchAboveOneNeedsRuntime121(@TempDir Path dir) throws Exception {
        RkllmRuntime rt = RkllmRuntime.load(runtime120(dir));
        assertEquals(RkllmAbi.V1_2, rt.abi());
        assertEquals("1.2.0", rt.version().orElseThrow());
        Path model = Emulator.model("rkllm", RkllmEmulatorTest.MODEL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RkllmModel.builder(model).runtime(rt).nBatch(2).load());
        assertTrue(e.getMessage().contains("nBatch (n_batch) = 2") && e.getMessage().contains("1.2.1")
                && e.getMessage().contains("version 1.2.0"), e.getMessage());
        try (RkllmModel one = RkllmModel.builder(model).runtime(rt).nBatch(1).maxContextLen(512).load()) {
            assertFalse(one.generate("Tell me about rivers.").text().isEmpty(), "n_batch 1 loads and runs");
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    @Test
    void versionsCompareByTheirFirstThreeNumbers() {
        assertTrue(RkllmModelBuilder.compareVersions("1.2.0", "1.2.1") < 0);
        assertTrue(RkllmModelBuilder.compareVersions("1.1.9", "1.2.1") < 0);
        assertEquals(0, RkllmModelBuilder.compareVersions("1.2.1b1", "1.2.1"));
        assertTrue(RkllmModelBuilder.compareVersions("1.2.3", "1.2.1") > 0);
        assertTrue(RkllmModelBuilder.compareVersions("v1.3.0", "1.2.1") > 0);
        assertTrue(RkllmModelBuilder.compareVersions("1.2", "1.2.1") < 0);
    }
}
