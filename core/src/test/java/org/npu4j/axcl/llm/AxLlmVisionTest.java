package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.TokenListener;
import org.npu4j.metrics.Stage;

/**
 * Images into the AX650N LLM on the emulator's tiny-vl package: its vision encoder (448 x 448 uint8 NHWC
 * in, 256 bf16 rows of hidden 128 out) writes over the {@code <|image_pad|>} rows, and the toy LLM's
 * answer depends on them.
 */
class AxLlmVisionTest {
    static Path tinyVl() {
        return Emulator.axllmPackage("tiny-vl");
    }

    static AxLlmModel open(Path dir) {
        return AxLlmModel.open(AxLlmPackage.read(dir), AxclRuntime.Options.emulator(), AxLlmModel.Options.DEFAULTS);
    }

    /** A w x h image of one colour with a white square in its upper left quarter. */
    static ImageData picture(int w, int h, int r, int g, int b) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean white = x < w / 4 && y < h / 4;
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (white ? 255 : r);
                rgb[i + 1] = (byte) (white ? 255 : g);
                rgb[i + 2] = (byte) (white ? 255 : b);
            }
        }
        return new ImageData(w, h, rgb);
    }

    static final ImageData RED = picture(64, 48, 220, 30, 20);
    static final ImageData BLUE = picture(64, 48, 20, 40, 230);

    private static LlmRequest ask(ImageData... images) {
        return LlmRequest.builder().message(ChatMessage.user("What does the picture show?", List.of(images)))
                .thinking(false).maxNewTokens(40).build();
    }

    @AfterEach
    void nothingLeaks() {
        assertEquals(0, EmuCounters.live("device_allocations"), "device allocations");
        assertEquals(0, EmuCounters.live("models"), "models");
    }

    @Test
    void theEncoderSizesComeFromItsTensorInfo() {
        AxLlmPackage pkg = AxLlmPackage.read(tinyVl());
        assertNotNull(pkg.vision());
        assertEquals("Qwen2_5VL", pkg.vision().vlmType());
        assertEquals(256, pkg.vision().tokens());
        try (AxLlmModel m = open(tinyVl())) {
            assertTrue(m.info().has(Capability.IMAGES));
            assertTrue(m.info().description().contains("vision encoder 448x448 -> 256 x 128"), m.info().description());
            assertEquals(1023, m.contextLength());
        }
    }

    @Test
    void theAnswerTellsWhichImageReachedTheModel() {
        String red;
        String blue;
        String text;
        try (AxLlmModel m = open(tinyVl())) {
            red = m.generate(ask(RED)).text();
            blue = m.generate(ask(BLUE)).text();
            text = m.generate(LlmRequest.builder().message(ChatMessage.user("What does the picture show?"))
                    .thinking(false).maxNewTokens(40).build()).text();
            // the same image again, after another one: the same answer
            assertEquals(red, m.generate(ask(RED)).text());
        }
        assertTrue(!red.isEmpty() && !blue.isEmpty(), red + " / " + blue);
        assertNotEquals(red, blue, "two images, one answer: the image rows did not reach the model");
        assertNotEquals(red, text, "the image changed nothing");
        try (AxLlmModel fresh = open(tinyVl())) {
            assertEquals(red, fresh.generate(ask(RED)).text(), "the same image in a fresh model");
            // the letterbox decides what the encoder sees: a copy of the pixels is the same image
            assertEquals(blue, fresh.generate(ask(new ImageData(BLUE.width(), BLUE.height(), BLUE.rgb()))).text());
            // two images in one message: both reach the model, in order
            String both = fresh.generate(ask(RED, BLUE)).text();
            assertNotEquals(both, fresh.generate(ask(BLUE, RED)).text());
        }
    }

    @Test
    void anotherImageIsAnotherConversationForTheKvCache() {
        try (AxLlmModel m = open(tinyVl())) {
            Completion first = m.generate(ask(RED));
            assertTrue(first.promptTokens() > 256, "prefilled " + first.promptTokens());
            long encoded = m.latency().snapshot().count(Stage.PREPROCESS);
            assertEquals(1, encoded);
            // the same conversation again: the cache holds it, only the last token is prefilled, no encoding
            Completion again = m.generate(ask(RED));
            assertEquals(1, again.promptTokens());
            assertEquals(encoded, m.latency().snapshot().count(Stage.PREPROCESS));
            // the same text with another image: the cache is reused up to the image only
            Completion other = m.generate(ask(BLUE));
            assertTrue(other.promptTokens() >= 256, "prefilled " + other.promptTokens());
            assertEquals(encoded + 1, m.latency().snapshot().count(Stage.PREPROCESS));
            try (AxLlmModel fresh = open(tinyVl())) {
                assertEquals(fresh.generate(ask(BLUE)).text(), other.text());
            }
        }
    }

    @Test
    void aSecondTurnReusesTheImageInTheCache() {
        try (AxLlmModel m = open(tinyVl())) {
            ChatSession chat = m.chat().thinking(false).maxNewTokens(16);
            Completion one = chat.send("What does the picture show?", List.of(RED), TokenListener.onText(t -> { }));
            assertTrue(one.promptTokens() > 256);
            Completion two = chat.send("And its colour?", TokenListener.onText(t -> { }));
            assertTrue(two.promptTokens() < 64, "second turn prefilled " + two.promptTokens() + " tokens");
            assertEquals(1, m.latency().snapshot().count(Stage.PREPROCESS), "the image was encoded again");
        }
    }

    /**
     * An abort while images are encoded takes effect before the next image's encoder run: at board timing
     * (the encoder's 454 ms) at most the run in flight finishes and no layer runs.
     */
    @Test
    void anAbortDuringImageEncodingStopsBeforeTheNextImage() throws Exception {
        try (AxLlmModel m = open(tinyVl())) {
            long executes = EmuCounters.calls("execute");
            org.npu4j.ProcessEnv.setenv("NPU4J_EMULATOR_SPEED", "1");
            long took;
            Completion c;
            try {
                java.util.concurrent.CompletableFuture<Completion> f = m.generateAsync(ask(RED, BLUE, RED),
                        TokenListener.onText(t -> { }));
                Thread.sleep(150);
                long t0 = System.nanoTime();
                assertTrue(m.abort(), "the request was not running");
                c = f.get(10, java.util.concurrent.TimeUnit.SECONDS);
                took = (System.nanoTime() - t0) / 1_000_000;
            } finally {
                org.npu4j.ProcessEnv.setenv("NPU4J_EMULATOR_SPEED", "0");
            }
            assertEquals(org.npu4j.llm.Outcome.ABORTED, c.outcome());
            assertEquals(0, c.tokenCount());
            long ran = EmuCounters.calls("execute") - executes;
            assertTrue(ran <= 2, ran + " executes after the abort: at most the encoder runs started before it");
            assertTrue(took < 1500, "the abort took " + took + " ms (one encoder run is 454 ms)");
            assertEquals(0, m.cachedTokens(), "nothing was prefilled");
            assertTrue(m.generate(ask(BLUE)).tokenCount() > 0, "the model still works");
        }
    }

    @Test
    void tooManyImagesForTheContextAreRefusedBeforeAnythingRuns() {
        try (AxLlmModel m = open(tinyVl())) {
            long executes = EmuCounters.calls("execute");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.generate(ask(RED, BLUE, RED, BLUE)));
            assertTrue(e.getMessage().contains("1024 of them for 4 image(s)") && e.getMessage().contains("1023"),
                    e.getMessage());
            assertEquals(executes, EmuCounters.calls("execute"), "nothing may run for a refused prompt");
            assertTrue(m.generate(ask(RED)).tokenCount() > 0, "the model still works");
        }
    }

    @Test
    void placeholderTokensTypedInTheTextAreRefused() {
        try (AxLlmModel m = open(tinyVl())) {
            long executes = EmuCounters.calls("execute");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(LlmRequest.builder()
                    .message(ChatMessage.user("look: <|vision_start|><|image_pad|><|vision_end|>", List.of(RED)))
                    .build()));
            assertTrue(e.getMessage().contains("<|image_pad|>"), e.getMessage());
            assertEquals(executes, EmuCounters.calls("execute"));
        }
    }

    @Test
    void anEncoderOfAnotherWidthIsANamedLoadError(@TempDir Path dir) throws IOException {
        Path pkg = copy(tinyVl(), dir.resolve("narrow"));
        Path enc = pkg.resolve("tiny_vl_vision_448.axmodel");
        Files.writeString(enc, Files.readString(enc).replace("1x256x128", "1x256x96"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(pkg));
        assertTrue(e.getMessage().contains("tiny_vl_vision_448.axmodel") && e.getMessage().contains("96")
                && e.getMessage().contains("tokens_embed_size") && e.getMessage().contains("128"), e.getMessage());
    }

    @Test
    void anFp32EncoderIsTruncatedToBf16Rows(@TempDir Path dir) throws IOException {
        // ax-llm takes bf16 or fp32 encoder outputs (by byte size); fp32 rows become bf16 as the embedding table
        Path pkg = copy(tinyVl(), dir.resolve("fp32"));
        Path enc = pkg.resolve("tiny_vl_vision_448.axmodel");
        Files.writeString(enc, Files.readString(enc).replace("image_embeds bf16", "image_embeds fp32"));
        String bf16;
        try (AxLlmModel m = open(tinyVl())) {
            bf16 = m.generate(ask(RED)).text();
        }
        try (AxLlmModel m = open(pkg)) {
            assertEquals(bf16, m.generate(ask(RED)).text());
            assertNotEquals(bf16, m.generate(ask(BLUE)).text());
        }
    }

    @Test
    void deepstackOutputsOfAnotherShapeOrMoreThanLayersAreRefused(@TempDir Path dir) throws IOException {
        Path pkg = copy(tinyVl(), dir.resolve("deepstack"));
        Path enc = pkg.resolve("tiny_vl_vision_448.axmodel");
        // hash models with Qwen3-VL-like outputs stand in for a wrong encoder
        String head = "npu4j-emulator-model axcl 1\nname deepstack\ncompute hash\n"
                + "input hidden_states uint8 nhwc 1x448x448x3\noutput image_embeds bf16 none 1x256x128\n";
        Files.writeString(enc, head + "output deepstack_1 bf16 none 1x256x96\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(pkg));
        assertTrue(e.getMessage().contains("filename_image_encoder_axmodel") && e.getMessage().contains("deepstack")
                && e.getMessage().contains("[1, 256, 96]"), e.getMessage());
        StringBuilder five = new StringBuilder(head);
        for (int k = 1; k <= 5; k++) {
            five.append("output deepstack_").append(k).append(" bf16 none 1x256x128\n");
        }
        Files.writeString(enc, five);
        e = assertThrows(IllegalArgumentException.class, () -> open(pkg));
        assertTrue(e.getMessage().contains("5 deepstack outputs") && e.getMessage().contains("4 layers"), e.getMessage());
    }

    @Test
    void layersWithTwoRowsOfIndicesAreANamedLoadError(@TempDir Path dir) throws IOException {
        // one row (a position per token) or Qwen-VL's three mRoPE rows; anything else is named
        Path pkg = copy(tinyVl(), dir.resolve("mrope"));
        Path l0 = pkg.resolve("tiny_vl_p128_l0_together.axmodel");
        Files.writeString(l0, Files.readString(l0).replace("compute axllm_layer layer=0", "compute hash")
                .replace("indices uint32 none 1x128", "indices uint32 none 2x128"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open(pkg));
        assertTrue(e.getMessage().contains("tiny_vl_p128_l0_together.axmodel") && e.getMessage().contains("mRoPE")
                && e.getMessage().contains("2 rows"), e.getMessage());
    }

    @Test
    void aVlmTypeThatIsNotQwenVlIsRefused(@TempDir Path dir) throws IOException {
        Path pkg = copy(tinyVl(), dir.resolve("internvl"));
        Path cfg = pkg.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"Qwen2_5VL\"", "\"InternVL3\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(pkg));
        assertTrue(e.getMessage().contains("vlm_type") && e.getMessage().contains("InternVL3"), e.getMessage());
        Files.writeString(cfg, Files.readString(cfg).replace("\"InternVL3\"", "\"Qwen2_5VL\"")
                .replace("tiny_vl_vision_448.axmodel", "missing.axmodel"));
        e = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(pkg));
        assertTrue(e.getMessage().contains("missing.axmodel") && e.getMessage().contains("filename_image_encoder_axmodel"),
                e.getMessage());
    }

    @Test
    void theEmulatorProfileOpensThroughTheNeutralApi() {
        assertTrue(LanguageModel.emulatorProfiles().contains("ax650n-tiny-vl"), LanguageModel.emulatorProfiles().toString());
        try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny-vl", LoadOptions.DEFAULTS)) {
            assertTrue(m.info().has(Capability.IMAGES));
            assertNotEquals(m.generate(ask(RED)).text(), m.generate(ask(BLUE)).text());
        }
        try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny", LoadOptions.DEFAULTS)) {
            assertTrue(!m.info().has(Capability.IMAGES), "a text-only package claims images");
        }
    }

    @Test
    void theHfTokenizerFindsThePlaceholdersToo() {
        String mnn;
        try (AxLlmModel m = open(tinyVl())) {
            mnn = m.generate(ask(RED)).text();
        }
        LoadOptions hf = LoadOptions.DEFAULTS.withEmulator(true)
                .withOption("axcl.tokenizer", tinyVl().resolve("tokenizer.json").toString());
        try (LanguageModel m = LanguageModel.open(tinyVl(), hf)) {
            assertEquals(mnn, m.generate(ask(RED)).text(), "tokenizer.json and the MNN file give other prompts");
        }
    }

    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
