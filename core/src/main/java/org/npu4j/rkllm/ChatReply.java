package org.npu4j.rkllm;

import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One answer in a {@link ChatSession}, taken apart.
 *
 * @param text               everything the model generated
 * @param thinking           the content of its {@code <think>...</think>} block (Qwen3 and other
 *                           thinking models), trimmed; empty when it did not think
 * @param answer             the text without the thinking block and without tool-call blocks, trimmed
 * @param toolCalls          the function calls it made, parsed ({@link ToolCall#parse})
 * @param malformedToolCalls contents of tool-call blocks that could not be parsed
 * @param result             the run's result (tokens, statistics)
 */
public record ChatReply(String text, String thinking, String answer, List<ToolCall> toolCalls,
        List<String> malformedToolCalls, GenerationResult result) {
    private static final Pattern THINK = Pattern.compile("<think>(.*?)(</think>|$)", Pattern.DOTALL);

    public ChatReply {
        Objects.requireNonNull(text);
        Objects.requireNonNull(thinking);
        Objects.requireNonNull(answer);
        toolCalls = List.copyOf(toolCalls);
        malformedToolCalls = List.copyOf(malformedToolCalls);
        Objects.requireNonNull(result);
    }

    /** Takes {@code result}'s text apart. */
    public static ChatReply of(GenerationResult result) {
        String text = result.text();
        String thinking = "";
        String rest = text;
        Matcher m = THINK.matcher(text);
        if (m.find()) {
            thinking = m.group(1).strip();
            rest = text.substring(0, m.start()) + text.substring(m.end());
        } else {
            int end = text.indexOf("</think>"); // templates that open the block in the prompt
            if (end >= 0) {
                thinking = text.substring(0, end).strip();
                rest = text.substring(end + "</think>".length());
            }
        }
        return new ChatReply(text, thinking, ToolCall.stripCalls(rest), ToolCall.parse(rest),
                ToolCall.malformed(rest), result);
    }

    /** True if the model asked for at least one function call. */
    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }
}
