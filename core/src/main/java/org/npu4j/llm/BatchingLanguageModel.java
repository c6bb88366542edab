package org.npu4j.llm;

import java.util.List;

/**
 * A model that can run several requests as one batch: one pass of the runtime serves every entry (RKLLM:
 * {@code rkllm_run} with {@code n_batch} inputs), so N concurrent answers cost less than N runs one
 * after the other. It does when {@link ModelInfo#capabilities()} holds {@link Capability#BATCH} (the
 * model was opened with the option {@code batch=N}, N &gt; 1); {@link #maxBatch()} is then N.
 *
 * <h2>What a batch shares</h2>
 * The runtime's per-model state: RKLLM's chat template (system prompt, thinking switch), function
 * declarations and, per run, the sampling values. Only requests {@link #batchable} with each other may
 * share a batch. Conversation KV reuse ({@link Capability#KV_REUSE}) does not apply to a batch: every
 * entry prefills its whole conversation into its own KV cache, so two conversations never share state.
 *
 * <h2>Threading</h2>
 * As {@link LanguageModel}: one run at a time, a batch is one run; each entry's listener is called on the
 * backend's thread, entries one after another within a step.
 */
public interface BatchingLanguageModel extends LanguageModel {

    /** Most entries per batch: N of {@code batch=N}; 1 when the model was opened without it. */
    int maxBatch();

    /**
     * Whether {@code a} and {@code b} may run in one batch (an equivalence relation). RKLLM: the same
     * system prompt, function declarations, thinking switch and sampling values.
     */
    boolean batchable(LlmRequest a, LlmRequest b);

    /**
     * Runs up to {@link #maxBatch()} entries as one batch and blocks until the run ended. Each entry's
     * {@link BatchEntry#result()} completes as soon as that entry is done; {@link BatchEntry#stop()} ends
     * one entry and, once none is left, the run.
     *
     * @param entries 1 to {@link #maxBatch()} entries, all {@link #batchable} with the first
     * @return one completion per entry, in order; a stopped entry's is {@link Outcome#ABORTED}, as is a
     *         failed entry's (its {@link BatchEntry#result()} holds the failure)
     * @throws IllegalArgumentException if there are no entries or too many, or they are not batchable, or a
     *                                  request does not fit the model
     * @throws IllegalStateException    if the model is closed, or was not opened for batches
     * @throws org.npu4j.NpuException   if the runtime fails (every entry's result then fails with it)
     */
    List<Completion> generateBatch(List<BatchEntry> entries);
}
