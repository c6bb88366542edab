package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * {@link VisionLlmTest}'s image path on the emulated RKLLM 1.2.3 runtime (its own JVM: one RKLLM runtime
 * per process), where the image tags are model parameters ({@code RKLLMParam.img_*}), not per input.
 */
class VisionLlmV12Test {
    @Test
    void abi12TakesTheTagsInTheParams() {
        LoadOptions o = LoadOptions.DEFAULTS.withOption("rkllm.abi", "1.2");
        try (LanguageModel m = LanguageModel.openEmulator("rk3588-qwen3-vl-2b-w8a8", o)) {
            ImageData red = VisionLlmTest.image(64, 64, 0xc02020, 0x20c020);
            String a = VisionLlmTest.ask(m, red);
            assertEquals(a, VisionLlmTest.ask(m, red), "the same image, the same answer");
            assertNotEquals(a, VisionLlmTest.ask(m, VisionLlmTest.image(64, 64, 0x20c020, 0xc02020)),
                    "another image, another answer");
        }
    }
}
