package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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

/**
 * Qwen3-VL on the AX650N emulator (package {@code tiny-qwen3-vl}): layers whose prefill {@code indices}
 * hold three mRoPE rows, an encoder of 196 tokens with three deepstack outputs. The toy layers hash every
 * image token's three positions and deepstack lanes into the answer, so a wrong grid, a missing deepstack
 * feature or one added after the wrong layer changes the tokens.
 */
class AxLlmQwen3VlTest {
    static Path pkg() {
        return Emulator.axllmPackage("tiny-qwen3-vl");
    }

    static AxLlmModel open() {
        return AxLlmModel.open(AxLlmPackage.read(pkg()), AxclRuntime.Options.emulator(), AxLlmModel.Options.DEFAULTS);
    }

    static final ImageData RED = AxLlmVisionTest.RED;
    static final ImageData BLUE = AxLlmVisionTest.BLUE;

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
    void sizesComeFromTheTensorInfo() {
        AxLlmPackage p = AxLlmPackage.read(pkg());
        assertNotNull(p.vision());
        assertEquals("Qwen3VL", p.vision().vlmType());
        assertEquals(196, p.vision().tokens(), "448 / (16 * 2) = 14 per side");
        try (AxLlmModel m = open()) {
            assertTrue(m.info().has(Capability.IMAGES));
            assertTrue(m.info().description().contains("vision encoder 448x448 -> 196 x 128 + 3 deepstack")
                    && m.info().description().contains("mRoPE"), m.info().description());
            assertEquals(128, m.prefillChunk(), "P from the [3, P] indices");
            AxLlmEngine e = AxLlmModelTest.engine(m);
            assertTrue(e.mrope);
        }
    }

    @Test
    void theAnswerTellsWhichImageReachedTheModel() {
        try (AxLlmModel m = open()) {
            String red = m.generate(ask(RED)).text();
            String blue = m.generate(ask(BLUE)).text();
            String text = m.generate(LlmRequest.builder().message(ChatMessage.user("What does the picture show?"))
                    .thinking(false).maxNewTokens(40).build()).text();
            assertTrue(!red.isEmpty() && !blue.isEmpty(), red + " / " + blue);
            assertNotEquals(red, blue, "two images, one answer");
            assertNotEquals(red, text, "the image changed nothing");
            assertEquals(red, m.generate(ask(RED)).text(), "the same image after another one");
            try (AxLlmModel fresh = open()) {
                assertEquals(red, fresh.generate(ask(RED)).text(), "the same image in a fresh model");
                assertNotEquals(fresh.generate(ask(RED, BLUE)).text(), fresh.generate(ask(BLUE, RED)).text());
            }
        }
    }

    /** Greedy tokens after prefilling {@code ids} with {@code rows}: the engine's answer. */
    private static int[] greedy(AxLlmModel m, int[] ids, AxLlmEngine.Rows rows, int steps) {
        AxLlmEngine e = AxLlmModelTest.engine(m);
        e.truncate(0);
        e.prefill(ids, 0, ids.length, rows);
        int[] out = new int[steps];
        for (int s = 0; s < steps; s++) {
            out[s] = Sampler.argmax(AxLlmModelTest.floats(e), m.pkg().vocab());
            if (s + 1 < steps) {
                e.decode(out[s]);
            }
        }
        return out;
    }

    /**
     * Decoding token by token after an image gives exactly what a full recompute of every prefix predicts
     * (decode positions continue from the image's largest id), also from a cache cut inside the image.
     */
    @Test
    void decodeEqualsFullRecomputeWithAnImage() {
        try (AxLlmModel m = open(); Arena arena = Arena.ofConfined()) {
            AxLlmEngine e = AxLlmModelTest.engine(m);
            LlmRequest r = ask(RED);
            int[] ids = m.tokenizer().encode(m.render(r));
            AxLlmEngine.Rows rows = m.imageRows(ids, List.of(RED), arena);
            int steps = 16;
            int[] gen = greedy(m, ids, rows, steps);
            int[] seq = Arrays.copyOf(ids, ids.length + steps);
            System.arraycopy(gen, 0, seq, ids.length, steps);
            for (int s = 0; s < steps; s += 3) {
                int len = ids.length + s;
                e.truncate(0);
                e.prefill(seq, 0, len, rows);
                assertEquals(seq[len], Sampler.argmax(AxLlmModelTest.floats(e), m.pkg().vocab()),
                        "step " + s + " (" + len + " tokens, full recompute)");
                // a tail after a cached prefix that ends inside the image (its rows and deepstack features again)
                int cut = rows.images().get(0).start() + 100;
                e.truncate(cut);
                e.prefill(seq, cut, len, rows);
                assertEquals(seq[len], Sampler.argmax(AxLlmModelTest.floats(e), m.pkg().vocab()),
                        "step " + s + ", tail from " + cut);
            }
        }
    }

