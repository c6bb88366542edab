package org.npu4j.axcl.llm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.Sampling;

/**
 * Host sampling of the next token from the post model's bf16 logits, in ax-llm's order
 * ({@code LLMPostprocess.hpp}): temperature (logits / T), then the repetition penalty over the distinct
 * ids of the last {@code penaltyWindow} generated tokens, then top-p if enabled, else top-k if enabled,
 * else argmax. Temperature 0 is greedy (ax-llm PR #56). Seeded for reproducible answers.
 *
 * <p>Repetition penalty p, as ax-llm applies it ({@code src/runner/LLMPostprocess.hpp} @ 26e333a7,
 * {@code apply_repetition_penalty} with a window; the same on branches {@code master} @ 30184f2 and
 * {@code axcl-llm} @ a17f6c2): a positive logit is divided by √p, any other multiplied by √p, once per
 * distinct id of the window. That is not the HF/llama.cpp rule (÷p / ×p): p = 1.44 here acts as 1.2
 * there. The rule holds for the package's {@code post_config.json} value and for a request's
 * {@link Sampling#repetitionPenalty()} alike, so a value means on npu4j what it means in ax-llm.
 *
 * <p>Greedy decoding (every switch off, as in the Qwen3-0.6B package's {@code post_config.json},
 * {@code shared/facts/axllm.md}) takes the argmax straight from the bf16 logits, with no float copy.
 * Top-p selects its candidates with a binary heap instead of sorting them all: the nucleus of a peaked
 * distribution is a handful of tokens out of the tens of thousands within reach of the best.
 *
 * <p>Not thread-safe: one per model, used by the generating thread. Argmax and the penalty allocate
 * nothing; top-p and top-k allocate nothing after the first token (scratch arrays kept).
 */
final class Sampler {
    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final float[] logits;
    private final int vocab;
    private int[] candidates = new int[64];
    private float[] probs = new float[64];
    private long[] keys = new long[0];
    private SplittableRandom random = new SplittableRandom();

    // The settings of the current run.
    private boolean temperatureOn;
    private float temperature;
    private boolean penaltyOn;
    private float penalty;
    /** √{@link #penalty}: the factor ax-llm divides or multiplies by. */
    private float penaltyRoot;
    private int window;
    private boolean topPOn;
    private float topP;
    private boolean topKOn;
    private int topK;

    Sampler(int vocab) {
        this.vocab = vocab;
        this.logits = new float[vocab];
    }

    /** Settles the run's settings: the package's {@code post_config.json} overridden by the request's. */
    void configure(PostConfig pc, Sampling s) {
        temperatureOn = pc.temperatureEnabled();
        temperature = pc.temperature();
        penaltyOn = pc.repetitionPenaltyEnabled();
        penalty = pc.repetitionPenalty();
        window = pc.penaltyWindow();
        topPOn = pc.topPEnabled();
        topP = pc.topP();
        topKOn = pc.topKEnabled();
        topK = pc.topK();
        if (s.temperature() != null) {
            if (s.temperature() == 0f) {
                temperatureOn = topPOn = topKOn = false; // greedy
            } else {
                temperatureOn = true;
                temperature = s.temperature();
                if (!topPOn && !topKOn && s.topP() == null && s.topK() == null) {
                    topPOn = true; // a temperature asks for sampling: the package's top-p, as ax-llm's OpenAI server does
                }
            }
        }
        if (s.topP() != null) {
            topPOn = true;
            topP = s.topP();
        }
        if (s.topK() != null) {
            topKOn = s.topK() > 0;
            topK = Math.max(1, s.topK());
        }
        if (s.repetitionPenalty() != null) {
            penaltyOn = s.repetitionPenalty() != 1f;
            penalty = s.repetitionPenalty();
        }
        penaltyRoot = (float) Math.sqrt(penalty);
        @Nullable Long seed = s.seed();
        random = seed != null ? new SplittableRandom(seed) : new SplittableRandom();
    }

    /**
     * The next token from {@code bf16Logits} (at least {@code vocab} bf16 values).
     *
     * @param generated the ids generated so far in this run, {@code count} of them
     */
    int sample(MemorySegment bf16Logits, int[] generated, int count) {
        if (!temperatureOn && !penaltyOn && !topPOn && !topKOn) {
            return argmaxBf16(bf16Logits, vocab);
        }
        float[] l = logits;
        for (int i = 0; i < vocab; i++) {
            l[i] = Float.intBitsToFloat(bf16Logits.getAtIndex(BF16, i) << 16);
        }
        if (temperatureOn) {
            float inv = 1f / temperature;
            for (int i = 0; i < vocab; i++) {
                l[i] *= inv;
            }
        }
        if (penaltyOn) {
            for (int k = Math.max(0, count - window); k < count; k++) {
                int id = generated[k];
                boolean seen = false;
                for (int j = Math.max(0, count - window); j < k; j++) {
                    if (generated[j] == id) {
                        seen = true;
                        break;
                    }
                }
                if (!seen && id >= 0 && id < vocab) {
                    l[id] = l[id] > 0 ? l[id] / penaltyRoot : l[id] * penaltyRoot;
                }
            }
        }
        if (topPOn) {
            return topP();
        }
        if (topKOn) {
            return topK();
        }
        return argmax(l, vocab);
    }

