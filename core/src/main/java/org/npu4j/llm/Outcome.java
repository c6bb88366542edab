package org.npu4j.llm;

/** How a run ended when it did not fail. */
public enum Outcome {
    /** The runtime finished: end of sequence, {@code max_new_tokens}, or a full context. */
    FINISHED,
    /** {@link LanguageModel#abort()} (or a cancelled future or subscription, a closed model) stopped it early. */
    ABORTED
}
