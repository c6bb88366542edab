package org.npu4j.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What to generate, on any backend: a conversation (system, user, assistant and tool messages) with
 * optional function declarations, or a plain prompt (one user turn under the model's chat template).
 *
 * <p>A backend that keeps a KV cache compares the messages with the conversation its cache holds: when
 * they extend it (the same messages, the previous answer, then new messages) only the new tail is
 * prefilled ({@link Capability#KV_REUSE}); otherwise the cache is reset and the whole conversation is
 * prefilled. Two different conversations never share cached state. {@link Builder#reuseCache(boolean)
 * reuseCache(false)} makes the backend prefill the whole prompt whatever its cache holds (a cold
 * prefill, as benchmarks of the time to first token want).
 *
 * <p>Immutable and thread-safe.
 */
public final class LlmRequest {
    private final List<ChatMessage> messages;
    private final List<ToolSpec> tools;
    private final @Nullable Boolean thinking;
    private final int maxNewTokens;
    private final Sampling sampling;
    private final List<String> stop;
    private final boolean reuseCache;

    private LlmRequest(Builder b) {
        this.messages = List.copyOf(b.messages);
        this.tools = List.copyOf(b.tools);
        this.thinking = b.thinking;
        this.maxNewTokens = b.maxNewTokens;
        this.sampling = b.sampling;
        this.stop = List.copyOf(b.stop);
        this.reuseCache = b.reuseCache;
    }

    /** One user message. */
    public static LlmRequest prompt(String text) {
        return builder().message(ChatMessage.user(text)).build();
    }

    /** A conversation. */
    public static LlmRequest chat(List<ChatMessage> messages) {
        return builder().messages(messages).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this request's settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.messages.addAll(messages);
        b.tools.addAll(tools);
        b.thinking = thinking;
        b.maxNewTokens = maxNewTokens;
        b.sampling = sampling;
        b.stop.addAll(stop);
        b.reuseCache = reuseCache;
        return b;
    }

    /** The conversation, oldest first; ends with a user or tool message. */
    public List<ChatMessage> messages() {
        return messages;
    }

    /** The functions the model may call (empty: none). */
    public List<ToolSpec> tools() {
        return tools;
    }

    /** Thinking on or off for a thinking model; null: the model's default. */
    public @Nullable Boolean thinking() {
        return thinking;
    }

    /** Most tokens to generate; 0 = the model's limit. */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    public Sampling sampling() {
        return sampling;
    }

    /** Stop sequences: generation ends before the first occurrence of any (not part of the answer). */
    public List<String> stop() {
        return stop;
    }

    /** False if the backend must prefill the whole prompt, whatever its KV cache holds. */
    public boolean reuseCache() {
        return reuseCache;
    }

    @Override
    public String toString() {
        return "LlmRequest[" + messages.size() + " messages, " + tools.size() + " tools, thinking=" + thinking
                + ", maxNewTokens=" + maxNewTokens + ", " + sampling + ", stop=" + stop + (reuseCache ? "" : ", cold prefill") + "]";
    }

    /** Builds an {@link LlmRequest}; not thread-safe. */
    public static final class Builder {
        private final List<ChatMessage> messages = new ArrayList<>();
        private final List<ToolSpec> tools = new ArrayList<>();
        private @Nullable Boolean thinking;
        private int maxNewTokens;
        private Sampling sampling = Sampling.DEFAULT;
        private final List<String> stop = new ArrayList<>();
        private boolean reuseCache = true;

        private Builder() {}

        public Builder message(ChatMessage m) {
            messages.add(Objects.requireNonNull(m, "message"));
            return this;
        }

        public Builder messages(List<ChatMessage> ms) {
            ms.forEach(this::message);
            return this;
        }

        public Builder tools(List<ToolSpec> ts) {
            ts.forEach(t -> tools.add(Objects.requireNonNull(t, "tool")));
            return this;
        }

        public Builder thinking(@Nullable Boolean on) {
            this.thinking = on;
            return this;
        }

        /** @throws IllegalArgumentException if {@code n < 0} */
        public Builder maxNewTokens(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxNewTokens = " + n + ": expected >= 1, or 0 for the model's limit");
            }
            this.maxNewTokens = n;
            return this;
        }

        public Builder sampling(Sampling s) {
            this.sampling = Objects.requireNonNull(s, "sampling");
            return this;
        }

        /**
         * Whether the backend may keep what its KV cache holds when the request extends it (default
         * true). False: the cache is reset and every prompt token is prefilled.
         */
        public Builder reuseCache(boolean on) {
            this.reuseCache = on;
            return this;
        }

        /** @throws IllegalArgumentException for an empty stop sequence */
        public Builder stop(List<String> sequences) {
            for (String s : sequences) {
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("empty stop sequence: expected at least one character");
                }
                stop.add(s);
            }
            return this;
        }

        /**
         * @throws IllegalArgumentException if there are no messages, a system message is not first, or
         *                                  the last message is neither a user nor a tool message
         */
        public LlmRequest build() {
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("no messages: expected at least one user message");
            }
            for (int i = 1; i < messages.size(); i++) {
                if (messages.get(i).role() == Role.SYSTEM) {
                    throw new IllegalArgumentException("message " + i + " is a system message: expected the system"
                            + " message first, if any");
                }
            }
            Role last = messages.get(messages.size() - 1).role();
            if (last != Role.USER && last != Role.TOOL) {
                throw new IllegalArgumentException("the last message is a " + last.wireName() + " message: expected"
                        + " a user or tool message to answer");
            }
            return new LlmRequest(this);
        }
    }
}
