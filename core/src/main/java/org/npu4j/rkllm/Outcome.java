package org.npu4j.rkllm;

/** How a run ended when it did not fail. */
public enum Outcome {
    /** The runtime finished: end of sequence, {@code max_new_tokens}, or a full context. */
    FINISHED,
    /** {@link RkllmModel#abort()} (or a cancelled future or subscription) stopped it early. */
    ABORTED
}
