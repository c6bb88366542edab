package org.npu4j.llm;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One message of a conversation.
 *
 * @param role       who speaks
 * @param content    the text (for {@link Role#TOOL}: the function's result, e.g. JSON as text); may be
 *                   empty (an assistant message that only calls tools)
 * @param thinking   an assistant's reasoning (the {@code <think>} block), or null; chat templates of
 *                   thinking models drop it from earlier turns
 * @param toolCalls  the function calls an assistant made (empty otherwise)
 * @param toolCallId for {@link Role#TOOL}: the id of the call answered (OpenAI {@code tool_call_id}), or null
 * @param name       for {@link Role#TOOL}: the function's name (Ollama {@code tool_name}), or null
 * @param images     for {@link Role#USER}: the images the message shows, in order (empty otherwise); a
 *                   model takes them only with {@link Capability#IMAGES}, else the request is refused
 */
public record ChatMessage(Role role, String content, @Nullable String thinking, List<ToolCall> toolCalls,
        @Nullable String toolCallId, @Nullable String name, List<ImageData> images) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        toolCalls = List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("a " + role.wireName() + " message has tool calls: only assistant"
                    + " messages may carry them");
        }
        images = List.copyOf(images);
        if (!images.isEmpty() && role != Role.USER) {
            throw new IllegalArgumentException("a " + role.wireName() + " message has images: only user messages"
                    + " may carry them");
        }
    }

    /** A message without images (the form before images existed). */
    public ChatMessage(Role role, String content, @Nullable String thinking, List<ToolCall> toolCalls,
            @Nullable String toolCallId, @Nullable String name) {
        this(role, content, thinking, toolCalls, toolCallId, name, List.of());
    }

    /**
     * A user message showing images. Where the text does not say where they go, backends put them before
     * the text (as the vendor demos' {@code <image>} prompt does).
     */
    public static ChatMessage user(String content, List<ImageData> images) {
        return new ChatMessage(Role.USER, content, null, List.of(), null, null, images);
    }

    /** This message with {@code newImages} (a user message). */
    public ChatMessage withImages(List<ImageData> newImages) {
        return new ChatMessage(role, content, thinking, toolCalls, toolCallId, name, newImages);
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content, null, List.of(), null, null);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content, null, List.of(), null, null);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content, null, List.of(), null, null);
    }

    /** An assistant turn as a {@link Completion} produced it: answer, thinking and tool calls. */
    public static ChatMessage assistant(Completion c) {
        return new ChatMessage(Role.ASSISTANT, c.answer(), c.thinking().isEmpty() ? null : c.thinking(),
                c.toolCalls(), null, null);
    }

    /** A function's result sent back to the model. */
    public static ChatMessage tool(String content, @Nullable String toolCallId, @Nullable String name) {
        return new ChatMessage(Role.TOOL, content, null, List.of(), toolCallId, name);
    }
}
