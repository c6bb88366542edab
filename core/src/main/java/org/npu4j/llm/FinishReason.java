package org.npu4j.llm;

/** Why a generation ended: the {@code finish_reason} / {@code done_reason} of the chat protocols. */
public enum FinishReason {
    /** The model ended its answer (a stop token) or a stop sequence matched. */
    STOP,
    /** The token limit ({@code maxNewTokens}) or the context length was reached. */
    LENGTH,
    /** The answer is one or more function calls. */
    TOOL_CALLS,
    /** The run was stopped: abort, cancel, close, a client that went away. */
    ABORTED
}
