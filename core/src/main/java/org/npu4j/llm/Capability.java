package org.npu4j.llm;

/** What a loaded model (with its backend) can do beyond plain text generation. */
public enum Capability {
    /** Function calling: {@link LlmRequest#tools()} reach the model and its calls are parsed. */
    TOOLS,
    /** A thinking model: {@link LlmRequest#thinking()} switches its {@code <think>} block. */
    THINKING,
    /** Images in {@link ChatMessage}s reach a vision encoder. */
    IMAGES,
    /** {@link Sampling#seed()} is honoured (reproducible sampling). */
    SEED,
    /** A conversation that extends the previous one reuses the KV cache and prefills only the new tail. */
    KV_REUSE,
    /**
     * The model was opened with the neutral option {@code ignore_eos=true} ({@link LoadOptions}) and
     * honours it: every answer runs to its token limit, end-of-sequence tokens included (benchmarks of
     * a fixed number of tokens, as the vendor tables). Absent where the backend cannot (RKLLM ABI 1.2).
     */
    IGNORE_EOS,
    /**
     * Several requests run as one batch ({@link BatchingLanguageModel#generateBatch}): the model was
     * opened with the neutral option {@code batch=N} ({@link LoadOptions}), N &gt; 1, on a backend that
     * batches (RKLLM &ge; 1.2.1: {@code n_batch}). Absent on AXCL and on models opened without it.
     */
    BATCH
}
