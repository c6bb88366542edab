package org.npu4j.langchain4j;

import dev.langchain4j.internal.InternalStreamingChatResponseHandlerUtils;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.npu4j.llm.AnswerSplitter;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.TokenListener;
import org.npu4j.llm.ToolCall;

/**
 * A LangChain4j {@link StreamingChatModel} over an npu4j {@link LanguageModel}, in-process: the answer as
 * partial responses, the {@code <think>} block as partial thinking, each tool call as one partial and
 * one complete tool call (its arguments are streamed whole, once the block closed).
 * {@link StreamingHandle#cancel()} (from any callback's context) stops the run at the next token; no
 * callback follows a cancel.
 *
 * {@snippet :
 * StreamingChatModel model = NpuStreamingChatModel.builder(npu).build();
 * model.chat("What is an NPU?", new StreamingChatResponseHandler() {
 *     public void onPartialResponse(String s) { System.out.print(s); }
 *     public void onCompleteResponse(ChatResponse r) { System.out.println(); }
 *     public void onError(Throwable e) { e.printStackTrace(); }
 * });
 * }
 *
 * <p>All callbacks of one request run on one virtual thread of that request, in order ({@link SerialCallbacks}),
 * never on the caller's; {@code chat} returns at once. A callback that throws gets its exception in
 * {@code onError} and the stream goes on. A request the adapter cannot map (an unsupported feature) throws
 * {@code UnsupportedFeatureException} from {@code chat}; a run that fails or cannot start (a closed model)
 * ends in {@code onError}. The LanguageModel stays the caller's. Thread-safe.
 */
public final class NpuStreamingChatModel implements StreamingChatModel {
    private final LanguageModel model;
    private final ChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final @org.jspecify.annotations.Nullable Boolean thinking;

    private NpuStreamingChatModel(LanguageModel model, ChatRequestParameters defaults, List<ChatModelListener> listeners,
            @org.jspecify.annotations.Nullable Boolean thinking) {
        this.model = model;
        this.thinking = thinking;
        this.defaults = defaults;
        this.listeners = List.copyOf(listeners);
    }

    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        LlmRequest r = Mapping.request(model, request, thinking);
        AtomicReference<CompletableFuture<Completion>> future = new AtomicReference<>();
        SerialCallbacks events = new SerialCallbacks("npu4j-langchain4j-" + model.name());
        StreamingHandle handle = new StreamingHandle() {
            private volatile boolean cancelled;

            @Override
            public void cancel() {
                cancelled = true;
                events.stop();
                CompletableFuture<Completion> f = future.get();
                if (f != null) {
                    f.cancel(true);
                }
            }

            @Override
            public boolean isCancelled() {
                return cancelled;
            }
        };
        List<String> toolIds = new CopyOnWriteArrayList<>();
        // Runs on the backend's thread; every handler call is posted to the request's callback thread. A
        // handler that throws gets its exception in onError and the stream goes on (LangChain4j's rule,
        // through its InternalStreamingChatResponseHandlerUtils).
        AnswerSplitter splitter = new AnswerSplitter(new AnswerSplitter.Sink() {
            @Override
            public void content(String text) {
                events.post(() -> InternalStreamingChatResponseHandlerUtils.onPartialResponse(handler, text, handle));
            }

            @Override
            public void reasoning(String text) {
                events.post(() -> InternalStreamingChatResponseHandlerUtils.onPartialThinking(handler, text, handle));
            }

            @Override
            public void toolCall(int index, ToolCall call) {
                String id = Mapping.newToolCallId();
                toolIds.add(id);
                PartialToolCall partial = PartialToolCall.builder().index(index).id(id).name(call.name())
                        .partialArguments(call.arguments().toString()).build();
                CompleteToolCall complete = new CompleteToolCall(index, Mapping.toolRequest(call, id));
                events.post(() -> {
                    InternalStreamingChatResponseHandlerUtils.onPartialToolCall(handler, partial, handle);
                    if (!handle.isCancelled()) {
                        InternalStreamingChatResponseHandlerUtils.onCompleteToolCall(handler, complete);
                    }
                });
            }

            @Override
            public void malformedToolCall(String body) {
                // reported in the completion (Completion.malformedToolCalls); nothing to stream
            }
        }, false);
        TokenListener listener = new TokenListener() {
            @Override
            public void onToken(String text, int tokenId) {
                if (!text.isEmpty() && !handle.isCancelled()) {
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
            // the run could not start (a closed model, ...): reported as the stream's error, as a run that fails
            events.postLast(() -> InternalStreamingChatResponseHandlerUtils.withLoggingExceptions(() -> handler.onError(e)));
            return;
        }
        future.set(f);
        if (handle.isCancelled()) {
            f.cancel(true);
        }
        f.whenComplete((c, e) -> {
            if (e == null) {
                ChatResponse response = Mapping.response(model, c, toolIds);
                events.postLast(() -> InternalStreamingChatResponseHandlerUtils.onCompleteResponse(handler, response));
                return;
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof CancellationException) {
                events.stop(); // cancelled through the handle: no callback follows
            } else {
                events.postLast(() -> InternalStreamingChatResponseHandlerUtils.withLoggingExceptions(
                        () -> handler.onError(cause)));
            }
        });
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

    /** Builds an {@link NpuStreamingChatModel}; not thread-safe. */
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

        public NpuStreamingChatModel build() {
            return new NpuStreamingChatModel(model, defaults, listeners, thinking);
        }
    }
}
