package org.npu4j.rkllm;

/**
 * Token sampling parameters of the RKLLM runtime: the fields {@code top_k} ... {@code mirostat_eta}
 * of {@code RKLLMParam} (set when a model loads) and of {@code RKLLMSamplingParam} (ABI 1.3 only: a
 * per-run override, see {@link GenerationRequest.Builder#sampling}).
 *
 * <p>The vendor header documents no ranges; the ranges {@link #validate()} checks are those in which
 * each parameter has a meaning for the llama.cpp-style samplers the runtime implements (top-k, top-p,
 * temperature, repetition/frequency/presence penalties, Mirostat 1 and 2). Start from the model's
 * values ({@link RkllmModel#sampling()}) and change what you need with the {@code with...} methods.
 *
 * @param topK             keep the K most likely tokens; 0 = no top-k cut (whole vocabulary); range
 *                         {@code >= 0}
 * @param topP             nucleus sampling: keep the smallest set of tokens whose probabilities add up to
 *                         P; range {@code (0, 1]}, 1 = off
 * @param temperature      divides the logits; 0 = greedy; range {@code >= 0}, finite
 * @param repeatPenalty    divides the logits of tokens seen recently; 1 = off; range {@code > 0}, finite
 * @param frequencyPenalty subtracted per previous occurrence of a token; 0 = off; any finite value
 * @param presencePenalty  subtracted once from every token already present; 0 = off; any finite value
 * @param mirostat         0 = off, 1 = Mirostat, 2 = Mirostat 2.0 (then top-k/top-p are not used)
 * @param mirostatTau      Mirostat target entropy (surprise); range {@code > 0}, finite
 * @param mirostatEta      Mirostat learning rate; range {@code > 0}, finite
 */
public record SamplingParams(int topK, float topP, float temperature, float repeatPenalty, float frequencyPenalty,
        float presencePenalty, int mirostat, float mirostatTau, float mirostatEta) {

    /**
     * Checks every field; the builders that take sampling parameters call this before anything reaches
     * the runtime. (The record itself accepts any values: the runtime's own defaults are taken as they
     * are.)
     *
     * @return this
     * @throws IllegalArgumentException naming the first field outside its range and the accepted range
     */
    public SamplingParams validate() {
        check(topK >= 0, "topK (top_k)", topK, ">= 0");
        check(topP > 0 && topP <= 1, "topP (top_p)", topP, "(0, 1]");
        check(Float.isFinite(temperature) && temperature >= 0, "temperature", temperature, ">= 0 and finite");
        check(Float.isFinite(repeatPenalty) && repeatPenalty > 0, "repeatPenalty (repeat_penalty)", repeatPenalty,
                "> 0 and finite (1 = off)");
        check(Float.isFinite(frequencyPenalty), "frequencyPenalty (frequency_penalty)", frequencyPenalty,
                "any finite value (0 = off)");
        check(Float.isFinite(presencePenalty), "presencePenalty (presence_penalty)", presencePenalty,
                "any finite value (0 = off)");
        check(mirostat >= 0 && mirostat <= 2, "mirostat", mirostat, "0 (off), 1 or 2");
        check(Float.isFinite(mirostatTau) && mirostatTau > 0, "mirostatTau (mirostat_tau)", mirostatTau,
                "> 0 and finite");
        check(Float.isFinite(mirostatEta) && mirostatEta > 0, "mirostatEta (mirostat_eta)", mirostatEta,
                "> 0 and finite");
        return this;
    }

    public SamplingParams withTopK(int v) {
        return new SamplingParams(v, topP, temperature, repeatPenalty, frequencyPenalty, presencePenalty, mirostat,
                mirostatTau, mirostatEta);
    }

    public SamplingParams withTopP(float v) {
        return new SamplingParams(topK, v, temperature, repeatPenalty, frequencyPenalty, presencePenalty, mirostat,
                mirostatTau, mirostatEta);
    }

    public SamplingParams withTemperature(float v) {
        return new SamplingParams(topK, topP, v, repeatPenalty, frequencyPenalty, presencePenalty, mirostat,
                mirostatTau, mirostatEta);
    }

    public SamplingParams withRepeatPenalty(float v) {
        return new SamplingParams(topK, topP, temperature, v, frequencyPenalty, presencePenalty, mirostat,
                mirostatTau, mirostatEta);
    }

    public SamplingParams withFrequencyPenalty(float v) {
        return new SamplingParams(topK, topP, temperature, repeatPenalty, v, presencePenalty, mirostat, mirostatTau,
                mirostatEta);
    }

    public SamplingParams withPresencePenalty(float v) {
        return new SamplingParams(topK, topP, temperature, repeatPenalty, frequencyPenalty, v, mirostat, mirostatTau,
                mirostatEta);
    }

    /** Mirostat mode and its parameters together. */
    public SamplingParams withMirostat(int mode, float tau, float eta) {
        return new SamplingParams(topK, topP, temperature, repeatPenalty, frequencyPenalty, presencePenalty, mode, tau,
                eta);
    }

    static void check(boolean ok, String field, Object value, String range) {
        if (!ok) {
            throw new IllegalArgumentException(field + " = " + value + " is out of range: accepted " + range);
        }
    }
}
