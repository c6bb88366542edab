package org.npu4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.npu4j.imageinput.ImageInputs;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.Role;
import org.npu4j.llm.Sampling;
import org.npu4j.llm.ToolCall;
import org.npu4j.llm.ToolSpec;

/**
 * Turns the JSON of the OpenAI and Ollama chat protocols into {@link LlmRequest}s, checking every field
 * it reads; a bad field is an {@link ApiError} 400 naming it and what was expected. Stateless.
 */
final class Requests {
    private Requests() {}

    /** The {@code model} field. */
    static String model(JsonNode body) {
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual() || m.asText().isEmpty()) {
            throw ApiError.badRequest("model", "missing \"model\": expected the name of a served model (GET /v1/models)");
        }
        return m.asText();
    }

    /** The messages of an OpenAI or Ollama chat request. */
    static List<ChatMessage> messages(JsonNode body, boolean ollama, org.npu4j.llm.IssuedToolCalls issued,
            @Nullable Path imageDir) {
        JsonNode arr = body.get("messages");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            throw ApiError.badRequest("messages", "\"messages\" is " + (arr == null ? "missing" : arr.isArray()
                    ? "empty" : arr.getNodeType()) + ": expected an array of at least one message");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            out.add(message(arr.get(i), "messages[" + i + "]", ollama, issued, imageDir));
        }
        return out;
    }

    private static ChatMessage message(JsonNode m, String where, boolean ollama, org.npu4j.llm.IssuedToolCalls issued,
            @Nullable Path imageDir) {
        if (!m.isObject()) {
            throw ApiError.badRequest(where, where + " is " + m.getNodeType() + ": expected an object");
        }
        Role role;
        try {
            String r = m.path("role").asText("");
            role = Role.of(r.equals("developer") ? "system" : r); // OpenAI's newer name of the system role
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(where + ".role", where + ": " + e.getMessage());
        }
        List<ImageData> images = new ArrayList<>();
        String content = content(m.get("content"), where + ".content", images, imageDir);
        if (ollama) {
            images.addAll(ollamaImages(m.get("images"), where + ".images"));
        }
        String thinking = text(m, ollama ? "thinking" : "reasoning_content");
        List<ToolCall> calls = new ArrayList<>();
        JsonNode tc = m.get("tool_calls");
        if (tc != null && !tc.isNull()) {
            if (!tc.isArray()) {
                throw ApiError.badRequest(where + ".tool_calls", where + ".tool_calls: expected an array");
            }
            for (int j = 0; j < tc.size(); j++) {
                JsonNode call = tc.get(j);
                calls.add(issued.resolve(text(call, "id"), toolCall(call, where + ".tool_calls[" + j + "]")));
            }
        }
        try {
            return new ChatMessage(role, content, thinking, calls, text(m, "tool_call_id"),
                    ollama ? text(m, "tool_name") : text(m, "name"), images);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(where, where + ": " + e.getMessage());
        }
    }

    private static @Nullable String text(JsonNode m, String field) {
        JsonNode v = m.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /**
     * A string, or an array of {@code {"type":"text","text":...}} and {@code {"type":"image_url",
     * "image_url":{"url":...}}} parts; the images are added to {@code images} in order.
     */
    private static String content(@Nullable JsonNode c, String where, List<ImageData> images, @Nullable Path imageDir) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < c.size(); j++) {
                JsonNode part = c.get(j);
                String type = part.path("type").asText("");
                String at = where + "[" + j + "]";
                switch (type) {
                    case "text" -> sb.append(part.path("text").asText(""));
                    case "image_url" -> {
                        JsonNode u = part.get("image_url");
                        JsonNode url = u != null && u.isObject() ? u.get("url") : u;
                        if (url == null || !url.isTextual()) {
                            throw ApiError.badRequest(at + ".image_url", at + " has no image_url.url: expected"
                                    + " {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,...\"}}");
                        }
                        images.add(image(() -> ImageInputs.fromUrl(url.asText(), imageDir), at + ".image_url"));
                    }
                    default -> throw ApiError.badRequest(where, at + " has a part of type \"" + type
                            + "\": expected \"text\" or \"image_url\" parts");
                }
            }
            return sb.toString();
        }
        throw ApiError.badRequest(where, where + " is " + c.getNodeType() + ": expected a string or an array of content"
                + " parts");
    }

    /** Ollama's {@code images}: an array of base64-encoded images. */
    private static List<ImageData> ollamaImages(@Nullable JsonNode arr, String where) {
        if (arr == null || arr.isNull()) {
            return List.of();
        }
        if (!arr.isArray()) {
            throw ApiError.badRequest(where, where + " is " + arr.getNodeType() + ": expected an array of base64 images");
        }
        List<ImageData> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode b = arr.get(i);
            String at = where + "[" + i + "]";
            if (!b.isTextual()) {
                throw ApiError.badRequest(at, at + " is " + b.getNodeType() + ": expected a base64-encoded image");
            }
            out.add(image(() -> ImageInputs.fromBase64(b.asText(), at), at));
        }
        return out;
    }

    /** Ollama's {@code /api/generate} {@code images}. */
    static List<ImageData> generateImages(JsonNode body) {
        return ollamaImages(body.get("images"), "images");
    }

    private static ImageData image(java.util.function.Supplier<ImageData> decode, String param) {
        try {
            return decode.get();
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(param, param + ": " + e.getMessage());
        }
    }

    /**
     * Refuses images for a model without a vision encoder: 400, the protocol's error shape.
     *
     * @throws ApiError if a message has images and {@code model} lacks {@link Capability#IMAGES}
     */
    static void checkImages(ServedModel model, List<ChatMessage> messages) throws InterruptedException {
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).images().isEmpty() && !model.info().has(Capability.IMAGES)) {
                throw ApiError.badRequest("messages", "messages[" + i + "] has images, but the model '" + model.name()
                        + "' takes no images (it has no vision encoder): send text only, or use a model whose"
                        + " /api/show capabilities list \"vision\"");
            }
        }
    }

    private static ToolCall toolCall(JsonNode c, String where) {
        JsonNode f = c.path("function");
        String name = f.path("name").asText("");
        if (name.isEmpty()) {
            throw ApiError.badRequest(where, where + " has no function.name: expected {\"function\": {\"name\", \"arguments\"}}");
        }
        JsonNode args = f.get("arguments");
        JsonNode parsed;
        if (args == null || args.isNull()) {
            parsed = Http.JSON.createObjectNode();
        } else if (args.isObject()) {
            parsed = args;
        } else if (args.isTextual()) {
            try {
                parsed = Http.JSON.readTree(args.asText());
            } catch (JsonProcessingException e) {
                throw ApiError.badRequest(where + ".function.arguments", where + ".function.arguments is not JSON ("
                        + e.getOriginalMessage() + "): expected a JSON object as a string");
            }
            if (parsed == null || !parsed.isObject()) {
                throw ApiError.badRequest(where + ".function.arguments", where
                        + ".function.arguments: expected a JSON object as a string");
            }
        } else {
            throw ApiError.badRequest(where + ".function.arguments", where + ".function.arguments is "
                    + args.getNodeType() + ": expected a JSON object or a string holding one");
        }
        ObjectNode json = Http.JSON.createObjectNode();
        json.put("name", name);
        json.set("arguments", parsed);
        return new ToolCall(name, parsed, json.toString());
    }

    /** OpenAI-form {@code tools} (Ollama uses the same form). */
    static List<ToolSpec> tools(JsonNode body) {
        JsonNode arr = body.get("tools");
        if (arr == null || arr.isNull()) {
            return List.of();
        }
        if (!arr.isArray()) {
            throw ApiError.badRequest("tools", "\"tools\" is " + arr.getNodeType() + ": expected an array");
        }
        List<ToolSpec> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode f = arr.get(i).path("function");
            JsonNode params = f.get("parameters");
            try {
                out.add(new ToolSpec(f.path("name").asText(""), f.path("description").asText(""),
                        params == null || params.isNull() ? Http.JSON.createObjectNode().put("type", "object") : params));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("tools[" + i + "]", "tools[" + i + "]: " + e.getMessage());
            }
        }
        return out;
    }

    /** Stop sequences: a string or an array of strings. */
    static List<String> stop(@Nullable JsonNode s, String param) {
        if (s == null || s.isNull()) {
            return List.of();
        }
        if (s.isTextual()) {
            return List.of(s.asText());
        }
        if (s.isArray()) {
            List<String> out = new ArrayList<>();
            s.forEach(e -> out.add(e.asText()));
            return out;
        }
        throw ApiError.badRequest(param, "\"" + param + "\" is " + s.getNodeType() + ": expected a string or an array of strings");
    }

    static @Nullable Float floatField(JsonNode o, String field, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiError.badRequest(param, "\"" + param + "\" is " + v.getNodeType() + ": expected a number");
        }
        return v.floatValue();
    }

    static @Nullable Long longField(JsonNode o, String field, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.canConvertToLong()) {
            throw ApiError.badRequest(param, "\"" + param + "\" is " + v.getNodeType() + ": expected an integer");
        }
        return v.longValue();
    }

    /** A token limit: absent = 0 (the model's), else {@code >= 1}. */
    static int maxTokens(JsonNode o, String field, String param) {
        Long v = longField(o, field, param);
        if (v == null) {
            return 0;
        }
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw ApiError.badRequest(param, "\"" + param + "\" = " + v + ": expected an integer >= 1");
        }
        return v.intValue();
    }

    /** Builds the request, turning the API's own checks into 400s. */
    static LlmRequest build(LlmRequest.Builder b) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("messages", e.getMessage());
        }
    }

    /** Sampling from fields of {@code o} (OpenAI names at the top level; Ollama's in {@code options}). */
    static Sampling sampling(JsonNode o, String prefix) {
        Long topK = longField(o, "top_k", prefix + "top_k");
        try {
            return new Sampling(floatField(o, "temperature", prefix + "temperature"),
                    floatField(o, "top_p", prefix + "top_p"), topK == null ? null : topK.intValue(),
                    floatField(o, prefix.isEmpty() ? "repetition_penalty" : "repeat_penalty", prefix + "repeat_penalty"),
                    floatField(o, "frequency_penalty", prefix + "frequency_penalty"),
                    floatField(o, "presence_penalty", prefix + "presence_penalty"),
                    longField(o, "seed", prefix + "seed"));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(null, e.getMessage());
        }
    }
}