    @Test
    void aWrongGridOrAMissingOrMisplacedDeepstackFeatureChangesTheTokens() {
        try (AxLlmModel m = open(); Arena arena = Arena.ofConfined()) {
            int[] ids = m.tokenizer().encode(m.render(ask(RED)));
            AxLlmEngine.Rows rows = m.imageRows(ids, List.of(RED), arena);
            assertEquals(3, rows.deep().length);
            MropePositions.Span span = rows.images().get(0);
            assertEquals(new MropePositions.Span(span.start(), 14, 14), span);
            int[] right = greedy(m, ids, rows, 24);
            assertArrayEquals(right, greedy(m, ids, rows, 24), "deterministic");

            // the same 196 tokens on a 7 x 28 grid: other height and width ids
            AxLlmEngine.Rows wrongGrid = new AxLlmEngine.Rows(rows.rows(), rows.rowOf(), rows.deep(),
                    List.of(new MropePositions.Span(span.start(), 7, 28)));
            assertFalse(Arrays.equals(right, greedy(m, ids, wrongGrid, 24)), "a 7 x 28 grid gave the 14 x 14 answer");
            MemorySegment[] d = rows.deep();
            List<MemorySegment[]> wrongDeep = List.of(new MemorySegment[0], new MemorySegment[] {d[0], d[1]},
                    new MemorySegment[] {d[1], d[0], d[2]}, new MemorySegment[] {d[0], d[1], d[2], d[2]});
            for (MemorySegment[] w : wrongDeep) {
                AxLlmEngine.Rows x = new AxLlmEngine.Rows(rows.rows(), rows.rowOf(), w, rows.images());
                assertFalse(Arrays.equals(right, greedy(m, ids, x, 24)),
                        w.length + " deepstack features (in another order or number) gave the right answer");
            }
        }
    }

    @Test
    void aSecondTurnReusesTheImageAndMatchesAFreshModel() {
        try (AxLlmModel m = open()) {
            ChatSession chat = m.chat().thinking(false).maxNewTokens(16);
            Completion one = chat.send("What does the picture show?", List.of(RED), TokenListener.onText(t -> { }));
            Completion two = chat.send("And its colour?", TokenListener.onText(t -> { }));
            assertTrue(two.promptTokens() < 64, "second turn prefilled " + two.promptTokens() + " tokens");
            LlmRequest whole = LlmRequest.builder()
                    .message(ChatMessage.user("What does the picture show?", List.of(RED)))
                    .message(ChatMessage.assistant(one.text())).message(ChatMessage.user("And its colour?"))
                    .thinking(false).maxNewTokens(16).build();
            try (AxLlmModel fresh = open()) {
                assertEquals(fresh.generate(whole).text(), two.text(), "KV reuse after an image != a fresh prefill");
            }
        }
    }

    /**
     * Rows past the largest prefill history go through the decode group, which has one position and no
     * deepstack step: an image there is refused by name, before any layer runs (only its encoder ran).
     */
    @Test
    void anImagePastTheLargestPrefillHistoryIsRefusedBeforeAnyLayerRuns() {
        try (AxLlmModel m = open()) {
            String text = "the model runs on the card and ".repeat(95);
            LlmRequest r = LlmRequest.builder().message(ChatMessage.user(text)).message(ChatMessage.assistant("ok"))
                    .message(ChatMessage.user("And this?", List.of(RED))).thinking(false).maxNewTokens(4).build();
            int[] ids = m.tokenizer().encode(m.render(r));
            assertTrue(ids.length > 640 + 196 && ids.length < m.contextLength(), ids.length + " tokens");
            long executes = EmuCounters.calls("execute");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(r));
            assertTrue(e.getMessage().contains("decode group") && e.getMessage().contains("first 640 tokens"),
                    e.getMessage());
            assertEquals(executes + 1, EmuCounters.calls("execute"), "only the encoder may have run");
            assertTrue(m.generate(ask(RED)).tokenCount() > 0, "the model still works");
        }
    }

    @Test
    void theEmulatorProfileOpensThroughTheNeutralApi() {
        assertTrue(LanguageModel.emulatorProfiles().contains("ax650n-tiny-qwen3-vl"));
        try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny-qwen3-vl", LoadOptions.DEFAULTS)) {
            assertTrue(m.info().has(Capability.IMAGES));
            assertNotEquals(m.generate(ask(RED)).text(), m.generate(ask(BLUE)).text());
        }
    }

    @Test
    void anEncoderWhoseGridDoesNotHoldItsTokensIsANamedLoadError(@org.junit.jupiter.api.io.TempDir Path dir)
            throws java.io.IOException {
        Path p = AxLlmVisionTest.copy(pkg(), dir.resolve("grid"));
        Path cfg = p.resolve("config.json");
        java.nio.file.Files.writeString(cfg, java.nio.file.Files.readString(cfg)
                .replace("\"vision_patch_size\": 16", "\"vision_patch_size\": 14"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AxLlmModel.open(AxLlmPackage.read(p), AxclRuntime.Options.emulator(), AxLlmModel.Options.DEFAULTS));
        assertTrue(e.getMessage().contains("16 x 16 grid") && e.getMessage().contains("196 tokens")
                && e.getMessage().contains("mRoPE"), e.getMessage());
    }
}
