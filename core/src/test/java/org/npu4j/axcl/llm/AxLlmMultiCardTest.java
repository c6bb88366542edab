package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxCallCounts;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.TokenListener;

/**
 * The tiny package (4 layers, P 16, prefill history 0/64/128/192) split across 2, 3 and 4 emulated
 * AX650N cards (ids 1..5 of a five-card emulator config) gives exactly the one-card tokens and
 * logits; the calls land on the cards that own the layers; stops are prompt; bad device lists are clear
 * errors; nothing is left on any card (a runtime handle is held across each test so that the emulator's
 * finalize, which reclaims everything, cannot hide a leak).
 */
class AxLlmMultiCardTest {
    private static Path config;
    private static AxclRuntime held;
    private static long[] freeCmm;

    @BeforeAll
    static void fiveCards() throws IOException {
        config = Files.createTempFile("npu4j-axcl-5cards-", ".json");
        config.toFile().deleteOnExit();
        Files.writeString(config, "{\"npu4j_emulator\": {\"device_count\": 5}}");
        held = AxclRuntime.acquire(rt());
        assertEquals(List.of(1, 2, 3, 4, 5), held.deviceIds());
        freeCmm = new long[5];
        for (int i = 0; i < 5; i++) {
            freeCmm[i] = held.deviceProperties(i + 1).freeCmmKiB();
        }
    }

    @AfterAll
    static void release() {
        held.close();
    }

    /** Nothing of a test is left: no model, no device allocation, every card's CMM free again. */
    @AfterEach
    void nothingLeft() {
        assertEquals(0, EmuCounters.live("models"));
        assertEquals(0, EmuCounters.live("device_allocations"));
        assertEquals(0, EmuCounters.live("ios"));
        for (int i = 0; i < 5; i++) {
            assertEquals(freeCmm[i], held.deviceProperties(i + 1).freeCmmKiB(), "free CMM of device " + (i + 1));
        }
    }

    private static AxclRuntime.Options rt() {
        return AxclRuntime.Options.emulator().withConfig(config);
    }

    private static AxLlmPackage tiny() {
        return AxLlmPackage.read(Emulator.axllmPackage("tiny"));
    }

    private static AxLlmModel open(List<Integer> devices) {
        return AxLlmModel.open(tiny(), rt(), new AxLlmModel.Options(null, 0, "copy", -1, false, devices));
    }

    private static final String[] PROMPTS = {"Hi", "The quick brown fox jumps over the lazy dog again and again",
        "Write a haiku about NPUs and caches, please, with care, and then explain every line of it in detail."};

    private static int[][] answers(List<Integer> devices) {
        try (AxLlmModel m = open(devices)) {
            int[][] out = new int[PROMPTS.length][];
            for (int i = 0; i < PROMPTS.length; i++) {
                out[i] = m.generate(LlmRequest.builder().message(ChatMessage.user(PROMPTS[i])).maxNewTokens(24)
                        .reuseCache(false).build()).tokenIds();
            }
            return out;
        }
    }

    @Test
    void twoThreeAndFourCardsAnswerWithTheOneCardTokens() {
        int[][] one = answers(List.of(1));
        for (List<Integer> cards : List.of(List.of(1, 2), List.of(3, 1, 2), List.of(4, 3, 2, 1))) {
            int[][] split = answers(cards);
            for (int i = 0; i < PROMPTS.length; i++) {
                assertTrue(one[i].length > 0);
                assertArrayEquals(one[i], split[i], cards + ", prompt " + i);
            }
        }
    }

