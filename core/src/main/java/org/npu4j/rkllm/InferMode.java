package org.npu4j.rkllm;

/** What a run produces ({@code RKLLMInferMode}). */
public enum InferMode {
    /** Generate text: tokens reach {@link GenerationListener#onToken}. */
    GENERATE,
    /**
     * Return the last hidden layer of the prompt ({@code RKLLM_INFER_GET_LAST_HIDDEN_LAYER}): one
     * callback with {@code num_tokens x embd_size} floats, then the run ends (no text is generated).
     */
    LAST_HIDDEN_LAYER,
    /**
     * Return logits ({@code RKLLM_INFER_GET_LOGITS}): first the prompt's rows ({@code num_tokens x
     * vocab_size} floats; the last row predicts the first answer token), then one row per generated token.
     */
    LOGITS
}
