package org.npu4j.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * A function the model may call: the OpenAI {@code tools[].function} declaration.
 *
 * @param name        the function's name ({@code [A-Za-z0-9_-]+}, as OpenAI requires)
 * @param description what it does, for the model
 * @param parameters  a JSON Schema object of its arguments ({@code {"type": "object", ...}})
 */
public record ToolSpec(String name, String description, JsonNode parameters) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ToolSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
        if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("tool name \"" + name + "\": expected 1 to 64 of A-Z, a-z, 0-9, _ and -");
        }
        if (!parameters.isObject()) {
            throw new IllegalArgumentException("parameters of tool " + name + " are " + parameters.getNodeType()
                    + ": expected a JSON Schema object");
        }
    }

    /** {@code {"type": "function", "function": {"name", "description", "parameters"}}}: the OpenAI form. */
    public ObjectNode toOpenAiJson() {
        ObjectNode tool = JSON.createObjectNode();
        tool.put("type", "function");
        ObjectNode f = tool.putObject("function");
        f.put("name", name);
        f.put("description", description);
        f.set("parameters", parameters);
        return tool;
    }

    /** The OpenAI form of {@code tools} as a JSON array text. */
    public static String toOpenAiJson(List<ToolSpec> tools) {
        var array = JSON.createArrayNode();
        tools.forEach(t -> array.add(t.toOpenAiJson()));
        return array.toString();
    }
}
