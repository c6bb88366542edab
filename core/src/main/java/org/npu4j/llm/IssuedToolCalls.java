package org.npu4j.llm;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The tool calls handed to an application under an id (an OpenAI {@code tool_call_id}, a LangChain4j
 * {@code ToolExecutionRequest} id), the most recent {@value #CAPACITY}. The application sends a call
 * back in the history of its next request, usually re-serialised; taking the call as the model wrote it
 * ({@link ToolCall#json()} included) keeps that history equal to the conversation the backend cached
 * ({@link LlmRequest}: the messages must extend it), so the backend reuses its KV cache and answers the
 * tool result instead of prefilling and rendering everything again. Thread-safe.
 */
public final class IssuedToolCalls {
    public static final int CAPACITY = 4096;

    private final Map<String, ToolCall> byId = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ToolCall> eldest) {
            return size() > CAPACITY;
        }
    };

    /** Remembers {@code call} as handed out under {@code id}. */
    public synchronized void put(String id, ToolCall call) {
        byId.put(id, call);
    }

    /** The call issued as {@code id} if the client's copy has the same name and arguments, else {@code fromClient}. */
    public synchronized ToolCall resolve(@Nullable String id, ToolCall fromClient) {
        ToolCall issued = id == null ? null : byId.get(id);
        return issued != null && issued.name().equals(fromClient.name())
                && issued.arguments().equals(fromClient.arguments()) ? issued : fromClient;
    }
}