    private static java.util.Set<String> deviceThreads() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith("npu4j-axcl-llm-dev")) {
                names.add(t.getName());
            }
        }
        return names;
    }

    @Test
    void layersAreContiguousBlocksWithThePostModelOnTheLastCard() {
        assertArrayEquals(new int[][] {{0, 2}, {2, 4}}, AxLlmDevices.blocks(4, List.of(1, 2)));
        assertArrayEquals(new int[][] {{0, 2}, {2, 3}, {3, 4}}, AxLlmDevices.blocks(4, List.of(1, 2, 3)));
        assertArrayEquals(new int[][] {{0, 10}, {10, 19}, {19, 28}}, AxLlmDevices.blocks(28, List.of(1, 2, 3)));
        try (AxLlmModel m = open(List.of(2, 1))) {
            assertEquals(List.of(2, 1), m.devices().stream().map(AxDevice::id).toList());
            assertTrue(m.info().description().contains("layers 0-1 on device 2, 2-3 on device 1"), m.info().description());
            assertEquals(java.util.Set.of("npu4j-axcl-llm-dev1", "npu4j-axcl-llm-dev2"), deviceThreads(),
                    "one thread per card");
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("npu4j-axcl-llm-dev")) {
                try {
                    t.join(10_000); // its executor has terminated; the thread itself is on its last lines
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        }
        assertEquals(java.util.Set.of(), deviceThreads(), "the cards' threads end with the model");
    }

    /** Chunk boundaries, every prefill group, histories past the last group (decode-group prefill), tails. */
    @Test
    void chunkedPrefillGivesTheOneCardLogitsBitForBit() {
        int[] seq = new int[220];
        for (int i = 0; i < seq.length; i++) {
            seq[i] = (i * 37 + 11) % 600;
        }
        try (AxLlmModel a = open(List.of(1)); AxLlmModel b = open(List.of(2, 3))) {
            AxLlmEngine ea = AxLlmModelTest.engine(a);
            AxLlmEngine eb = AxLlmModelTest.engine(b);
            for (int len : new int[] {15, 16, 17, 33, 64, 65, 200}) {
                for (AxLlmEngine e : new AxLlmEngine[] {ea, eb}) {
                    e.truncate(0);
                    e.prefill(seq, 0, len);
                }
                assertArrayEquals(AxLlmModelTest.floats(ea), AxLlmModelTest.floats(eb), len + " tokens");
                for (AxLlmEngine e : new AxLlmEngine[] {ea, eb}) {
                    e.truncate(len / 2); // a tail after a cached prefix, as multi-turn does
                    e.prefill(seq, len / 2, len);
                }
                assertArrayEquals(AxLlmModelTest.floats(ea), AxLlmModelTest.floats(eb), len + " tokens, tail from " + len / 2);
                ea.decode(seq[len]);
                eb.decode(seq[len]);
                assertArrayEquals(AxLlmModelTest.floats(ea), AxLlmModelTest.floats(eb), "decode after " + len);
            }
        }
    }

    /**
     * Qwen3-VL (6 mRoPE layers, 3 deepstack features) on 3 cards: layers 0-1, 2-3, 4-5, so the features of
     * layers 0 and 1 are added on the first card and that of layer 2 on the second; image, multi-turn with
     * the image cached, the same tokens as one card.
     */
    @Test
    void qwen3VlWithMropeAndDeepstackAcrossThreeCardsAnswersAsOneCard() {
        List<List<int[]>> out = new ArrayList<>();
        for (List<Integer> cards : List.of(List.of(1), List.of(1, 2, 3))) {
            List<int[]> answers = new ArrayList<>();
            try (AxLlmModel m = AxLlmModel.open(AxLlmPackage.read(AxLlmQwen3VlTest.pkg()), rt(),
                    new AxLlmModel.Options(null, 0, "copy", -1, false, cards))) {
                ChatSession chat = m.chat();
                answers.add(chat.send("What does the picture show?", List.of(AxLlmQwen3VlTest.RED),
                        TokenListener.NONE).tokenIds());
                answers.add(chat.send("And its colour again?").tokenIds());
                answers.add(m.generate(LlmRequest.builder().message(ChatMessage.user("What is this?",
                        List.of(AxLlmQwen3VlTest.BLUE))).thinking(false).maxNewTokens(24).build()).tokenIds());
            }
            out.add(answers);
        }
        for (int i = 0; i < out.get(0).size(); i++) {
            assertTrue(out.get(0).get(i).length > 0);
            assertArrayEquals(out.get(0).get(i), out.get(1).get(i), "answer " + i);
        }
    }

    @Test
    void multiTurnReusesTheCacheOnEveryCardAndMatchesOneCard() {
        List<int[]> one = new ArrayList<>();
        List<int[]> two = new ArrayList<>();
        for (List<Integer> cards : List.of(List.of(1), List.of(1, 2))) {
            List<int[]> out = cards.size() == 1 ? one : two;
            try (AxLlmModel m = open(cards)) {
                ChatSession chat = m.chat();
                Completion c1 = chat.send("Hello there");
                int cached = m.cachedTokens();
                Completion c2 = chat.send("And what else?");
                assertTrue(c2.promptTokens() < cached, cards + ": prefilled " + c2.promptTokens() + " with " + cached
                        + " cached: expected the new tail only");
                Completion c3 = chat.send("Thanks, one more thing about the layers?");
                out.add(c1.tokenIds());
                out.add(c2.tokenIds());
                out.add(c3.tokenIds());
            }
        }
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i), two.get(i), "turn " + (i + 1));
        }
    }

    /**
     * A decoded token on two cards (layers 0-1 on device 1, 2-3 and the post model on device 2): each card
     * executes its own layers and copies its own K/V rows; the hidden row crosses once through the host.
     */
    @Test
    void callsPerDecodedTokenLandOnTheCardThatOwnsTheLayers() {
        try (AxLlmModel m = open(List.of(1, 2))) {
            AxLlmEngine e = AxLlmModelTest.engine(m);
            int[] ids = m.tokenizer().encode("count the calls");
            e.prefill(ids, 0, ids.length);
            e.decode(5);
            AxDevice d1 = m.devices().get(0);
            AxDevice d2 = m.devices().get(1);
            AxCallCounts a0 = d1.callCounts();
            AxCallCounts b0 = d2.callCounts();
            long[] emu0 = EmuCounters.snapshot();
            e.decode(6);
            AxCallCounts a = d1.callCounts().minus(a0);
            AxCallCounts b = d2.callCounts().minus(b0);
            long[] emu = EmuCounters.snapshot();
            // card 1: embedding row, position, mask column up; 2 layers; 2 x 2 K/V rows; the hidden row down
            assertEquals(new AxCallCounts(2, 3, 1, 4, 0, 0), a, "device 1");
            // card 2: hidden row, position, mask column up; 2 layers + post; 2 x 2 K/V rows; the logits down
            assertEquals(new AxCallCounts(3, 3, 1, 4, 0, 0), b, "device 2");
            assertEquals(a.plus(b), e.calls().minus(a0.plus(b0)));
            assertEquals(a.executes() + b.executes(), emu[0] - emu0[0], "the emulator counts the same executes");
            assertEquals(a.crossing() + b.crossing(), emu[5] - emu0[5], "and the same PCIe calls");
            // one card: the same token costs 4 calls fewer (the boundary's D2H + 3 H2D)
            assertEquals(5 + 4 + 2 * 4, a.crossing() + b.crossing() - 4);
        }
    }

    @Test
    void abortOnTwoCardsStopsAtTheNextToken() {
        try (AxLlmModel m = open(List.of(1, 2))) {
            AtomicInteger seen = new AtomicInteger();
            Completion c = m.generate(LlmRequest.builder().message(ChatMessage.user("go on")).maxNewTokens(200).build(),
                    new TokenListener() {
                        @Override
                        public void onToken(String text, int tokenId) {
                            if (seen.incrementAndGet() == 3) {
                                m.abort();
                            }
                        }
                    });
            assertEquals(Outcome.ABORTED, c.outcome());
            assertEquals(3, c.tokenCount());
            // the model still answers after an abort
            assertTrue(m.generate(LlmRequest.builder().message(ChatMessage.user("again")).maxNewTokens(4).build())
                    .tokenCount() > 0);
        }
    }

    @Test
    void closeOnTwoCardsMidRunEndsTheRunAtTheNextTokenAndReleasesBothCards() throws Exception {
        AxLlmModel m = open(List.of(1, 2));
        CountDownLatch two = new CountDownLatch(2);
        AtomicInteger seen = new AtomicInteger();
        CompletableFuture<Completion> f = m.generateAsync(LlmRequest.builder().message(ChatMessage.user("go on"))
                .maxNewTokens(200).build(), new TokenListener() {
                    @Override
                    public void onToken(String text, int tokenId) {
                        seen.incrementAndGet();
                        two.countDown();
                        if (seen.get() == 2) {
                            try {
                                Thread.sleep(200); // let close() start while the run is in the middle
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }
                });
        assertTrue(two.await(60, TimeUnit.SECONDS));
        m.close();
        Completion c = f.get(60, TimeUnit.SECONDS);
        assertEquals(Outcome.ABORTED, c.outcome());
        assertTrue(c.tokenCount() <= 3, "closed after token 2, stopped after " + c.tokenCount());
        assertThrows(IllegalStateException.class, () -> m.generate(LlmRequest.builder()
                .message(ChatMessage.user("x")).build()));
    }

    @Test
    void badDeviceListsAreRefusedNamingTheKeyAndTheValue() {
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class, () -> open(List.of(1, 9)));
        assertTrue(absent.getMessage().contains("axcl.devices = [1, 9]: device 9 is not present")
                && absent.getMessage().contains("[1, 2, 3, 4, 5]"), absent.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> open(List.of(2, 2)));
        assertTrue(twice.getMessage().contains("axcl.devices = [2, 2]: 2 is named twice"), twice.getMessage());
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class, () -> open(List.of(1, 2, 3, 4, 5)));
        assertTrue(many.getMessage().contains("axcl.devices = [1, 2, 3, 4, 5]: 5 devices for 4 layers"), many.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> AxLlmModel.open(tiny(), rt(),
                new AxLlmModel.Options(null, 0, "copy", 1, false, List.of(1, 2))));
        assertTrue(both.getMessage().contains("axcl.devices = [1, 2] and axcl.device = 1"), both.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> AxLlmModel.open(tiny(), rt(),
                new AxLlmModel.Options(null, 0, "copy", 7, false)));
        assertTrue(one.getMessage().contains("axcl.device = 7: device 7 is not present"), one.getMessage());
    }

    @Test
    void thePackagesDevicesAreIndicesIntoTheDeviceList(@TempDir Path dir) throws IOException {
        Path pkgDir = Emulator.axllmPackage("tiny", dir.resolve("tiny"));
        Path cfg = pkgDir.resolve(AxLlmPackage.CONFIG);
        String json = Files.readString(cfg);
        assertTrue(json.contains("\"devices\": [0]"), json);
        Files.writeString(cfg, json.replace("\"devices\": [0]", "\"devices\": [2, 0]"));
        try (AxLlmModel m = AxLlmModel.open(AxLlmPackage.read(pkgDir), rt(), AxLlmModel.Options.DEFAULTS)) {
            assertEquals(List.of(3, 1), m.devices().stream().map(AxDevice::id).toList(), "indices 2, 0 = ids 3, 1");
        }
        Files.writeString(cfg, json.replace("\"devices\": [0]", "\"devices\": [0, 7]"));
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> AxLlmModel.open(AxLlmPackage.read(pkgDir), rt(), AxLlmModel.Options.DEFAULTS));
        assertTrue(absent.getMessage().contains(cfg + ": key devices = [0, 7]: index 7 is not present"),
                absent.getMessage());
        Files.writeString(cfg, json.replace("\"devices\": [0]", "\"devices\": [1, 1]"));
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(pkgDir));
        assertTrue(twice.getMessage().contains("key devices = [1, 1]: 1 is named twice"), twice.getMessage());
        Files.writeString(cfg, json.replace("\"devices\": [0]", "\"devices\": [0, 1, 2, 3, 4]"));
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(pkgDir));
        assertTrue(many.getMessage().contains("5 devices for 4 layers"), many.getMessage());
        Files.writeString(cfg, json.replace("\"devices\": [0]", "\"devices\": [\"0\"]"));
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(pkgDir));
        assertTrue(text.getMessage().contains("key devices is [\"0\"]"), text.getMessage());
    }

    @Test
    void aCardWithoutRoomForItsBlockIsRefusedBeforeAnythingLoads() throws IOException {
        // device 2 (2 MiB of CMM, 1.5 MiB of it taken) gets layers 2-3 (256 KiB each) and the post model (512 KiB)
        held.close();
        Path small = Files.createTempFile("npu4j-axcl-small-", ".json");
        small.toFile().deleteOnExit();
        Files.writeString(small, "{\"npu4j_emulator\": {\"devices\": [{\"bus\": 1}, {\"bus\": 2, \"cmm_mib\": 2}]}}");
        AxclRuntime.Options o = AxclRuntime.Options.emulator().withConfig(small);
        try (AxclRuntime rt = AxclRuntime.acquire(o)) {
            try (var taken = rt.device(2).allocate(3L << 19, "taken")) {
                org.npu4j.NpuException e = assertThrows(org.npu4j.NpuException.class, () -> AxLlmModel.open(
                        AxLlmPackage.read(Emulator.axllmPackage("tiny")), o,
                        new AxLlmModel.Options(null, 0, "copy", -1, false, List.of(1, 2))));
                assertTrue(e.getMessage().contains("(layers 2..3 and the post model) need 1.0 MiB of CMM")
                        && e.getMessage().contains("device 2 has 0.5 MiB free"), e.getMessage());
                assertTrue(!(e instanceof org.npu4j.axcl.AxclException), "refused by the check, not a failed load: " + e);
                assertEquals(0, EmuCounters.live("models"));
                assertEquals(1, EmuCounters.live("device_allocations"), "only the test's own buffer");
            }
        } finally {
            held = AxclRuntime.acquire(rt());
        }
    }

    @Test
    void theNeutralApiTakesTheDeviceListAndTheConfig() {
        LoadOptions o = LoadOptions.DEFAULTS.withOption("axcl.devices", "1, 2").withOption("axcl.config", config.toString());
        try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny", o)) {
            assertTrue(m.info().description().contains("layers 0-1 on device 1, 2-3 on device 2"), m.info().description());
            assertTrue(m.generate(LlmRequest.builder().message(ChatMessage.user("Hello")).maxNewTokens(8).build())
                    .tokenCount() > 0);
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> LanguageModel.openEmulator(
                "ax650n-tiny", LoadOptions.DEFAULTS.withOption("axcl.devices", "1,x").withOption("axcl.config",
                        config.toString())));
        assertTrue(bad.getMessage().contains("axcl.devices '1,x'"), bad.getMessage());
    }
}
