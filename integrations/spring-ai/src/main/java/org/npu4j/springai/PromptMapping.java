package org.npu4j.springai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.npu4j.imageinput.ImageInputs;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.IssuedToolCalls;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.Role;
import org.npu4j.llm.Sampling;
import org.npu4j.llm.ToolCall;
import org.npu4j.llm.ToolSpec;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;

/**
 * Spring AI {@link Prompt}s to npu4j {@link LlmRequest}s, and {@link Completion}s back to {@link ChatResponse}s.
 * Stateless apart from the tool calls handed out ({@link IssuedToolCalls}: the history a client sends back
 * then matches the backend's cached conversation exactly).
 */
final class PromptMapping {
    /** Metadata key of an answer's reasoning (the {@code <think>} block), as Spring AI's OpenAI model names it. */
    static final String REASONING = "reasoningContent";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final IssuedToolCalls ISSUED = new IssuedToolCalls();

    private PromptMapping() {}

    /**
     * The request of {@code prompt}; each option the prompt leaves unset comes from {@code defaults}.
     *
     * @throws UnsupportedOperationException for another model name, or images to a model without
     *                                       {@link Capability#IMAGES}, or a remote image URL
     * @throws IllegalArgumentException      for an unknown message type, bad tool arguments or schemas, or
     *                                       an image that does not decode
     */
    static LlmRequest request(LanguageModel model, Prompt prompt, ToolCallingChatOptions defaults,
            @Nullable Boolean thinking) {
        ChatOptions p = prompt.getOptions();
        String name = pick(p, defaults, ChatOptions::getModel);
        if (name != null && !name.equals(model.name())) {
            throw new UnsupportedOperationException("model \"" + name + "\" is not supported: this ChatModel runs the"
                    + " loaded model " + model.name() + " only");
        }
        LlmRequest.Builder b = LlmRequest.builder().thinking(thinking);
        for (Message m : prompt.getInstructions()) {
            for (ChatMessage c : messages(model, m)) {
                b.message(c);
            }
        }
        List<ToolCallback> callbacks = p instanceof ToolCallingChatOptions t && t.getToolCallbacks() != null
                && !t.getToolCallbacks().isEmpty() ? t.getToolCallbacks() : defaults.getToolCallbacks();
        if (callbacks != null && !callbacks.isEmpty()) {
            List<ToolSpec> tools = new ArrayList<>();
            for (ToolCallback cb : callbacks) {
                tools.add(tool(cb.getToolDefinition()));
            }
            b.tools(tools);
        }
        Integer max = pick(p, defaults, ChatOptions::getMaxTokens);
        if (max != null) {
            b.maxNewTokens(max);
        }
        List<String> stop = pick(p, defaults, ChatOptions::getStopSequences);
        if (stop != null && !stop.isEmpty()) {
            b.stop(stop);
        }
        b.sampling(new Sampling(toFloat(pick(p, defaults, ChatOptions::getTemperature)),
                toFloat(pick(p, defaults, ChatOptions::getTopP)), pick(p, defaults, ChatOptions::getTopK), null,
                toFloat(pick(p, defaults, ChatOptions::getFrequencyPenalty)),
                toFloat(pick(p, defaults, ChatOptions::getPresencePenalty)), null));
        return b.build();
    }

    private static <T> @Nullable T pick(@Nullable ChatOptions p, ChatOptions defaults, Function<ChatOptions, T> f) {
        T v = p == null ? null : f.apply(p);
        return v != null ? v : f.apply(defaults);
    }

    private static @Nullable Float toFloat(@Nullable Double d) {
        return d == null ? null : d.floatValue();
    }

    private static List<ChatMessage> messages(LanguageModel model, Message m) {
        return switch (m) {
            case SystemMessage s -> List.of(ChatMessage.system(text(s.getText())));
            case UserMessage u -> List.of(u.getMedia().isEmpty() ? ChatMessage.user(text(u.getText()))
                    : ChatMessage.user(text(u.getText()), images(model, u.getMedia())));
            case AssistantMessage a -> {
                List<ToolCall> calls = new ArrayList<>();
                for (AssistantMessage.ToolCall c : a.getToolCalls()) {
                    calls.add(ISSUED.resolve(c.id(), toolCall(c.name(), c.arguments())));
                }
                Object reasoning = a.getMetadata().get(REASONING);
                yield List.of(new ChatMessage(Role.ASSISTANT, text(a.getText()),
                        reasoning instanceof String r && !r.isEmpty() ? r : null, calls, null, null));
            }
            case ToolResponseMessage t -> t.getResponses().stream()
                    .map(r -> ChatMessage.tool(r.responseData(), r.id(), r.name())).toList();
            default -> throw new IllegalArgumentException("message type " + m.getMessageType() + ": expected system,"
                    + " user, assistant or tool messages");
        };
    }

