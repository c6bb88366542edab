package org.npu4j.langchain4j;

import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.Objects;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;

/**
 * A LangChain4j {@link ChatModel} over an npu4j {@link LanguageModel}, in-process (no HTTP).
 *
 * {@snippet :
 * try (LanguageModel npu = LanguageModel.open(Path.of("Qwen3-1.7B.rkllm"))) {
 *     ChatModel model = NpuChatModel.builder(npu).build();
 *     System.out.println(model.chat("What is an NPU?"));
 * }
 * }
 *
 * <p>The LanguageModel stays the caller's (this adapter does not close it). Thread-safe: concurrent
 * calls wait their turn on the model. Blocks until the answer is complete.
 */
public final class NpuChatModel implements ChatModel {
    private final LanguageModel model;
    private final ChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final @org.jspecify.annotations.Nullable Boolean thinking;

    private NpuChatModel(Builder b) {
        this.model = b.model;
        this.thinking = b.thinking;
        this.defaults = b.defaults;
        this.listeners = List.copyOf(b.listeners);
    }

    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Completion c = model.generate(Mapping.request(model, request, thinking));
        return Mapping.response(model, c, List.of());
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** Builds an {@link NpuChatModel}; not thread-safe. */
    public static final class Builder {
        private final LanguageModel model;
        private ChatRequestParameters defaults;
        private List<ChatModelListener> listeners = List.of();
        private @org.jspecify.annotations.Nullable Boolean thinking;

        private Builder(LanguageModel model) {
            this.model = Objects.requireNonNull(model, "model");
            this.defaults = ChatRequestParameters.builder().modelName(model.name()).build();
        }

        /**
         * Parameters used where a request leaves them unset (its model name defaults to the model's).
         *
         * @throws UnsupportedFeatureException if they name another model than the loaded one
         */
        public Builder defaultRequestParameters(ChatRequestParameters p) {
            Mapping.checkModelName(model, p.modelName());
            this.defaults = ChatRequestParameters.builder().modelName(model.name()).build().overrideWith(p);
            return this;
        }

        /** Thinking on or off for a thinking model (Qwen3's {@code <think>} block); null: the model's default. */
        public Builder thinking(@org.jspecify.annotations.Nullable Boolean on) {
            this.thinking = on;
            return this;
        }

        public Builder listeners(List<ChatModelListener> l) {
            this.listeners = List.copyOf(l);
            return this;
        }

        public NpuChatModel build() {
            return new NpuChatModel(this);
        }
    }
}
