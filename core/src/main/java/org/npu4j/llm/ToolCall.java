package org.npu4j.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A function call a model made: a {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>}
 * block in its answer (the format of Qwen2.5/Qwen3 and the vendor's function-calling demo).
 *
 * @param name      the function's name
 * @param arguments the arguments, a JSON object (also when the model wrote them as a JSON string, as
 *                  OpenAI-style models do; empty when it wrote none)
 * @param json      the block's JSON as the model wrote it
 */
public record ToolCall(String name, JsonNode arguments, String json) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BLOCK = Pattern.compile("<tool_call>(.*?)(</tool_call>|$)", Pattern.DOTALL);

    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(json, "json");
    }

    /**
     * Calls are equal when their names and arguments are: {@link #json} is only how the text was written,
     * and a client that sends a conversation back re-serializes it (so a conversation that extends the
     * cached one is recognized as such, and its KV cache reused).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof ToolCall c && name.equals(c.name) && arguments.equals(c.arguments);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + arguments.hashCode();
    }

    /** The argument {@code key} as text ({@code null} if absent). */
    public @Nullable String argument(String key) {
        JsonNode v = arguments.get(key);
        return v == null ? null : v.isValueNode() ? v.asText() : v.toString();
    }

    /** Every well-formed call in {@code text}, in order (see {@link #malformed} for the others). */
    public static List<ToolCall> parse(String text) {
        List<ToolCall> calls = new ArrayList<>();
        scan(text, calls, null);
        return calls;
    }

    /**
     * The contents of {@code <tool_call>} blocks in {@code text} that are not a call: not JSON, not an
     * object with a string {@code "name"}, or cut off before {@code </tool_call>} (e.g. by
     * {@code max_new_tokens}).
     */
    public static List<String> malformed(String text) {
        List<String> bad = new ArrayList<>();
        scan(text, null, bad);
        return bad;
    }

    /** {@code text} without its tool-call blocks, trimmed. */
    public static String stripCalls(String text) {
        return BLOCK.matcher(text).replaceAll("").strip();
    }

    private static void scan(String text, @Nullable List<ToolCall> calls, @Nullable List<String> bad) {
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(1).strip();
            boolean closed = !m.group(2).isEmpty();
            ToolCall call = closed ? toCall(body) : null;
            if (call != null) {
                if (calls != null) {
                    calls.add(call);
                }
            } else if (bad != null) {
                bad.add(body);
            }
            if (!closed) {
                break;
            }
        }
    }

    private static @Nullable ToolCall toCall(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject() || !n.path("name").isTextual()) {
                return null;
            }
            JsonNode args = n.get("arguments");
            if (args == null || args.isNull()) {
                args = JsonNodeFactory.instance.objectNode();
            } else if (args.isTextual()) {
                JsonNode inner = JSON.readTree(args.asText());
                if (inner == null || !inner.isObject()) {
                    return null;
                }
                args = inner;
            } else if (!args.isObject()) {
                return null;
            }
            return new ToolCall(n.get("name").asText(), args, body);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
