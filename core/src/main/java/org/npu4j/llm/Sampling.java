package org.npu4j.llm;

import org.jspecify.annotations.Nullable;

/**
 * Per-request sampling settings; a null field keeps the model's own setting (RKLLM: the values the
 * model was loaded with; AXCL: the package's {@code post_config.json}).
 *
 * @param temperature       logits divided by it before sampling; 0 = greedy (argmax); {@code >= 0}
 * @param topP              nucleus sampling, (0, 1]
 * @param topK              the k most likely tokens, {@code >= 0} (0 = off)
 * @param repetitionPenalty penalty on tokens generated recently, {@code > 0} (1 = off)
 * @param frequencyPenalty  OpenAI-style, subtracted per occurrence
 * @param presencePenalty   OpenAI-style, subtracted once per token that occurred
 * @param seed              seed of the sampler for reproducible answers, or null for a fresh one;
 *                          a backend whose runtime takes no seed says so in {@link ModelInfo#capabilities()}
 */
public record Sampling(@Nullable Float temperature, @Nullable Float topP, @Nullable Integer topK,
        @Nullable Float repetitionPenalty, @Nullable Float frequencyPenalty, @Nullable Float presencePenalty,
        @Nullable Long seed) {

    /** Everything as the model has it. */
    public static final Sampling DEFAULT = new Sampling(null, null, null, null, null, null, null);

    public Sampling {
        check(temperature == null || (temperature >= 0 && Float.isFinite(temperature)), "temperature", temperature, ">= 0");
        check(topP == null || (topP > 0 && topP <= 1), "topP", topP, "in (0, 1]");
        check(topK == null || topK >= 0, "topK", topK, ">= 0");
        check(repetitionPenalty == null || (repetitionPenalty > 0 && Float.isFinite(repetitionPenalty)),
                "repetitionPenalty", repetitionPenalty, "> 0");
        check(frequencyPenalty == null || Float.isFinite(frequencyPenalty), "frequencyPenalty", frequencyPenalty, "finite");
        check(presencePenalty == null || Float.isFinite(presencePenalty), "presencePenalty", presencePenalty, "finite");
    }

    private static void check(boolean ok, String name, @Nullable Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(name + " = " + value + ": expected " + expected);
        }
    }

    /** True if every field is null. */
    public boolean isDefault() {
        return equals(DEFAULT);
    }

    public Sampling withTemperature(@Nullable Float v) {
        return new Sampling(v, topP, topK, repetitionPenalty, frequencyPenalty, presencePenalty, seed);
    }

    public Sampling withTopP(@Nullable Float v) {
        return new Sampling(temperature, v, topK, repetitionPenalty, frequencyPenalty, presencePenalty, seed);
    }

    public Sampling withTopK(@Nullable Integer v) {
        return new Sampling(temperature, topP, v, repetitionPenalty, frequencyPenalty, presencePenalty, seed);
    }

    public Sampling withRepetitionPenalty(@Nullable Float v) {
        return new Sampling(temperature, topP, topK, v, frequencyPenalty, presencePenalty, seed);
    }

    public Sampling withFrequencyPenalty(@Nullable Float v) {
        return new Sampling(temperature, topP, topK, repetitionPenalty, v, presencePenalty, seed);
    }

    public Sampling withPresencePenalty(@Nullable Float v) {
        return new Sampling(temperature, topP, topK, repetitionPenalty, frequencyPenalty, v, seed);
    }

    public Sampling withSeed(@Nullable Long v) {
        return new Sampling(temperature, topP, topK, repetitionPenalty, frequencyPenalty, presencePenalty, v);
    }
}
