package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.npu4j.llm.Sampling;

/**
 * The sampler chooses exactly what it chose before its top-p selection became a heap and greedy
 * decoding skipped the float copy ({@link SamplerReference}, the old code): seeded runs over logits
 * shaped like a language model's at Qwen3's vocabulary, in every mode of {@code post_config.json}
 * and with request overrides, token by token with the history feeding the repetition penalty.
 */
class SamplerTest {
    static final int VOCAB = 151_936;

    /** bf16 logits: a bulk around 0 (sd 2.5), a few hundred plausible tokens, one to three leaders. */
    static void logits(MemorySegment out, SplittableRandom r, int vocab) {
        for (int i = 0; i < vocab; i++) {
            float v = (float) (nextGaussian(r) * 2.5);
            out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        for (int k = 0; k < 300; k++) {
            float v = 8f + (float) (r.nextDouble() * 8);
            out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, r.nextInt(vocab), (short) (Float.floatToRawIntBits(v) >>> 16));
        }
        int leaders = 1 + r.nextInt(3);
        for (int k = 0; k < leaders; k++) {
            float v = 17f + (float) (r.nextDouble() * 3);
            out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, r.nextInt(vocab), (short) (Float.floatToRawIntBits(v) >>> 16));
        }
    }

    private static double nextGaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static void sameChoices(PostConfig pc, Sampling s, int tokens, long seed) {
        Sampler now = new Sampler(VOCAB);
        SamplerReference before = new SamplerReference(VOCAB);
        now.configure(pc, s);
        before.configure(pc, s);
        SplittableRandom r = new SplittableRandom(seed);
        int[] generated = new int[tokens];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment l = a.allocate(2L * VOCAB, 2);
            for (int t = 0; t < tokens; t++) {
                logits(l, r, VOCAB);
                int x = now.sample(l, generated, t);
                int y = before.sample(l, generated, t);
                assertEquals(y, x, "token " + t + " of seed " + seed + ", " + pc + ", " + s);
                generated[t] = x;
            }
        }
    }

    @Test
    void greedyIsTheArgmaxOfTheLogits() {
        sameChoices(PostConfig.GREEDY, Sampling.DEFAULT, 40, 1);
        sameChoices(PostConfig.GREEDY, Sampling.DEFAULT.withTemperature(0f), 10, 2);
    }

    @Test
    void topPChoosesAsTheFullSortDid() {
        PostConfig topP = new PostConfig(true, 0.9f, false, 1.2f, 20, true, 0.8f, false, 10);
        for (long seed = 10; seed < 12; seed++) {
            sameChoices(topP, Sampling.DEFAULT.withSeed(seed), 30, seed);
        }
        PostConfig everything = new PostConfig(true, 0.7f, true, 1.2f, 20, true, 0.95f, true, 10);
        sameChoices(everything, Sampling.DEFAULT.withSeed(42L), 30, 42);
        // flat logits: the nucleus is thousands of tokens, taken out of the heap one by one
        sameChoices(PostConfig.GREEDY, Sampling.DEFAULT.withTemperature(8f).withTopP(0.99f).withSeed(7L), 8, 7);
    }

    @Test
    void topKAndPenaltyChooseAsBefore() {
        PostConfig topK = new PostConfig(true, 0.9f, true, 1.3f, 8, false, 0.8f, true, 10);
        sameChoices(topK, Sampling.DEFAULT.withSeed(5L), 30, 5);
        sameChoices(PostConfig.GREEDY, Sampling.DEFAULT.withRepetitionPenalty(1.5f), 20, 6);
    }

    @Test
    void cachedPiecesAreTheDecodedBytesWithoutANewStringPerToken() {
        String[] cache = new String[8];
        Utf8Stream cached = new Utf8Stream(cache);
        Utf8Stream plain = new Utf8Stream();
        byte[][] tokens = {"Hello".getBytes(StandardCharsets.UTF_8), " wor".getBytes(StandardCharsets.UTF_8),
            {(byte) 0xE4, (byte) 0xB8}, {(byte) 0x96}, "ld".getBytes(StandardCharsets.UTF_8), {},
            {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}};
        int[] ids = {0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 6, 0};
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            a.append(cached.push(id, tokens[id]));
            b.append(plain.push(tokens[id]));
        }
        a.append(cached.flush());
        b.append(plain.flush());
        assertEquals(b.toString(), a.toString());
        assertEquals("Hello wor\u4e16ld\uD83D\uDE00Hello wor\u4e16\uD83D\uDE00Hello", a.toString());
        String first = cached.push(0, tokens[0]);
        assertSame(first, cached.push(0, tokens[0]), "a whole-character token is decoded once");
        assertTrue(cache[2] == null && cache[3] == null, "parts of a character are never cached");
    }
}
