package org.npu4j.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A conversation with a {@link LanguageModel}: keeps the history and sends it with every turn; the
 * backend sees that each turn extends the previous one and prefills only the new message
 * ({@link Capability#KV_REUSE}).
 *
 * {@snippet :
 * ChatSession chat = model.chat().systemPrompt("You are terse.").thinking(false);
 * Completion r = chat.send("What is an NPU?", TokenListener.onText(System.out::print));
 * if (r.hasToolCalls()) {
 *     r = chat.sendToolResult("{\"temperature\": 21}", r.toolCalls().get(0).name(), TokenListener.NONE);
 * }
 * }
 *
 * <p>Not thread-safe: one conversation is one sequence of turns. Several sessions of one model may
 * interleave; each turn then resets the model's KV cache to its own conversation.
 */
public final class ChatSession {
    private final LanguageModel model;
    private final List<ChatMessage> history = new ArrayList<>();
    private @Nullable String system;
    private List<ToolSpec> tools = List.of();
    private @Nullable Boolean thinking;
    private int maxNewTokens;
    private Sampling sampling = Sampling.DEFAULT;
    private @Nullable Completion last;

    ChatSession(LanguageModel model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    public LanguageModel model() {
        return model;
    }

    /** Sets the system prompt and starts a new conversation. */
    public ChatSession systemPrompt(@Nullable String text) {
        this.system = text;
        reset();
        return this;
    }

    /** Declares the functions the model may call and starts a new conversation. */
    public ChatSession tools(List<ToolSpec> specs) {
        this.tools = List.copyOf(specs);
        reset();
        return this;
    }

    /** Thinking on or off for the following turns (a thinking model); default the model's. */
    public ChatSession thinking(boolean on) {
        this.thinking = on;
        return this;
    }

    /** Whether thinking is on for the following turns (null: the model's default). */
    public @Nullable Boolean thinking() {
        return thinking;
    }

    /** Per-turn limit of generated tokens, 0 for the model's. */
    public ChatSession maxNewTokens(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("maxNewTokens = " + n + ": expected >= 1, or 0 for the model's limit");
        }
        this.maxNewTokens = n;
        return this;
    }

    /** Per-turn sampling. */
    public ChatSession sampling(Sampling s) {
        this.sampling = Objects.requireNonNull(s, "sampling");
        return this;
    }

    /** Sends a user message and returns the answer; the listener sees it as it is generated. */
    public Completion send(String message, TokenListener listener) {
        return turn(ChatMessage.user(message), listener);
    }

    /**
     * Sends a user message showing images (decoded pixels, in order); the model needs
     * {@link Capability#IMAGES}, else the request is refused with an {@link IllegalArgumentException}.
     */
    public Completion send(String message, List<ImageData> images, TokenListener listener) {
        return turn(ChatMessage.user(message, images), listener);
    }

    /** {@link #send(String, TokenListener)} without a listener. */
    public Completion send(String message) {
        return send(message, TokenListener.NONE);
    }

    /** Sends the result of a function call the model made. */
    public Completion sendToolResult(String content, @Nullable String toolName, TokenListener listener) {
        return turn(ChatMessage.tool(content, null, toolName), listener);
    }

    /**
     * Forgets the conversation (the system prompt and tools stay). The model's KV cache is reset at the
     * next turn.
     */
    public void reset() {
        history.clear();
        last = null;
    }

    /** The conversation so far (system prompt first, if any), oldest first. */
    public List<ChatMessage> messages() {
        List<ChatMessage> all = new ArrayList<>(history.size() + 1);
        if (system != null) {
            all.add(ChatMessage.system(system));
        }
        all.addAll(history);
        return List.copyOf(all);
    }

    /** The latest answer since the last reset, or null. */
    public @Nullable Completion lastReply() {
        return last;
    }

    private Completion turn(ChatMessage message, TokenListener listener) {
        List<ChatMessage> conversation = new ArrayList<>(messages());
        conversation.add(message);
        LlmRequest request = LlmRequest.builder().messages(conversation).tools(tools).thinking(thinking)
                .maxNewTokens(maxNewTokens).sampling(sampling).build();
        Completion c = model.generate(request, listener);
        if (c.outcome() == Outcome.FINISHED) {
            history.add(message);
            history.add(ChatMessage.assistant(c));
        }
        // An aborted turn is not kept: the next turn sends the conversation without it.
        last = c;
        return c;
    }
}
