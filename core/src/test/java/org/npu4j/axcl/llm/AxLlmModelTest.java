package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.Outcome;

/** The AXCL LLM runner on the emulator's tiny package (4 layers, C 255, P 16, prefill history 0/64/128/192). */
class AxLlmModelTest {
    static Path tiny() {
        return Emulator.axllmPackage("tiny");
    }

    static AxLlmModel open(String kv) {
        return AxLlmModel.open(AxLlmPackage.read(tiny()), AxclRuntime.Options.emulator(),
                new AxLlmModel.Options(null, 0, kv, -1));
    }

    @Test
    void reportsTheSizesDerivedFromLayerZero() {
        try (AxLlmModel m = open("copy")) {
            assertEquals(255, m.contextLength());
            assertEquals(16, m.prefillChunk());
            assertArrayEquals(new int[] {0, 64, 128, 192}, m.prefillHistoryCapacities());
            assertEquals("axcl", m.info().backend());
            assertTrue(m.info().emulator());
            assertEquals(255, m.info().contextLength());
        }
        assertEquals(0, EmuCounters.live("device_allocations"));
        assertEquals(0, EmuCounters.live("models"));
    }

    @Test
    void opensThroughTheNeutralApiAndAnswers() {
        try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny", LoadOptions.DEFAULTS)) {
            Completion c = m.generate(LlmRequest.builder().message(org.npu4j.llm.ChatMessage.user("Hello, who are you?"))
                    .maxNewTokens(24).build());
            assertEquals(Outcome.FINISHED, c.outcome());
            assertTrue(c.tokenCount() > 0, c.toString());
            assertFalse(c.text().isEmpty(), c.toString());
        }
        assertEquals(0, EmuCounters.live("device_allocations"));
    }

    /** Decoding token by token gives exactly the tokens a full recompute of the context predicts. */
    @Test
    void decodeEqualsFullRecompute() {
        try (AxLlmModel m = open("copy")) {
            AxLlmEngine e = engine(m);
            LlmTokenizer tok = m.tokenizer();
            for (String prompt : new String[] {"Hi", "The quick brown fox jumps over the lazy dog again and again",
                    "<|im_start|>user\nWrite a haiku about NPUs and caches, please, with care.<|im_end|>\n<|im_start|>assistant\n"}) {
                int[] ids = tok.encode(prompt);
                int steps = 20;
                e.truncate(0);
                e.prefill(ids, 0, ids.length);
                int[] seq = Arrays.copyOf(ids, ids.length + steps);
                for (int s = 0; s < steps; s++) {
                    int next = Sampler.argmax(floats(e), m.pkg().vocab());
                    seq[ids.length + s] = next;
                    e.decode(next);
                }
                // full recompute of every prefix, one prefill each
                for (int s = 0; s < steps; s += 3) {
                    int len = ids.length + s;
                    e.truncate(0);
                    e.prefill(seq, 0, len);
                    assertEquals(seq[len], Sampler.argmax(floats(e), m.pkg().vocab()),
                            "prompt \"" + prompt + "\" step " + s + " (" + len + " tokens)");
                }
            }
        }
    }

    /** Chunk boundaries (P = 16) and histories past every prefill group (192): prefill == decode. */
    @Test
    void prefillMatchesDecodeAcrossChunkBoundaries() {
        try (AxLlmModel m = open("copy")) {
            AxLlmEngine e = engine(m);
            int[] seq = new int[220];
            for (int i = 0; i < seq.length; i++) {
                seq[i] = (i * 37 + 11) % 600;
            }
            for (int len : new int[] {15, 16, 17, 33, 64, 65, 200}) {
                e.truncate(0);
                for (int i = 0; i < len; i++) {
                    e.decode(seq[i]);
                }
                int byDecode = Sampler.argmax(floats(e), m.pkg().vocab());
                e.truncate(0);
                e.prefill(seq, 0, len);
                assertEquals(byDecode, Sampler.argmax(floats(e), m.pkg().vocab()), len + " tokens");
                // a tail after a cached prefix, as multi-turn does
                e.truncate(len / 2);
                e.prefill(seq, len / 2, len);
                assertEquals(byDecode, Sampler.argmax(floats(e), m.pkg().vocab()), len + " tokens, tail from " + len / 2);
            }
        }
    }

    @Test
    void bindStrategyGivesTheSameTokens() {
        int[] a;
        int[] b;
        LlmRequest r = LlmRequest.builder().message(org.npu4j.llm.ChatMessage.user("Tell me about caches"))
                .maxNewTokens(30).build();
        try (AxLlmModel m = open("copy")) {
            a = m.generate(r).tokenIds();
        }
        try (AxLlmModel m = open("bind")) {
            b = m.generate(r).tokenIds();
        }
        assertArrayEquals(a, b);
    }

    @Test
    void multiTurnReusesTheCacheAndMatchesAFreshModel() {
        Completion second;
        String first;
        try (AxLlmModel m = open("copy")) {
            ChatSession chat = m.chat();
            Completion c1 = chat.send("Hello there");
            first = c1.text();
            int cachedAfterFirst = m.cachedTokens();
            second = chat.send("And what else?");
            assertTrue(second.promptTokens() < cachedAfterFirst, "prefilled " + second.promptTokens()
                    + " tokens with " + cachedAfterFirst + " cached: expected the new tail only");
        }
        try (AxLlmModel fresh = open("copy")) {
            ChatSession chat = fresh.chat();
            chat.send("Hello there");
            Completion again = chat.send("And what else?");
            assertArrayEquals(second.tokenIds(), again.tokenIds());
        }
        assertFalse(first.isEmpty());
    }

    @Test
    void countsAxclCallsPerDecodedToken() {
        for (String kv : new String[] {"copy", "bind"}) {
            try (AxLlmModel m = open(kv)) {
                AxLlmEngine e = engine(m);
                int[] ids = m.tokenizer().encode("count the calls");
                e.prefill(ids, 0, ids.length);
                e.decode(5);
                long[] before = EmuCounters.snapshot();
                e.decode(6);
                long[] after = EmuCounters.snapshot();
                long exec = after[0] - before[0];
                long pcie = after[5] - before[5];
                long binds = after[6] - before[6];
                assertEquals(5, exec, kv + ": executes per token (4 layers + post)");
                long others = pcie - exec;
                if (kv.equals("copy")) {
                    assertEquals(4 + 2 * 4, others, "copy: embedding, indices, mask, logits + 2 D2D per layer");
                    assertEquals(0, binds);
                } else {
                    assertEquals(4, others, "bind: embedding, indices, mask, logits");
                    assertEquals(2 * 4, binds);
                }
            }
        }
    }

    @Test
    void abortStopsAtTheNextToken() throws Exception {
        try (AxLlmModel m = open("copy")) {
            java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
            Completion c = m.generate(LlmRequest.builder().message(org.npu4j.llm.ChatMessage.user("go on"))
                    .maxNewTokens(200).build(), new org.npu4j.llm.TokenListener() {
                        @Override
                        public void onToken(String text, int tokenId) {
                            if (seen.incrementAndGet() == 3) {
                                m.abort();
                            }
                        }
                    });
            if (c.tokenCount() >= 3) {
                assertEquals(Outcome.ABORTED, c.outcome());
                assertEquals(FinishReason.ABORTED, c.finishReason());
                assertEquals(3, c.tokenCount());
            }
        }
    }

    static AxLlmEngine engine(AxLlmModel m) {
        try {
            var f = AxLlmModel.class.getDeclaredField("engine");
            f.setAccessible(true);
            return (AxLlmEngine) f.get(m);
        } catch (ReflectiveOperationException ex) {
            throw new AssertionError(ex);
        }
    }

    /** The last step's logits as floats (bf16 << 16). */
    static float[] floats(AxLlmEngine e) {
        var seg = e.logits();
        float[] f = new float[e.vocab];
        for (int i = 0; i < f.length; i++) {
            f[i] = Float.intBitsToFloat(seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
        }
        return f;
    }
}
