package org.npu4j.llm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.npu4j.internal.jinja.PyString;

/**
 * Renders a conversation in ChatML, the chat format of the Qwen2.5 and Qwen3 families
 * ({@code <|im_start|>role\n...<|im_end|>\n}), as their chat templates and the vendors' runners do:
 * tools declared in the system turn inside {@code <tools>}, calls as {@code <tool_call>} blocks and
 * results as {@code <tool_response>} blocks in a user turn (JSON laid out as Python's {@code json.dumps},
 * as the templates' {@code tojson}), the thinking of assistant turns before the last user query dropped
 * (kept inside the current tool loop; inline {@code <think>} blocks split off as the Qwen3 template does),
 * and an empty {@code <think>} block after the generation prompt when thinking is off (Qwen3). Only the
 * wording of the tool preamble is our own; everything else renders exactly as Qwen3's template
 * ({@code Qwen3ChatTemplateTest} checks it against the real one).
 *
 * <p>A backend whose runtime renders the template itself (RKLLM) uses it only to replay history; the
 * AXCL runner uses it when a package has no Jinja chat template of its own. Stateless, thread-safe.
 */
public final class ChatMl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatMl() {}

    /**
     * The whole conversation, ending with the generation prompt {@code <|im_start|>assistant\n} (and the
     * empty thought when {@code thinking} is false).
     */
    public static String render(List<ChatMessage> messages, List<ToolSpec> tools, boolean thinking) {
        StringBuilder sb = new StringBuilder();
        int start = 0;
        @Nullable String system = null;
        if (!messages.isEmpty() && messages.get(0).role() == Role.SYSTEM) {
            system = messages.get(0).content();
            start = 1;
        }
        if (system != null || !tools.isEmpty()) {
            sb.append("<|im_start|>system\n").append(systemText(system, tools)).append("<|im_end|>\n");
        }
        appendTurns(sb, messages.subList(start, messages.size()));
        sb.append("<|im_start|>assistant\n");
        if (!thinking) {
            sb.append("<think>\n\n</think>\n\n");
        }
        return sb.toString();
    }

    /** The system turn's text: the system prompt, then the tool declarations and how to call them. */
    public static String systemText(@Nullable String system, List<ToolSpec> tools) {
        StringBuilder sb = new StringBuilder();
        if (system != null) {
            sb.append(system);
        }
        if (!tools.isEmpty()) {
            if (!sb.isEmpty()) {
                sb.append("\n\n");
            }
            sb.append("# Tools\n\nThese functions are available; their signatures follow inside <tools></tools>:\n<tools>");
            for (ToolSpec t : tools) {
                sb.append('\n').append(PythonJson.dumps(t.toOpenAiJson()));
            }
            sb.append("\n</tools>\n\nTo call one, answer with a JSON object holding its name and arguments inside"
                    + " <tool_call></tool_call> tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\":"
                    + " <args-json-object>}\n</tool_call>");
        }
        return sb.toString();
    }

    /** The turns of {@code messages} (no system message) without a generation prompt. */
    public static void appendTurns(StringBuilder sb, List<ChatMessage> messages) {
        int lastQuery = messages.size() - 1;
        for (int i = messages.size() - 1; i >= 0; i--) {
            ChatMessage m = messages.get(i);
            if (m.role() == Role.USER && !(m.content().startsWith("<tool_response>")
                    && m.content().endsWith("</tool_response>"))) {
                lastQuery = i;
                break;
            }
        }
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            switch (m.role()) {
                case SYSTEM -> throw new IllegalArgumentException("message " + i + " is a system message: expected"
                        + " the system message first, if any");
                case USER -> sb.append("<|im_start|>user\n").append(m.content()).append("<|im_end|>\n");
                case ASSISTANT -> {
                    String content = m.content();
                    String reasoning = m.thinking() != null ? m.thinking() : "";
                    int close = content.indexOf("</think>");
                    if (m.thinking() == null && close >= 0) {
                        // thinking written inline: split it off as the Qwen3 template does
                        String before = PyString.rstrip(content.substring(0, close), "\n");
                        int open = before.lastIndexOf("<think>");
                        reasoning = PyString.lstrip(open < 0 ? before : before.substring(open + "<think>".length()), "\n");
                        content = PyString.lstrip(content.substring(content.lastIndexOf("</think>") + "</think>".length()),
                                "\n");
                    }
                    sb.append("<|im_start|>assistant\n");
                    boolean last = i == messages.size() - 1;
                    if (i > lastQuery && (last || !reasoning.isEmpty())) {
                        sb.append("<think>\n").append(PyString.rstrip(PyString.lstrip(reasoning, "\n"), "\n"))
                                .append("\n</think>\n\n").append(PyString.lstrip(content, "\n"));
                    } else {
                        sb.append(content);
                    }
                    for (int k = 0; k < m.toolCalls().size(); k++) {
                        ToolCall c = m.toolCalls().get(k);
                        if (k > 0 || !content.isEmpty()) {
                            sb.append('\n');
                        }
                        sb.append("<tool_call>\n").append(callJson(c)).append("\n</tool_call>");
                    }
                    sb.append("<|im_end|>\n");
                }
                case TOOL -> {
                    boolean first = i == 0 || messages.get(i - 1).role() != Role.TOOL;
                    boolean lastOfRun = i + 1 == messages.size() || messages.get(i + 1).role() != Role.TOOL;
                    if (first) {
                        sb.append("<|im_start|>user");
                    }
                    sb.append("\n<tool_response>\n").append(m.content()).append("\n</tool_response>");
                    if (lastOfRun) {
                        sb.append("<|im_end|>\n");
                    }
                }
            }
        }
    }

    private static String callJson(ToolCall c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", c.name());
        o.set("arguments", c.arguments());
        return PythonJson.dumps(o);
    }
}
