package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.npu4j.llm.Sampling;

/**
 * The repetition penalty p acts as ax-llm's ({@code src/runner/LLMPostprocess.hpp} @ 26e333a7): a
 * positive logit of a recently generated id is divided by √p, a negative one multiplied by √p. Each
 * case is built so that the HF rule (÷p, ×p) picks the other token: the test fails on that formula.
 */
class SamplerPenaltyTest {
    private static final int VOCAB = 8;

    /** Greedy with the penalty on: the argmax of bf16 logits {@code values} after token 3 was generated. */
    private static int next(float penalty, float... values) {
        PostConfig pc = new PostConfig(false, 1f, true, penalty, 20, false, 0.8f, false, 10);
        Sampler s = new Sampler(VOCAB);
        s.configure(pc, Sampling.DEFAULT);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment l = a.allocate(2L * VOCAB, 2);
            for (int i = 0; i < VOCAB; i++) {
                l.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
            }
            return s.sample(l, new int[] {3, 3}, 2);
        }
    }

    @Test
    void positiveLogitIsDividedByTheSquareRoot() {
        // p = 1.21: 10 / 1.1 = 9.09 still beats 9 (the HF rule: 10 / 1.21 = 8.26 loses to 9)
        assertEquals(3, next(1.21f, 0, 0, 9, 10, 0, 0, 0, 0));
        // and a logit the root does push below the runner-up: 10 / 1.1 < 9.5
        assertEquals(2, next(1.21f, 0, 0, 9.5f, 10, 0, 0, 0, 0));
    }

    @Test
    void negativeLogitIsMultipliedByTheSquareRoot() {
        // p = 1.21: -1.5 * 1.1 = -1.65 still beats -1.75 (the HF rule: -1.5 * 1.21 = -1.815 loses)
        assertEquals(3, next(1.21f, -2, -2, -1.75f, -1.5f, -2, -2, -2, -2));
    }

    @Test
    void aRequestsPenaltyFollowsTheSameRule() {
        PostConfig greedy = PostConfig.GREEDY;
        Sampler s = new Sampler(VOCAB);
        s.configure(greedy, Sampling.DEFAULT.withRepetitionPenalty(1.21f));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment l = a.allocate(2L * VOCAB, 2);
            float[] v = {0, 0, 9, 10, 0, 0, 0, 0};
            for (int i = 0; i < VOCAB; i++) {
                l.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v[i]) >>> 16));
            }
            assertEquals(3, s.sample(l, new int[] {3}, 1), "10 / 1.1 beats 9");
        }
    }
}