    /** {@link #argmax(float[], int)} of the floats of {@code n} bf16 values, without copying them. */
    static int argmaxBf16(MemorySegment bf16, int n) {
        int best = 0;
        float max = Float.intBitsToFloat(bf16.getAtIndex(BF16, 0) << 16);
        for (int i = 1; i < n; i++) {
            float v = Float.intBitsToFloat(bf16.getAtIndex(BF16, i) << 16);
            if (v > max) {
                max = v;
                best = i;
            }
        }
        return best;
    }

    static int argmax(float[] l, int n) {
        int best = 0;
        float max = l[0];
        for (int i = 1; i < n; i++) {
            if (l[i] > max) {
                max = l[i];
                best = i;
            }
        }
        return best;
    }

    /** Samples among the k largest logits, softmax-weighted. */
    private int topK() {
        int k = Math.min(topK, vocab);
        ensure(k);
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[i];
            if (n < k) {
                insert(n++, i, v);
            } else if (v > logits[candidates[n - 1]]) {
                insert(n - 1, i, v);
            }
        }
        return draw(n);
    }

    /**
     * Nucleus: the smallest set of most likely tokens whose probability reaches {@code topP}. Tokens
     * more than 30 below the largest logit (probability ratio under 1e-13) are left out: their whole
     * mass is below 2e-8 even at a 152k vocabulary. The candidates' probabilities are normalised over
     * all of them; then the most likely are taken one by one, in descending logit order (ties: lower
     * id first), from a binary min-heap of their keys, until their probability reaches {@code topP}:
     * heapifying is linear, and only the kept tokens are taken out. (The total is summed in id order,
     * a full sort summed it in logit order: the same sum but for rounding in its last bits.)
     */
    private int topP() {
        float max = logits[argmax(logits, vocab)];
        float floor = max - 30f;
        if (keys.length < vocab) {
            keys = new long[vocab];
        }
        long[] h = keys;
        int n = 0;
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[i];
            if (v >= floor) {
                // descending by logit: the complement of the order-preserving int image of the float, then the id
                int bits = Float.floatToRawIntBits(v);
                int ordered = bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
                h[n++] = ((long) ~ordered << 32) | i;
                sum += (float) Math.exp(v - max);
            }
        }
        for (int i = (n >>> 1) - 1; i >= 0; i--) {
            siftDown(h, i, n);
        }
        int size = n;
        int keep = 0;
        double acc = 0;
        while (size > 0) {
            int id = (int) h[0];
            h[0] = h[--size];
            siftDown(h, 0, size);
            ensure(keep + 1);
            candidates[keep++] = id;
            acc += (float) Math.exp(logits[id] - max) / sum;
            if (acc >= topP) {
                break;
            }
        }
        return draw(keep);
    }

    /** Restores the min-heap order of {@code h[0, n)} below {@code i}. */
    private static void siftDown(long[] h, int i, int n) {
        long x = h[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && h[c + 1] < h[c]) {
                c++;
            }
            if (h[c] >= x) {
                break;
            }
            h[i] = h[c];
            i = c;
        }
        h[i] = x;
    }

    /** Inserts id into candidates[0, at] keeping them sorted by descending logit (candidates[at] is overwritten). */
    private void insert(int at, int id, float v) {
        int j = at;
        while (j > 0 && logits[candidates[j - 1]] < v) {
            candidates[j] = candidates[j - 1];
            j--;
        }
        candidates[j] = id;
    }

    private void ensure(int n) {
        if (candidates.length < n) {
            int cap = Math.max(n, candidates.length * 2);
            candidates = java.util.Arrays.copyOf(candidates, cap);
            probs = new float[cap];
        }
    }

    /** Draws among candidates[0, n) with softmax weights. */
    private int draw(int n) {
        float max = logits[candidates[0]];
        double sum = 0;
        for (int j = 0; j < n; j++) {
            probs[j] = (float) Math.exp(logits[candidates[j]] - max);
            sum += probs[j];
        }
        double r = random.nextDouble() * sum;
        for (int j = 0; j < n; j++) {
            r -= probs[j];
            if (r <= 0) {
                return candidates[j];
            }
        }
        return candidates[n - 1];
    }
}
