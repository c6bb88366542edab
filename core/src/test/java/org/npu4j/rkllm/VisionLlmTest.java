package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.rknn.RknnModel;
import org.npu4j.rknn.RknnRuntime;

/**
 * Images into the RKLLM LLM API on the emulators: the emulated Qwen3-VL-2B encoder (RKNN) feeds the
 * emulated Qwen3-VL-2B LLM (RKLLM), whose answer hashes every embedding float (all four interleaved
 * outputs), so the answer tells which image reached the model and that the deepstack features arrived;
 * likewise Qwen2-VL-2B's 392 x 392 encoder (196 x 1536) and LLM.
 */
class VisionLlmTest {
    private static final String PROFILE = "rk3588-qwen3-vl-2b-w8a8";

    /** A w×h image of one colour with a square of another in its top-left quarter. */
    static ImageData image(int w, int h, int rgb, int mark) {
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int c = x < w / 4 && y < h / 4 ? mark : rgb;
                int p = (y * w + x) * 3;
                px[p] = (byte) (c >> 16);
                px[p + 1] = (byte) (c >> 8);
                px[p + 2] = (byte) c;
            }
        }
        return new ImageData(w, h, px);
    }

    static String ask(LanguageModel m, ImageData img) {
        Completion c = m.generate(LlmRequest.chat(List.of(ChatMessage.user("What is in the picture?", List.of(img)))));
        return c.text();
    }

    @Test
    void encoderShapeComesFromTheQueriedOutputs() {
        RknnModel rk = RknnRuntime.emulator().open(Emulator.model("rknn", "qwen3-vl-2b-vision-448.model"));
        try (VisionEncoder enc = new VisionEncoder(rk)) {
            assertEquals(448, enc.inputSize());
            assertEquals(196, enc.tokens());
            assertEquals(2048, enc.embedSize());
            assertEquals(4, enc.outputs(), "Qwen3-VL: embeddings + 3 deepstack features");
            float[] e = enc.encode(image(640, 480, 0x2060a0, 0xe0e020));
            assertEquals(196 * 2048 * 4, e.length);
            assertTrue(Arrays.equals(e, enc.encode(image(640, 480, 0x2060a0, 0xe0e020))), "deterministic");
            // Interleaving: token 0's four blocks come from the four outputs, which differ.
            float[] out0 = Arrays.copyOfRange(e, 0, 2048);
            float[] out1 = Arrays.copyOfRange(e, 2048, 4096);
            assertNotEquals(Arrays.toString(out0), Arrays.toString(out1));
        }
    }

    @Test
    void twoImagesGiveTwoAnswersAndTheSameImageTheSameAnswer() {
        try (LanguageModel m = LanguageModel.openEmulator(PROFILE, LoadOptions.DEFAULTS)) {
            assertTrue(m.info().capabilities().contains(Capability.IMAGES), m.info().toString());
            ImageData red = image(320, 240, 0xc02020, 0x20c020);
            ImageData blue = image(320, 240, 0x2020c0, 0x20c020);
            String a = ask(m, red);
            String b = ask(m, blue);
            String a2 = ask(m, red);
            assertNotEquals(a, b, "two images, two answers");
            assertEquals(a, a2, "the same image, the same answer");
            String text = m.generate(LlmRequest.chat(List.of(ChatMessage.user("What is in the picture?")))).text();
            assertNotEquals(a, text, "the image reached the model");
        }
    }

    @Test
    void imageTokensArePrefilledAndAFollowUpReusesTheKvCache() {
        try (LanguageModel m = LanguageModel.openEmulator(PROFILE, LoadOptions.DEFAULTS)) {
            ImageData img = image(200, 300, 0x808000, 0x000080);
            List<ChatMessage> msgs = new ArrayList<>(List.of(ChatMessage.user("Describe it.", List.of(img))));
            Completion first = m.generate(LlmRequest.chat(msgs));
            assertTrue(first.promptTokens() >= 196, "196 image tokens prefilled: " + first.promptTokens());
            msgs.add(ChatMessage.assistant(first));
            msgs.add(ChatMessage.user("And the colours?"));
            Completion second = m.generate(LlmRequest.chat(msgs));
            assertTrue(second.promptTokens() < 100, "only the new turn prefilled: " + second.promptTokens());
            // The same history with another image cannot reuse the cache: the answer differs.
            List<ChatMessage> other = new ArrayList<>(msgs);
            other.set(0, ChatMessage.user("Describe it.", List.of(image(200, 300, 0x008080, 0x000080))));
            Completion third = m.generate(LlmRequest.chat(other));
            assertTrue(third.promptTokens() >= 196, "replayed with its image: " + third.promptTokens());
            assertNotEquals(second.text(), third.text());
        }
    }

    @Test
    void anEncoderOfAnotherWidthIsANamedErrorBeforeAnyNativeCall() {
        // Qwen2-VL-2B's encoder gives 1536 floats per token; Qwen3-VL-2B's LLM has hidden size 2048.
        LoadOptions o = LoadOptions.DEFAULTS.withOption("rkllm.vision",
                Emulator.model("rknn", "qwen2-vl-2b-vision-392.model").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LanguageModel.openEmulator(PROFILE, o));
        assertTrue(e.getMessage().contains("1536") && e.getMessage().contains("hidden size 2048"), e.getMessage());
    }

    @Test
    void everyDeepstackBlockOfEveryTokenReachesTheModel() {
        // Qwen3-VL's encoder: per token its embeddings and three deepstack features, interleaved (4 x 2048
        // floats); the emulated LLM's answer hashes all of them, so a changed float in any block changes it
        RknnModel rk = RknnRuntime.emulator().open(Emulator.model("rknn", "qwen3-vl-2b-vision-448.model"));
        VisionEncoder enc = new VisionEncoder(rk);
        float[] e = enc.encode(image(320, 240, 0xc02020, 0x20c020));
        try (RkllmModel m = RkllmModel.builder(Emulator.model("rkllm", PROFILE + ".model"))
                .runtime(RkllmRuntime.emulator(RkllmAbi.V1_3)).hiddenSize(2048).vision(enc).maxNewTokens(24).load()) {
            String base = answer(m, e);
            assertEquals(base, answer(m, e.clone()), "deterministic");
            int perToken = 4 * 2048;
            for (int at : new int[] {2048, 2 * 2048 + 7, 3 * 2048 + 2047, 195 * perToken + 3 * 2048 + 2047}) {
                float[] x = e.clone();
                x[at] += 0.25f;
                assertNotEquals(base, answer(m, x), "float " + at + " (block " + at % perToken / 2048 + " of token "
                        + at / perToken + ") did not reach the model");
            }
            // the embeddings alone (a one-output encoder's layout) are a named error before any native call
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> answer(m, Arrays.copyOf(e, 196 * 2048)));
            assertTrue(ex.getMessage().contains("4 encoder outputs"), ex.getMessage());
        }
    }

    private static String answer(RkllmModel m, float[] embeddings) {
        ImageInput img = ImageInput.of(embeddings, 1, 196, 448, 448);
        return m.generate(GenerationRequest.builder(Input.multimodal("<image>What is in the picture?", img, null))
                .build(), GenerationListener.NONE).text();
    }

    @Test
    void qwen2VlEncoderFeedsTheQwen2VlModel() {
        try (LanguageModel m = LanguageModel.openEmulator("rk3588-qwen2-vl-2b-w8a8", LoadOptions.DEFAULTS)) {
            assertTrue(m.info().capabilities().contains(Capability.IMAGES), m.info().toString());
            ImageData red = image(320, 240, 0xc02020, 0x20c020);
            String a = ask(m, red);
            assertNotEquals(a, ask(m, image(320, 240, 0x2020c0, 0x20c020)), "two images, two answers");
            assertEquals(a, ask(m, red), "the same image, the same answer");
        }
        RknnModel rk = RknnRuntime.emulator().open(Emulator.model("rknn", "qwen2-vl-2b-vision-392.model"));
        try (VisionEncoder enc = new VisionEncoder(rk)) {
            // sizes from the queried output attributes: 392 / 14 / 2 = 14 per side, 196 tokens of 1536
            assertEquals(392, enc.inputSize());
            assertEquals(196, enc.tokens());
            assertEquals(1536, enc.embedSize());
            assertEquals(1, enc.outputs());
        }
    }

    @Test
    void aQwen3VlEncoderOnTheQwen2VlModelIsANamedErrorBeforeAnyNativeCall() {
        LoadOptions o = LoadOptions.DEFAULTS.withOption("rkllm.vision",
                Emulator.model("rknn", "qwen3-vl-2b-vision-448.model").toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LanguageModel.openEmulator("rk3588-qwen2-vl-2b-w8a8", o));
        assertTrue(e.getMessage().contains("2048") && e.getMessage().contains("hidden size 1536"), e.getMessage());
    }

    @Test
    void imagesBeyondTheContextAreANamedErrorBeforeTheEncoderRuns() {
        try (LanguageModel m = LanguageModel.openEmulator(PROFILE, LoadOptions.DEFAULTS.withContextLength(512))) {
            ImageData img = image(64, 64, 0x808080, 0x000000);
            // 3 x 196 image tokens (from the encoder's output attributes) > max_context_len 512
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(LlmRequest.chat(
                    List.of(ChatMessage.user("Compare them.", List.of(img, img, img))))));
            assertTrue(e.getMessage().contains("588 tokens") && e.getMessage().contains("max_context_len 512"),
                    e.getMessage());
            assertTrue(ask(m, img).length() > 0, "the model still answers one image");
        }
    }

    @Test
    void imagesWithoutAnEncoderAreRefused() {
        try (LanguageModel m = LanguageModel.openEmulator("rk3588-qwen3-0.6b-w8a8", LoadOptions.DEFAULTS)) {
            assertTrue(!m.info().capabilities().contains(Capability.IMAGES));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ask(m, image(8, 8, 0, 0)));
            assertTrue(e.getMessage().contains("rkllm.vision"), e.getMessage());
        }
    }

    @Test
    void letterboxPadsToASquareWithGreyAndResizes() {
        // 4x2 white image -> 4x4 square: rows 0 and 3 grey, rows 1-2 white; resized to 2x2.
        byte[] white = new byte[4 * 2 * 3];
        Arrays.fill(white, (byte) 255);
        byte[] sq = VisionEncoder.letterbox(new ImageData(4, 2, white), 4);
        for (int x = 0; x < 4; x++) {
            assertEquals(128, sq[(0 * 4 + x) * 3] & 0xff, "top padding");
            assertEquals(255, sq[(1 * 4 + x) * 3] & 0xff, "image row");
            assertEquals(255, sq[(2 * 4 + x) * 3] & 0xff, "image row");
            assertEquals(128, sq[(3 * 4 + x) * 3] & 0xff, "bottom padding");
        }
        byte[] small = VisionEncoder.letterbox(new ImageData(4, 2, white), 2);
        assertEquals(2 * 2 * 3, small.length);
        // Each output pixel averages a grey row and a white row: (128 + 255) / 2 = 191.5.
        assertEquals(192, small[0] & 0xff);
    }

    @Test
    void chatMessageKeepsItsOldFormsAndComparesPixels() {
        ChatMessage plain = ChatMessage.user("hi");
        assertEquals(List.of(), plain.images());
        assertEquals(plain, new ChatMessage(plain.role(), "hi", null, List.of(), null, null));
        ImageData a = image(4, 4, 0x112233, 0x445566);
        ImageData b = image(4, 4, 0x112233, 0x445566);
        assertEquals(ChatMessage.user("x", List.of(a)), ChatMessage.user("x", List.of(b)));
        assertNotEquals(ChatMessage.user("x", List.of(a)), ChatMessage.user("x", List.of(image(4, 4, 0, 0))));
        assertThrows(IllegalArgumentException.class, () -> ChatMessage.assistant("x").withImages(List.of(a)));
        assertThrows(IllegalArgumentException.class, () -> new ImageData(2, 2, new byte[11]));
        byte[] px = a.rgb();
        px[0] = 9;
        assertNotNull(a.rgb());
        assertArrayEquals(b.rgb(), a.rgb(), "the record's pixels are its own");
    }
}