    private static String text(@Nullable String s) {
        return s == null ? "" : s;
    }

    private static List<ImageData> images(LanguageModel model, List<Media> media) {
        if (!model.info().has(Capability.IMAGES)) {
            throw new UnsupportedOperationException("images are not supported by " + model.name() + ": it has no"
                    + " vision encoder (Capability.IMAGES); send text only, or load a model with one");
        }
        List<ImageData> images = new ArrayList<>();
        for (int i = 0; i < media.size(); i++) {
            Media md = media.get(i);
            String what = "media[" + i + "]";
            if (!"image".equals(md.getMimeType().getType())) {
                throw new IllegalArgumentException(what + " is " + md.getMimeType() + ": expected an image (image/png,"
                        + " image/jpeg, ...)");
            }
            Object data = md.getData();
            if (data instanceof String url) {
                if (ImageInputs.isRemote(url)) {
                    throw new UnsupportedOperationException(what + ": remote image URLs are not supported (npu4j never"
                            + " fetches URLs); give the image's bytes or a data URL");
                }
                images.add(ImageInputs.fromUrl(url, null));
            } else {
                images.add(ImageInputs.decode(md.getDataAsByteArray(), what));
            }
        }
        return images;
    }

    private static ToolCall toolCall(String name, @Nullable String arguments) {
        JsonNode args;
        try {
            args = arguments == null || arguments.isBlank() ? JSON.createObjectNode() : JSON.readTree(arguments);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("arguments of tool call " + name + " are not JSON: " + arguments, e);
        }
        var json = JSON.createObjectNode().put("name", name);
        json.set("arguments", args);
        return new ToolCall(name, args, json.toString());
    }

    static ToolSpec tool(ToolDefinition d) {
        JsonNode schema;
        try {
            schema = d.inputSchema() == null || d.inputSchema().isBlank() ? JSON.createObjectNode().put("type", "object")
                    : JSON.readTree(d.inputSchema());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("input schema of tool " + d.name() + " is not JSON: " + e.getMessage(), e);
        }
        return new ToolSpec(d.name(), d.description() == null ? "" : d.description(), schema);
    }

    /** The final response: the whole answer, its tool calls (with fresh ids), finish reason and usage. */
    static ChatResponse response(LanguageModel model, String id, Completion c, boolean streamedText) {
        List<AssistantMessage.ToolCall> calls = new ArrayList<>();
        for (ToolCall call : c.toolCalls()) {
            String callId = "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
            ISSUED.put(callId, call);
            calls.add(new AssistantMessage.ToolCall(callId, "function", call.name(), call.arguments().toString()));
        }
        Map<String, Object> props = new HashMap<>();
        if (!streamedText && !c.thinking().isEmpty()) {
            props.put(REASONING, c.thinking());
        }
        AssistantMessage out = AssistantMessage.builder().content(streamedText ? "" : c.answer()).toolCalls(calls)
                .properties(props).build();
        return new ChatResponse(List.of(new Generation(out, generationMetadata(c.finishReason()))), metadata(model, id, c));
    }

    /** A streamed piece: answer text, or (with {@code reasoning}) thinking text. */
    static ChatResponse chunk(LanguageModel model, String id, String text, boolean reasoning) {
        AssistantMessage out = reasoning
                ? AssistantMessage.builder().content("").properties(Map.of(REASONING, text)).build()
                : new AssistantMessage(text);
        return new ChatResponse(List.of(new Generation(out)), ChatResponseMetadata.builder().id(id).model(model.name())
                .build());
    }

    private static ChatGenerationMetadata generationMetadata(FinishReason r) {
        return ChatGenerationMetadata.builder().finishReason(finishReason(r)).build();
    }

    /** The finish reason as Spring AI's OpenAI model spells it (the enum names upper case). */
    static String finishReason(FinishReason r) {
        return switch (r) {
            case STOP -> "STOP";
            case LENGTH -> "LENGTH";
            case TOOL_CALLS -> "TOOL_CALLS";
            case ABORTED -> "ABORTED";
        };
    }

    private static ChatResponseMetadata metadata(LanguageModel model, String id, Completion c) {
        return ChatResponseMetadata.builder().id(id).model(model.name())
                .usage(new DefaultUsage(c.promptTokens() + c.cachedPromptTokens(), c.tokenCount(),
                        c.promptTokens() + c.cachedPromptTokens() + c.tokenCount())).build();
    }
}
