package org.npu4j.rkllm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatMl;
import org.npu4j.llm.Completion;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Role;
import org.npu4j.llm.Sampling;
import org.npu4j.llm.StopSequences;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.llm.ToolSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LLM API's requests on RKLLM: turns a conversation ({@link LlmRequest}) into runtime calls, with the
 * runtime doing what it does itself: the chat template ({@code rkllm_set_chat_template}, ChatML with the
 * system prompt), function declarations ({@code rkllm_set_function_tools}), the thinking switch, and the
 * history in its KV cache ({@code keep_history = 1}).
 *
 * <p>KV reuse: the conversation the KV cache holds is remembered. A request whose messages extend it
 * (same system prompt and tools, the same messages and the answer given, then new user or tool messages)
 * sends only the new messages. Any other request clears the KV cache and starts over; earlier turns of
 * its history are then replayed as ChatML text inside the first prompt (exact for ChatML models: the
 * Qwen family). A stopped, failed or stop-sequence-ended run leaves the cache's content unknown, so the
 * next request starts over. All of it happens under the model's lock, at the moment the run starts.
 *
 * <p>RKLLM takes no seed ({@link org.npu4j.llm.Capability#SEED} is not offered; a seed is ignored) and
 * takes per-request sampling only on ABI 1.3 (on 1.2 the model's sampling applies, logged at debug).
 */
final class RkllmConversation {
    private static final Logger LOG = LoggerFactory.getLogger(RkllmConversation.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where an image goes in a multimodal prompt (the emulator and rknn-llm's demo: {@code <image>}). */
    static final String IMAGE_TAG = "<image>";

    private record Setup(@Nullable String system, List<ToolSpec> tools) {}

    private final RkllmModel model;
    // Guarded by the model's run lock (read and written in the hooks only).
    private @Nullable Setup cachedSetup;
    private @Nullable List<ChatMessage> cached;
    private @Nullable Boolean templateThinking;
    private boolean toolsDeclared;

    RkllmConversation(RkllmModel model) {
        this.model = model;
    }

    Completion generate(LlmRequest request, TokenListener listener) {
        Prepared p = prepare(request, listener);
        return p.completion(model.generate(p.placeholder, p.listener));
    }

    CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
        Prepared p = prepare(request, listener);
        CompletableFuture<GenerationResult> inner = model.generateAsync(p.placeholder, p.listener);
        CompletableFuture<Completion> outer = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                inner.cancel(mayInterruptIfRunning);
                return super.cancel(mayInterruptIfRunning);
            }
        };
        inner.whenComplete((r, t) -> {
            if (t != null) {
                outer.completeExceptionally(t);
            } else {
                try {
                    outer.complete(p.completion(r));
                } catch (Throwable e) {
                    outer.completeExceptionally(e);
                }
            }
        });
        return outer;
    }

    Flow.Publisher<Token> stream(LlmRequest request) {
        return subscriber -> {
            Prepared p = prepare(request, TokenListener.NONE);
            TokenPublisher.subscribe(model, p.placeholder, subscriber, p::wrap);
        };
    }

    /** A request to run, with its listener chain; the real runtime request is made under the lock. */
    private final class Prepared implements RunHooks {
        final LlmRequest request;
        final GenerationRequest placeholder;
        GenerationListener listener;
        @Nullable StopSequences stops;
        volatile boolean limitReached;
        /** Tokens of the prompt already in the KV cache when the run started (set under the lock). */
        volatile int cachedTokens;

        Prepared(LlmRequest request) {
            this.request = request;
            this.placeholder = GenerationRequest.builder(Input.prompt("(a conversation, decided when the run starts)")).hooks(this).build();
        }

        /**
         * The listener chain: a token limit the runtime cannot take (ABI 1.2 has no per-run
         * {@code max_new_tokens}) and stop sequences, in front of {@code downstream}.
         */
        GenerationListener wrap(GenerationListener downstream) {
            int limit = request.maxNewTokens();
            if (limit > 0 && model.runtime().abi() != RkllmAbi.V1_3) {
                downstream = limited(downstream, limit);
            }
            if (request.stop().isEmpty()) {
                return downstream;
            }
            StopSequences s = new StopSequences(request.stop(), downstream, model::abort);
            stops = s;
            return new GenerationListener() {
                @Override
                public void onToken(String text, int tokenId) {
                    s.onToken(text, tokenId);
                }

                @Override
                public void onFinish(PerfStats perf) {
                    s.onFinish(perf);
                }
            };
        }

        private GenerationListener limited(GenerationListener downstream, int limit) {
            return new GenerationListener() {
                private int n;

                @Override
                public void onToken(String text, int tokenId) {
                    if (n >= limit) {
                        return;
                    }
                    downstream.onToken(text, tokenId);
                    if (++n == limit) {
                        limitReached = true;
                        model.abort();
                    }
                }

                @Override
                public void onFinish(PerfStats perf) {
                    downstream.onFinish(perf);
                }
            };
        }

        @Override
        public GenerationRequest beforeRun() {
            return runtimeRequest(this);
        }

        @Override
        public void afterRun(@Nullable GenerationResult result) {
            boolean clean = result != null && result.outcome() == Outcome.FINISHED && (stops == null || !stops.matched())
                    && !limitReached;
            if (clean) {
                List<ChatMessage> held = new ArrayList<>(conversation(request));
                held.add(ChatMessage.assistant(completion(result)));
                cached = held;
            } else {
                cached = null;
            }
        }

        Completion completion(GenerationResult r) {
            StopSequences s = stops;
            boolean matched = s != null && s.matched();
            if (s != null) {
                s.flush();
            }
            String text = s != null ? s.text() : r.text();
            int limit = request.maxNewTokens() > 0 ? request.maxNewTokens() : model.maxNewTokens();
            int[] ids = limitReached && r.tokenIds().length > limit ? Arrays.copyOf(r.tokenIds(), limit)
                    : r.tokenIds();
            Outcome outcome = matched || limitReached ? Outcome.FINISHED : r.outcome();
            boolean lengthLimited = !matched && (limitReached || (limit > 0 && r.tokenCount() >= limit));
            return Completion.of(outcome, lengthLimited, text, ids, r.perf().prefillTokens(), cachedTokens, r.perf(),
                    r.timings());
        }
    }

    private Prepared prepare(LlmRequest request, TokenListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        if (model.visionEncoder() == null) {
            for (ChatMessage m : request.messages()) {
                if (!m.images().isEmpty()) {
                    throw new IllegalArgumentException(model.name() + " was loaded without a vision encoder, so it"
                            + " cannot take the " + m.images().size() + " image(s) of a message: load it with the"
                            + " option rkllm.vision=<encoder.rknn> (Capability.IMAGES)");
                }
            }
        }
        Prepared p = new Prepared(request);
        p.listener = p.wrap(adapt(listener));
        return p;
    }

    private static GenerationListener adapt(TokenListener l) {
        if (l instanceof GenerationListener g) {
            return g;
        }
        return new GenerationListener() {
            @Override
            public void onToken(String text, int tokenId) {
                l.onToken(text, tokenId);
            }

            @Override
            public void onFinish(PerfStats perf) {
                l.onFinish(perf);
            }
        };
    }

    /** The messages after the system message. */
    private static List<ChatMessage> conversation(LlmRequest r) {
        List<ChatMessage> ms = r.messages();
        return !ms.isEmpty() && ms.get(0).role() == Role.SYSTEM ? ms.subList(1, ms.size()) : ms;
    }

    private static @Nullable String system(LlmRequest r) {
        List<ChatMessage> ms = r.messages();
        return !ms.isEmpty() && ms.get(0).role() == Role.SYSTEM ? ms.get(0).content() : null;
    }

    /** Under the model's lock: sets the runtime up and returns what to run. */
    private GenerationRequest runtimeRequest(Prepared p) {
        LlmRequest r = p.request;
        Setup setup = new Setup(system(r), r.tools());
        boolean thinking = r.thinking() == null || r.thinking();
        List<ChatMessage> msgs = conversation(r);
        int tailStart = msgs.size() - 1;
        Role tailRole = msgs.get(tailStart).role();
        while (tailStart > 0 && msgs.get(tailStart - 1).role() == tailRole && tailRole == Role.TOOL) {
            tailStart--;
        }
        List<ChatMessage> held = cached;
        boolean extends_ = r.reuseCache() && held != null && setup.equals(cachedSetup) && held.size() == tailStart
                && msgs.subList(0, tailStart).equals(held);
        // The images the runtime must see: the new messages' when the KV cache holds the rest (it then
        // holds the same images: ChatMessage equality compares pixels), else every message's. Encoded
        // before the cache is touched, so a failing encoder leaves the conversation as it was.
        List<ChatMessage> sent = extends_ ? msgs.subList(tailStart, msgs.size()) : msgs;
        List<ImageData> images = new ArrayList<>();
        for (ChatMessage m : sent) {
            images.addAll(m.images());
        }
        @Nullable ImageInput imageInput = images.isEmpty() ? null : imageInput(images, extends_ ? model.kvCacheSize() : 0);
        List<ChatMessage> tagged = images.isEmpty() ? msgs : withImageTags(msgs);
        String prompt;
        String role;
        p.cachedTokens = extends_ ? model.kvCacheSize() : 0;
        if (extends_) {
            applyThinking(setup, thinking);
            prompt = tailText(tagged.subList(tailStart, msgs.size()));
            role = tailRole == Role.TOOL ? "tool" : "user";
        } else {
            cached = null;
            model.clearKvCache(false);
            apply(setup, thinking);
            cachedSetup = setup;
            if (tailStart == 0) {
                prompt = tailText(tagged);
                role = tailRole == Role.TOOL ? "tool" : "user";
            } else {
                prompt = replay(tagged);
                role = "user";
            }
        }
        Input input = imageInput == null ? Input.prompt(prompt) : Input.multimodal(prompt, imageInput, null);
        GenerationRequest.Builder b = GenerationRequest.builder(input).role(role)
                .enableThinking(thinking).keepHistory(true);
        if (model.runtime().abi() == RkllmAbi.V1_3) {
            b.maxNewTokens(r.maxNewTokens()); // on 1.2 the listener chain enforces it
        }
        SamplingParams sp = sampling(r.sampling());
        if (sp != null) {
            b.sampling(sp);
        }
        return b.build();
    }

    /**
     * The images through the model's encoder, tagged as the ABI wants (1.3 per input; 1.2 at load).
     * Before the encoder runs, checks that their tokens (count from the encoder's queried output
     * attributes) fit {@code max_context_len} after the {@code held} cached tokens: rknn-llm's demo asks
     * for {@code max_context_len} > text + image tokens + {@code max_new_tokens} ({@code shared/facts/rknn.md},
     * "VLM encoders").
     *
     * @throws IllegalArgumentException naming both sizes when they do not fit; nothing has run
     */
    private ImageInput imageInput(List<ImageData> images, int held) {
        VisionEncoder enc = Objects.requireNonNull(model.visionEncoder(), "vision encoder");
        long need = (long) images.size() * enc.tokens();
        int ctx = model.maxContextLen();
        if (held + need >= ctx) {
            throw new IllegalArgumentException(model.name() + ": " + images.size() + " image(s) of " + enc.tokens()
                    + " tokens (the encoder's output attributes) = " + need + " tokens" + (held > 0 ? " after " + held
                    + " cached tokens" : "") + " do not fit max_context_len " + ctx + ", with the text and the answer"
                    + " still to come: send fewer images or load with a larger context");
        }
        ImageInput in = enc.encodeAll(images);
        return model.runtime().abi() == RkllmAbi.V1_3
                ? in.withTags(VisionEncoder.QWEN_START, VisionEncoder.QWEN_END, VisionEncoder.QWEN_CONTENT) : in;
    }

    /**
     * The messages with one {@code <image>} placeholder per image in front of each user message's text
     * (the runtime replaces each with the start tag, the image's tokens and the end tag).
     */
    private static List<ChatMessage> withImageTags(List<ChatMessage> msgs) {
        List<ChatMessage> out = new ArrayList<>(msgs.size());
        for (ChatMessage m : msgs) {
            out.add(m.images().isEmpty() ? m : new ChatMessage(m.role(), IMAGE_TAG.repeat(m.images().size())
                    + m.content(), m.thinking(), m.toolCalls(), m.toolCallId(), m.name()));
        }
        return out;
    }

    private void apply(Setup setup, boolean thinking) {
        String system = setup.system() == null ? "" : setup.system();
        if (!setup.tools().isEmpty()) {
            model.setFunctionTools(system, ToolSpec.toOpenAiJson(setup.tools()), "tool_response");
            toolsDeclared = true;
        } else if (toolsDeclared) {
            model.setFunctionTools(system, "[]", "tool_response");
            toolsDeclared = false;
        }
        if (setup.system() != null || templateThinking != null) {
            model.setChatTemplate(ChatTemplate.chatml(system, thinking));
            templateThinking = thinking;
        }
    }

    private void applyThinking(Setup setup, boolean thinking) {
        if (templateThinking != null && templateThinking != thinking) {
            model.setChatTemplate(ChatTemplate.chatml(setup.system() == null ? "" : setup.system(), thinking));
            templateThinking = thinking;
        }
    }

    /** The text of the new messages: one user message, or the results of one or more tool calls. */
    private static String tailText(List<ChatMessage> tail) {
        if (tail.size() == 1) {
            return tail.get(0).content();
        }
        ArrayNode array = JSON.createArrayNode();
        for (ChatMessage m : tail) {
            try {
                array.add(JSON.readTree(m.content()));
            } catch (JsonProcessingException e) {
                array.add(m.content());
            }
        }
        return array.toString();
    }

    /**
     * A history the KV cache does not hold, as one user prompt: the runtime's template wraps it in
     * {@code <|im_start|>user\n ... <|im_end|>\n<|im_start|>assistant\n}, so the inner turns are written
     * in ChatML between them.
     */
    private String replay(List<ChatMessage> msgs) {
        StringBuilder sb = new StringBuilder();
        ChatMl.appendTurns(sb, msgs);
        String open = "<|im_start|>user\n";
        String close = "<|im_end|>\n";
        int from = sb.indexOf(open) == 0 ? open.length() : 0;
        int to = sb.length() >= close.length() && sb.lastIndexOf(close) == sb.length() - close.length()
                ? sb.length() - close.length() : sb.length();
        String prefix = from == 0 ? close : "";
        LOG.debug("{}: replaying {} messages as ChatML", model.name(), msgs.size());
        return prefix + sb.substring(from, to);
    }

    private @Nullable SamplingParams sampling(Sampling s) {
        if (s.temperature() == null && s.topP() == null && s.topK() == null && s.repetitionPenalty() == null
                && s.frequencyPenalty() == null && s.presencePenalty() == null) {
            return null;
        }
        if (model.runtime().abi() != RkllmAbi.V1_3) {
            LOG.debug("{}: per-request sampling needs RKLLM ABI 1.3; the model's sampling applies", model.name());
            return null;
        }
        SamplingParams p = model.sampling();
        if (s.temperature() != null) {
            p = p.withTemperature(s.temperature());
        }
        if (s.topP() != null) {
            p = p.withTopP(s.topP());
        }
        if (s.topK() != null) {
            p = p.withTopK(s.topK());
        }
        if (s.repetitionPenalty() != null) {
            p = p.withRepeatPenalty(s.repetitionPenalty());
        }
        if (s.frequencyPenalty() != null) {
            p = p.withFrequencyPenalty(s.frequencyPenalty());
        }
        if (s.presencePenalty() != null) {
            p = p.withPresencePenalty(s.presencePenalty());
        }
        return p;
    }
}
