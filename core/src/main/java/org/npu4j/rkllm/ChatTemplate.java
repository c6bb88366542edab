package org.npu4j.rkllm;

import java.util.Objects;

/**
 * The text the runtime puts around a conversation ({@code rkllm_set_chat_template}): a system part
 * placed once at the start of the KV cache, and a prefix and postfix placed around each user turn.
 * Without one, the runtime uses the template stored in the model file. The three parts are used
 * verbatim: they must carry the model's own markup.
 *
 * <p>Note (vendor documentation): once a custom template is set, {@code enable_thinking} no longer
 * changes the prompt; put the thinking switch into the template if the model needs one.
 *
 * @param systemPrompt the system part with its markup, may be empty
 * @param prefix       text before each user turn
 * @param postfix      text after each user turn (and the start of the assistant's turn)
 */
public record ChatTemplate(String systemPrompt, String prefix, String postfix) {
    public ChatTemplate {
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(postfix, "postfix");
        Strings.checkNoNul(systemPrompt, "systemPrompt");
        Strings.checkNoNul(prefix, "prefix");
        Strings.checkNoNul(postfix, "postfix");
    }

    /**
     * The ChatML markup of the Qwen family (Qwen2, Qwen2.5, Qwen3), SmolLM2 and others that use
     * {@code <|im_start|>role ... <|im_end|>} turns, with {@code system} as the system message (none
     * when empty).
     */
    public static ChatTemplate chatml(String system) {
        return chatml(system, true);
    }

    /**
     * {@link #chatml(String)} for a thinking model (Qwen3): with {@code thinking} false the assistant's
     * turn starts with an empty thought ({@code <think>\n\n</think>\n\n}), which is how Qwen3's own
     * template switches thinking off. Needed because a custom template disables the runtime's
     * {@code enable_thinking} switch.
     */
    public static ChatTemplate chatml(String system, boolean thinking) {
        Objects.requireNonNull(system, "system");
        String s = system.isEmpty() ? "" : "<|im_start|>system\n" + system + "<|im_end|>\n";
        return new ChatTemplate(s, "<|im_start|>user\n",
                "<|im_end|>\n<|im_start|>assistant\n" + (thinking ? "" : "<think>\n\n</think>\n\n"));
    }
}
