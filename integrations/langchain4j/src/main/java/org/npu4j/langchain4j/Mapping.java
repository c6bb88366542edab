package org.npu4j.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
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

/**
 * LangChain4j requests to npu4j {@link LlmRequest}s and {@link Completion}s back to {@link ChatResponse}s.
 * What the models cannot do is refused with {@link UnsupportedFeatureException} (LangChain4j's
 * convention): images to a model without {@link Capability#IMAGES} and remote image URLs,
 * {@code ToolChoice.REQUIRED}, JSON response formats, a model name other than the loaded model's.
 * Stateless apart from the tool calls handed out ({@link IssuedToolCalls}).
 */
final class Mapping {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Calls handed out in responses, so the history sent back matches the backend's cached conversation. */
    private static final IssuedToolCalls ISSUED = new IssuedToolCalls();

    private Mapping() {}

    static LlmRequest request(LanguageModel model, ChatRequest request, @Nullable Boolean thinking) {
        ChatRequestParameters p = request.parameters();
        checkModelName(model, p.modelName());
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("ToolChoice.REQUIRED is not supported: the model cannot be forced to"
                    + " call a tool (expected AUTO or NONE)");
        }
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("JSON response format is not supported: the model has no constrained"
                    + " decoding");
        }
        LlmRequest.Builder b = LlmRequest.builder().thinking(thinking);
        for (dev.langchain4j.data.message.ChatMessage m : request.messages()) {
            b.message(message(model, m));
        }
        if (p.toolChoice() != ToolChoice.NONE && p.toolSpecifications() != null) {
            List<ToolSpec> tools = new ArrayList<>();
            for (ToolSpecification t : p.toolSpecifications()) {
                tools.add(tool(t));
            }
            b.tools(tools);
        }
        if (p.maxOutputTokens() != null) {
            b.maxNewTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null) {
            b.stop(p.stopSequences());
        }
        b.sampling(new Sampling(toFloat(p.temperature()), toFloat(p.topP()), p.topK(), null,
                toFloat(p.frequencyPenalty()), toFloat(p.presencePenalty()), null));
        return b.build();
    }

    /** Refuses a model name other than the loaded model's (one adapter runs one loaded model). */
    static void checkModelName(LanguageModel model, @Nullable String name) {
        if (name != null && !name.equals(model.name())) {
            throw new UnsupportedFeatureException("modelName \"" + name + "\" is not supported: this ChatModel"
                    + " runs the loaded model " + model.name() + " only");
        }
    }

    private static @Nullable Float toFloat(@Nullable Double d) {
        return d == null ? null : d.floatValue();
    }

    /**
     * A user message: its text contents joined by line breaks, its images (base64 data or data URLs; remote
     * URLs are refused, never fetched) decoded for a model with {@link Capability#IMAGES}.
     */
    private static ChatMessage user(LanguageModel model, UserMessage u) {
        List<ImageData> images = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (Content c : u.contents()) {
            switch (c) {
                case TextContent t -> texts.add(t.text());
                case ImageContent i -> {
                    if (!model.info().has(Capability.IMAGES)) {
                        throw new UnsupportedFeatureException("image inputs are not supported by " + model.name()
                                + ": it has no vision encoder (Capability.IMAGES)");
                    }
                    images.add(image(i.image(), "image " + (images.size() + 1)));
                }
                default -> throw new UnsupportedFeatureException(c.type() + " content is not supported: these models"
                        + " take text and images");
            }
        }
        String text = String.join("\n", texts);
        return images.isEmpty() ? ChatMessage.user(text) : ChatMessage.user(text, images);
    }

    private static ImageData image(Image img, String what) {
        if (img.base64Data() != null) {
            return ImageInputs.fromBase64(img.base64Data(), what);
        }
        String url = img.url() == null ? "" : img.url().toString();
        if (ImageInputs.isRemote(url)) {
            throw new UnsupportedFeatureException("remote image URLs are not supported (" + what + "): npu4j never"
                    + " fetches URLs; give the image as base64 data or a data: URL");
        }
        return ImageInputs.fromUrl(url, null);
    }

    private static ChatMessage message(LanguageModel model, dev.langchain4j.data.message.ChatMessage m) {
        return switch (m) {
            case SystemMessage s -> ChatMessage.system(s.text());
            case UserMessage u -> user(model, u);
            case AiMessage a -> {
                List<ToolCall> calls = new ArrayList<>();
                if (a.hasToolExecutionRequests()) {
                    for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                        calls.add(ISSUED.resolve(r.id(), toolCall(r)));
                    }
                }
                yield new ChatMessage(Role.ASSISTANT, a.text() == null ? "" : a.text(), a.thinking(), calls, null, null);
            }
            case ToolExecutionResultMessage t -> ChatMessage.tool(t.text(), t.id(), t.toolName());
            default -> throw new UnsupportedFeatureException("message type " + m.type() + ": expected system, user, ai"
                    + " or tool execution result messages");
        };
    }

    private static ToolCall toolCall(ToolExecutionRequest r) {
        JsonNode args;
        try {
            args = r.arguments() == null || r.arguments().isBlank() ? JSON.createObjectNode() : JSON.readTree(r.arguments());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("arguments of tool call " + r.name() + " are not JSON: " + r.arguments(), e);
        }
        var json = JSON.createObjectNode().put("name", r.name());
        json.set("arguments", args);
        return new ToolCall(r.name(), args, json.toString());
    }

    static ToolSpec tool(ToolSpecification t) {
        JsonNode params = t.parameters() == null ? JSON.createObjectNode().put("type", "object")
                : JSON.valueToTree(JsonSchemaElementUtils.toMap(t.parameters()));
        return new ToolSpec(t.name(), t.description() == null ? "" : t.description(), params);
    }

    static ToolExecutionRequest toolRequest(ToolCall c, String id) {
        ISSUED.put(id, c);
        return ToolExecutionRequest.builder().id(id).name(c.name()).arguments(c.arguments().toString()).build();
    }

    static String newToolCallId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /** The response; {@code toolIds} are the ids given to the calls (streaming announced them already). */
    static ChatResponse response(LanguageModel model, Completion c, List<String> toolIds) {
        List<ToolExecutionRequest> calls = new ArrayList<>();
        for (int i = 0; i < c.toolCalls().size(); i++) {
            calls.add(toolRequest(c.toolCalls().get(i), i < toolIds.size() ? toolIds.get(i) : newToolCallId()));
        }
        AiMessage.Builder ai = AiMessage.builder().text(c.answer().isEmpty() && !calls.isEmpty() ? null : c.answer())
                .toolExecutionRequests(calls);
        if (!c.thinking().isEmpty()) {
            ai.thinking(c.thinking());
        }
        ChatResponseMetadata meta = ChatResponseMetadata.builder().id("npu4j-" + UUID.randomUUID()).modelName(model.name())
                .tokenUsage(new TokenUsage(c.promptTokens() + c.cachedPromptTokens(), c.tokenCount())).finishReason(finishReason(c.finishReason()))
                .build();
        return ChatResponse.builder().aiMessage(ai.build()).metadata(meta).build();
    }

    static dev.langchain4j.model.output.FinishReason finishReason(FinishReason r) {
        return switch (r) {
            case STOP -> dev.langchain4j.model.output.FinishReason.STOP;
            case LENGTH -> dev.langchain4j.model.output.FinishReason.LENGTH;
            case TOOL_CALLS -> dev.langchain4j.model.output.FinishReason.TOOL_EXECUTION;
            case ABORTED -> dev.langchain4j.model.output.FinishReason.OTHER;
        };
    }
}
