package org.npu4j.springai;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.AnswerSplitter;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.TokenListener;
import org.npu4j.llm.ToolCall;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * A Spring AI {@link ChatModel} (blocking {@link #call} and streaming {@link #stream}) over an npu4j
 * {@link LanguageModel}, in-process (no HTTP).
 *
 * {@snippet :
 * try (LanguageModel npu = LanguageModel.open(Path.of("Qwen3-1.7B.rkllm"))) {
 *     ChatModel model = NpuChatModel.builder(npu).build();
 *     System.out.println(model.call("What is an NPU?"));
 * }
 * }
 *
 * <h2>Mapping</h2>
 * System, user (text and image {@code Media}), assistant (text and tool calls) and tool-response
 * messages; {@link ChatOptions} temperature, top-p, top-k, penalties, max tokens ({@code maxNewTokens})
 * and stop sequences, each taken from the prompt's options, else from {@link Builder#defaultOptions}.
 * Tools: the {@code ToolCallback}s of {@link ToolCallingChatOptions} are declared to the model by their
 * {@code ToolDefinition} (name, description, input schema); the model's calls come back as
 * {@code AssistantMessage.ToolCall}s with finish reason {@code TOOL_CALLS}, for Spring AI's tool-execution
 * loop (ChatClient's {@code ToolCallAdvisor}) to run and send back. Thinking (Qwen3's {@code <think>}
 * block, switched by {@link Builder#thinking}) is the {@code reasoningContent} metadata of the
 * assistant message. Usage: prompt tokens prefilled for the request, completion tokens generated.
 *
 * <h2>Streaming</h2>
 * {@link #stream} emits a response per piece of answer (or of thinking), then one with no text carrying
 * the tool calls, the finish reason and the usage. It is cold: each subscription runs the request once.
 * Cancelling the subscription stops the run at the backend's next token. Items are emitted on the
 * backend's thread and buffered for slow subscribers.
 *
 * <h2>Errors</h2>
 * {@link UnsupportedOperationException} for what the model cannot do (another model name, images to a
 * model without a vision encoder, remote image URLs: never fetched); {@link IllegalArgumentException}
 * for a request the model refuses (context length, bad tool arguments, an image that does not decode);
 * {@link IllegalStateException} once the model is closed; {@link org.npu4j.NpuException} if the runtime
 * fails. {@link #stream} signals them as {@code onError}.
 *
 * <p>The LanguageModel stays the caller's (this adapter does not close it). Thread-safe: concurrent calls
 * wait their turn on the model.
 */
public final class NpuChatModel implements ChatModel {
    private final LanguageModel model;
    private final ToolCallingChatOptions defaults;
    private final @Nullable Boolean thinking;

    private NpuChatModel(Builder b) {
        this.model = b.model;
        this.defaults = b.defaults;
        this.thinking = b.thinking;
    }

    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        LlmRequest r = PromptMapping.request(model, prompt, defaults, thinking);
        Completion c = model.generate(r);
        return PromptMapping.response(model, newId(), c, false);
    }

    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return Flux.create(sink -> run(prompt, sink), FluxSink.OverflowStrategy.BUFFER);
    }

    private void run(Prompt prompt, FluxSink<ChatResponse> sink) {
        LlmRequest r;
        try {
            r = PromptMapping.request(model, prompt, defaults, thinking);
        } catch (RuntimeException e) {
            sink.error(e);
            return;
        }
        String id = newId();
        AnswerSplitter splitter = new AnswerSplitter(new AnswerSplitter.Sink() {
            @Override
            public void content(String text) {
                sink.next(PromptMapping.chunk(model, id, text, false));
            }

            @Override
            public void reasoning(String text) {
                sink.next(PromptMapping.chunk(model, id, text, true));
            }

            @Override
            public void toolCall(int index, ToolCall call) {
                // sent with the final response, where the ids are given (Completion.toolCalls)
            }

            @Override
            public void malformedToolCall(String body) {
                // reported in the completion (Completion.malformedToolCalls)
            }
        }, false);
        TokenListener listener = new TokenListener() {
            @Override
            public void onToken(String text, int tokenId) {
                if (!text.isEmpty() && !sink.isCancelled()) {
                    splitter.accept(text);
                }
            }

            @Override
            public void onFinish(PerfStats perf) {
                splitter.finish();
            }
        };
        CompletableFuture<Completion> f;
        try {
            f = model.generateAsync(r, listener);
        } catch (RuntimeException e) {
            sink.error(e);
            return;
        }
        sink.onCancel(() -> f.cancel(true));
        f.whenComplete((c, e) -> {
            if (e == null) {
                sink.next(PromptMapping.response(model, id, c, true));
                sink.complete();
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (!(cause instanceof CancellationException)) {
                sink.error(cause);
            }
        });
    }

    private static String newId() {
        return "npu4j-" + UUID.randomUUID();
    }

    /** The options used where a prompt leaves them unset; its model is the loaded model's name. */
    @Override
    public ChatOptions getOptions() {
        return defaults;
    }

    /** Builds an {@link NpuChatModel}; not thread-safe. */
    public static final class Builder {
        private final LanguageModel model;
        private ToolCallingChatOptions defaults;
        private @Nullable Boolean thinking;

        private Builder(LanguageModel model) {
            this.model = Objects.requireNonNull(model, "model");
            this.defaults = ToolCallingChatOptions.builder().model(model.name()).build();
        }

        /**
         * Options used where a prompt leaves them unset (tool callbacks too, with
         * {@link ToolCallingChatOptions}); their model name defaults to the loaded model's.
         *
         * @throws UnsupportedOperationException if they name another model
         */
        public Builder defaultOptions(ChatOptions o) {
            if (o.getModel() != null && !o.getModel().equals(model.name())) {
                throw new UnsupportedOperationException("model \"" + o.getModel() + "\" is not supported: this"
                        + " ChatModel runs the loaded model " + model.name() + " only");
            }
            ToolCallingChatOptions.Builder<?> b = ToolCallingChatOptions.builder().model(model.name())
                    .temperature(o.getTemperature()).topP(o.getTopP()).topK(o.getTopK()).maxTokens(o.getMaxTokens())
                    .stopSequences(o.getStopSequences()).frequencyPenalty(o.getFrequencyPenalty())
                    .presencePenalty(o.getPresencePenalty());
            if (o instanceof ToolCallingChatOptions t) {
                if (t.getToolCallbacks() != null) {
                    b.toolCallbacks(t.getToolCallbacks());
                }
                if (t.getToolContext() != null) {
                    b.toolContext(t.getToolContext());
                }
            }
            this.defaults = b.build();
            return this;
        }

        /** Thinking on or off for a thinking model (Qwen3's {@code <think>} block); null: the model's default. */
        public Builder thinking(@Nullable Boolean on) {
            this.thinking = on;
            return this;
        }

        public NpuChatModel build() {
            return new NpuChatModel(this);
        }
    }
}
