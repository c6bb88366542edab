package org.npu4j.serve;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.ToolCall;

/**
 * The tool calls this server handed out, by the id it gave them (the most recent {@value #CAPACITY}).
 * A client sends a call back in the history of its next request; taking the call as the model wrote it
 * (not re-serialised from the client's copy) keeps that history equal to the conversation the backend
 * cached, so the backend reuses its KV cache instead of prefilling everything again. Thread-safe.
 */
final class IssuedCalls {
    static final int CAPACITY = 4096;

    private final Map<String, ToolCall> byId = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ToolCall> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void put(String id, ToolCall call) {
        byId.put(id, call);
    }

    /** The call issued as {@code id} if the client's copy has the same name and arguments, else {@code fromClient}. */
    synchronized ToolCall resolve(@Nullable String id, ToolCall fromClient) {
        ToolCall issued = id == null ? null : byId.get(id);
        return issued != null && issued.name().equals(fromClient.name())
                && issued.arguments().equals(fromClient.arguments()) ? issued : fromClient;
    }
}
