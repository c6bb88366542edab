package org.npu4j.rkllm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A conversation with an {@link RkllmModel}. The history lives in the runtime's KV cache: every turn
 * runs with {@code keep_history = 1}, so the model sees the earlier turns without npu4j sending them
 * again, and {@link #reset()} clears the cache back to the system prompt.
 *
 * {@snippet :
 * ChatSession chat = model.chat().systemPrompt("You are terse.").thinking(false);
 * ChatReply r = chat.send("What is an NPU?", GenerationListener.onText(System.out::print));
 * if (r.hasToolCalls()) {
 *     ToolCall call = r.toolCalls().get(0);
 *     r = chat.sendToolResult("{\"temperature\": 21}", GenerationListener.NONE);
 * }
 * }
 *
 * <p>A model has one KV cache: sessions of the same model share it, so use one session per model at a
 * time. Not thread-safe; the model's lock orders the runs.
 */
public final class ChatSession {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RkllmModel model;
    private boolean thinking = true;
    /** The system prompt set with {@link #systemPrompt}, or null (model template, or {@link #template}). */
    private @Nullable String system;
    private @Nullable String lora;
    private @Nullable SamplingParams sampling;
    private int maxNewTokens;
    private @Nullable ChatReply last;

    ChatSession(RkllmModel model) {
        this.model = model;
    }

    public RkllmModel model() {
        return model;
    }

    /**
     * Sets the system prompt with ChatML markup ({@link ChatTemplate#chatml(String, boolean)}, the format
     * of the Qwen family, following {@link #thinking(boolean)}) and starts a new conversation. For other
     * model families use {@link #template}.
     */
    public ChatSession systemPrompt(String system) {
        Strings.checkNoNul(system, "system");
        this.system = Objects.requireNonNull(system, "system");
        model.setChatTemplate(ChatTemplate.chatml(system, thinking));
        model.clearKvCache(false);
        last = null;
        return this;
    }

    /**
     * Sets the whole chat template ({@code rkllm_set_chat_template}) and starts a new conversation. The
     * runtime's {@code enable_thinking} switch has no effect with a custom template (vendor
     * documentation): the template decides.
     */
    public ChatSession template(ChatTemplate template) {
        model.setChatTemplate(template);
        model.clearKvCache(false);
        this.system = null;
        last = null;
        return this;
    }

    /**
     * Declares function tools ({@link RkllmModel#setFunctionTools}, tool responses tagged
     * {@code tool_response}) and starts a new conversation.
     */
    public ChatSession tools(String systemPrompt, String toolsJson) {
        model.setFunctionTools(systemPrompt, toolsJson, "tool_response");
        model.clearKvCache(false);
        last = null;
        return this;
    }

    /**
     * Whether a thinking model may think before answering (default true): {@code enable_thinking} of each
     * turn, and, after {@link #systemPrompt}, the template's empty thought (the conversation goes on).
     */
    public ChatSession thinking(boolean on) {
        if (on != thinking && system != null) {
            model.setChatTemplate(ChatTemplate.chatml(system, on));
        }
        this.thinking = on;
        return this;
    }

    public boolean thinking() {
        return thinking;
    }

    /** The LoRA adapter for the following turns (loaded with {@link RkllmModel#loadLora}), or null. */
    public ChatSession lora(@Nullable String name) {
        this.lora = name;
        return this;
    }

    /** Per-turn sampling (ABI 1.3), or null for the model's. */
    public ChatSession sampling(@Nullable SamplingParams sampling) {
        this.sampling = sampling == null ? null : sampling.validate();
        return this;
    }

    /** Per-turn limit of generated tokens (ABI 1.3), 0 for the model's. */
    public ChatSession maxNewTokens(int n) {
        SamplingParams.check(n >= 0, "maxNewTokens", n, ">= 1, or 0 for the model's limit");
        this.maxNewTokens = n;
        return this;
    }

    /** Sends a user message and returns the answer; the listener sees it as it is generated. */
    public ChatReply send(String message, GenerationListener listener) {
        return run(Input.prompt(message), "user", listener);
    }

    /** {@link #send(String, GenerationListener)} without a listener. */
    public ChatReply send(String message) {
        return send(message, GenerationListener.NONE);
    }

    /** Sends the result of a function call (role {@code "tool"}), e.g. a JSON object as text. */
    public ChatReply sendToolResult(String content, GenerationListener listener) {
        return run(Input.prompt(content), "tool", listener);
    }

    /**
     * Sends the results of several function calls at once, as the vendor's server demo does: one
     * {@code "tool"} message holding a JSON array of the results (each parsed as JSON when it is JSON,
     * else kept as a string).
     */
    public ChatReply sendToolResults(List<String> contents, GenerationListener listener) {
        ArrayNode array = JSON.createArrayNode();
        for (String c : contents) {
            Objects.requireNonNull(c, "content");
            try {
                array.add(JSON.readTree(c));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                array.add(c);
            }
        }
        return run(Input.prompt(array.toString()), "tool", listener);
    }

    /** Forgets the conversation, keeping the system prompt ({@code rkllm_clear_kv_cache(keep_system_prompt = 1)}). */
    public void reset() {
        model.clearKvCache(true);
        last = null;
    }

    /** Tokens in the KV cache: system prompt, the turns so far and their answers. */
    public int contextTokens() {
        return model.kvCacheSize();
    }

    /** The latest reply, if any since the last reset. */
    public @Nullable ChatReply lastReply() {
        return last;
    }

    private ChatReply run(Input input, String role, GenerationListener listener) {
        GenerationRequest.Builder b = GenerationRequest.builder(input).role(role).enableThinking(thinking)
                .keepHistory(true).lora(lora).maxNewTokens(maxNewTokens);
        if (sampling != null) {
            b.sampling(sampling);
        }
        ChatReply r = ChatReply.of(model.generate(b.build(), listener));
        last = r;
        return r;
    }
}
