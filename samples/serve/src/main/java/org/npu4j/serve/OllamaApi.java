package org.npu4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.ToolCall;

/**
 * The Ollama routes ({@code docs/api.md} of ollama/ollama, shared/facts/serving.md): {@code /api/chat}
 * and {@code /api/generate} (NDJSON streams by default, durations in nanoseconds, tool arguments as
 * objects), {@code /api/tags}, {@code /api/ps}, {@code /api/show}, {@code /api/version}.
 */
final class OllamaApi {
    /** The Ollama API version this server follows (the {@code docs/api.md} it was written against). */
    static final String VERSION = "0.12.0";

    private final NpuServer server;

    OllamaApi(NpuServer server) {
        this.server = server;
    }

    void version(HttpExchange ex) throws IOException {
        Http.send(ex, 200, Http.JSON.createObjectNode().put("version", VERSION));
    }

    void tags(HttpExchange ex) throws IOException {
        ObjectNode root = Http.JSON.createObjectNode();
        ArrayNode arr = root.putArray("models");
        for (ServedModel m : server.models()) {
            arr.add(describe(m, false));
        }
        Http.send(ex, 200, root);
    }

    void ps(HttpExchange ex) throws IOException {
        ObjectNode root = Http.JSON.createObjectNode();
        ArrayNode arr = root.putArray("models");
        for (ServedModel m : server.models()) {
            if (m.loaded()) {
                arr.add(describe(m, true));
            }
        }
        Http.send(ex, 200, root);
    }

    void show(HttpExchange ex) throws IOException, InterruptedException {
        JsonNode body = Http.readJson(ex, server.maxBodyBytes());
        JsonNode name = body.has("model") ? body.get("model") : body.get("name");
        if (name == null || !name.isTextual()) {
            throw ApiError.badRequest("model", "missing \"model\": expected the name of a served model (GET /api/tags)");
        }
        ServedModel m = server.model(name.asText());
        ModelInfo info = m.info();
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("modelfile", "");
        root.put("parameters", "");
        root.put("template", "");
        root.set("details", details(info));
        ObjectNode mi = root.putObject("model_info");
        mi.put("general.architecture", "qwen3");
        mi.put("npu4j.backend", info.backend());
        mi.put("npu4j.runtime_version", info.runtimeVersion());
        mi.put("npu4j.emulator", info.emulator());
        mi.put("npu4j.context_length", info.contextLength());
        ArrayNode caps = root.putArray("capabilities");
        caps.add("completion");
        if (info.has(Capability.TOOLS)) {
            caps.add("tools");
        }
        if (info.has(Capability.THINKING)) {
            caps.add("thinking");
        }
        if (info.has(Capability.IMAGES)) {
            caps.add("vision");
        }
        root.put("modified_at", rfc3339(m.loadedAt()));
        Http.send(ex, 200, root);
    }

    private ObjectNode describe(ServedModel m, boolean running) {
        ModelInfo info = m.infoIfKnown(); // null while the first load runs: no size, no format yet
        ObjectNode o = Http.JSON.createObjectNode();
        o.put("name", m.name());
        o.put("model", m.name());
        o.put("modified_at", rfc3339(m.loadedAt()));
        o.put("size", info == null ? 0 : Math.max(0, info.memoryBytes()));
        o.put("digest", Integer.toHexString(m.name().hashCode()));
        o.set("details", details(info));
        if (running) {
            Instant exp = m.expiresAt();
            // Ollama reports a far-future time for a model kept loaded for good
            o.put("expires_at", rfc3339(exp != null ? exp : Instant.parse("2318-01-01T00:00:00Z")));
            o.put("size_vram", Math.max(0, info.memoryBytes()));
        }
        return o;
    }

    private static ObjectNode details(@Nullable ModelInfo info) {
        ObjectNode d = Http.JSON.createObjectNode();
        d.put("parent_model", "");
        d.put("format", info == null ? "" : info.backend());
        d.put("family", "qwen3");
        d.putArray("families").add("qwen3");
        d.put("parameter_size", "");
        d.put("quantization_level", "");
        return d;
    }

    static String rfc3339(Instant t) {
        return DateTimeFormatter.ISO_INSTANT.format(t);
    }

    void chat(HttpExchange ex) throws IOException, InterruptedException {
        JsonNode body = Http.readJson(ex, server.maxBodyBytes());
        ServedModel m = server.model(Requests.model(body));
        Duration keep = keepAlive(body.get("keep_alive"));
        JsonNode msgs = body.get("messages");
        if ((msgs == null || (msgs.isArray() && msgs.isEmpty())) && keep != null) {
            loadOrUnload(ex, m, keep, true);
            return;
        }
        List<ChatMessage> messages = Requests.messages(body, true, server.issuedCalls(), null);
        Requests.checkImages(m, messages);
        LlmRequest.Builder b = LlmRequest.builder().messages(messages).tools(Requests.tools(body));
        run(ex, m, body, b, keep, true);
    }

    void generate(HttpExchange ex) throws IOException, InterruptedException {
        JsonNode body = Http.readJson(ex, server.maxBodyBytes());
        ServedModel m = server.model(Requests.model(body));
        Duration keep = keepAlive(body.get("keep_alive"));
        JsonNode prompt = body.get("prompt");
        if ((prompt == null || prompt.asText().isEmpty()) && keep != null) {
            loadOrUnload(ex, m, keep, false);
            return;
        }
        if (prompt == null || !prompt.isTextual() || prompt.asText().isEmpty()) {
            throw ApiError.badRequest("prompt", "\"prompt\" is " + (prompt == null ? "missing" : "empty or not a string")
                    + ": expected the text to complete");
        }
        LlmRequest.Builder b = LlmRequest.builder();
        JsonNode system = body.get("system");
        if (system != null && system.isTextual()) {
            b.message(ChatMessage.system(system.asText()));
        }
        ChatMessage user = ChatMessage.user(prompt.asText(), Requests.generateImages(body));
        Requests.checkImages(m, List.of(user));
        b.message(user);
        run(ex, m, body, b, keep, false);
    }

    /** An empty request with {@code keep_alive}: load (or keep) the model, or unload it for 0. */
    private void loadOrUnload(HttpExchange ex, ServedModel m, Duration keep, boolean chat)
            throws IOException, InterruptedException {
        String reason;
        if (keep.isZero()) {
            if (!m.unloadIfIdle() && m.loaded()) {
                throw new ApiError(409, "invalid_request_error", "keep_alive", null, "model " + m.name()
                        + " is busy: it is unloaded when no request runs (retry later)", 1);
            }
            reason = "unload";
        } else {
            m.model();
            m.keepAlive(keep);
            reason = "load";
        }
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("model", m.name());
        root.put("created_at", rfc3339(Instant.now()));
        if (chat) {
            root.putObject("message").put("role", "assistant").put("content", "");
        } else {
            root.put("response", "");
        }
        root.put("done", true);
        root.put("done_reason", reason);
        Http.send(ex, 200, root);
    }

    private void run(HttpExchange ex, ServedModel m, JsonNode body, LlmRequest.Builder b, @Nullable Duration keep,
            boolean chat) throws IOException, InterruptedException {
        JsonNode options = body.path("options");
        if (!options.isMissingNode() && !options.isNull() && !options.isObject()) {
            throw ApiError.badRequest("options", "\"options\" is " + options.getNodeType() + ": expected an object");
        }
        if (options.isObject()) {
            b.sampling(Requests.sampling(options, "options."));
            b.maxNewTokens(numPredict(options));
            try {
                b.stop(Requests.stop(options.get("stop"), "options.stop"));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("options.stop", e.getMessage());
            }
        }
        JsonNode format = body.get("format");
        if (format != null && !format.isNull() && !(format.isTextual() && format.asText().isEmpty())) {
            throw ApiError.badRequest("format", "format " + format + " is not supported: the model has no constrained"
                    + " decoding");
        }
        JsonNode think = body.get("think");
        if (think != null && !think.isNull()) {
            b.thinking(think.isBoolean() ? think.asBoolean() : !think.asText().equals("false"));
        }
        LlmRequest request = Requests.build(b);
        boolean stream = body.path("stream").asBoolean(true);
        try (var admission = m.admit()) {
            long t0 = System.nanoTime();
            if (!stream) {
                answer(ex, m, request, chat, t0);
            } else {
                stream(ex, m, request, chat, t0);
            }
        }
        m.keepAlive(keep);
        if (keep != null && keep.isZero()) {
            m.unloadIfIdle();
        }
    }

    /**
     * {@code stream: false}: one object ({@link JsonAnswer}: a space per token once the run produced its
     * first, then the object). A failure before the first token gets its status (400 if the request does
     * not fit the model); after it, {@code {"error": "..."}} as the body, status 200 (the route counts it).
     */
    private void answer(HttpExchange ex, ServedModel m, LlmRequest request, boolean chat, long t0)
            throws IOException, InterruptedException {
        try (JsonAnswer out = new JsonAnswer(ex)) {
            Completion c;
            try {
                c = Generation.run(m, request, out);
            } catch (ClientGone g) {
                return; // the run was stopped at the failed write (or never started): nobody to answer
            } catch (RuntimeException e) {
                ApiError a = Http.apiError(e);
                if (out.committed()) {
                    out.sendError(Http.ollamaError(a.getMessage()));
                }
                throw e instanceof IllegalArgumentException ? a : e;
            }
            ObjectNode root = line(m, chat);
            if (chat) {
                ObjectNode msg = root.putObject("message");
                msg.put("role", "assistant");
                msg.put("content", c.answer());
                if (!c.thinking().isEmpty()) {
                    msg.put("thinking", c.thinking());
                }
                if (c.hasToolCalls()) {
                    ArrayNode calls = msg.putArray("tool_calls");
                    for (ToolCall t : c.toolCalls()) {
                        calls.addObject().putObject("function").put("name", t.name()).set("arguments", t.arguments());
                    }
                }
            } else {
                root.put("response", c.answer());
                if (!c.thinking().isEmpty()) {
                    root.put("thinking", c.thinking());
                }
            }
            done(root, c, t0);
            out.send(root);
        }
    }

    /**
     * NDJSON ({@link NdjsonLines}): a line per piece, then the {@code done} line. While the request waits its
     * client is probed with spaces before the first line. Errors as Ollama streams them: before anything was
     * sent an {@link ApiError} or a server failure gets its status; otherwise a line {@code {"error": "..."}}
     * (a request that does not fit the model always gets that line, status 200, as before the probes).
     */
    private void stream(HttpExchange ex, ServedModel m, LlmRequest request, boolean chat, long t0)
            throws IOException, InterruptedException {
        try (NdjsonLines out = new NdjsonLines(ex, m.name(), chat)) {
            Completion c;
            try {
                c = Generation.run(m, request, out);
            } catch (ClientGone g) {
                return; // the run was stopped at the failed write (or never started)
            } catch (RuntimeException e) {
                if (!out.opened() && !(e instanceof IllegalArgumentException)) {
                    throw e; // nothing sent yet (e.g. the model failed to load): a real error status
                }
                try {
                    out.send(Http.ollamaError(Http.apiError(e).getMessage()));
                } catch (IOException gone) {
                    if (e instanceof IllegalArgumentException) {
                        return; // the client is gone
                    }
                    e.addSuppressed(gone);
                }
                if (e instanceof IllegalArgumentException) {
                    return;
                }
                throw e; // counted (and a server failure logged) by the route; nothing follows the error line
            }
            ObjectNode root = out.line();
            if (chat) {
                root.putObject("message").put("role", "assistant").put("content", "");
            } else {
                root.put("response", "");
            }
            done(root, c, t0);
            out.send(root);
        } catch (IOException e) {
            // the client is gone
        }
    }

    private static ObjectNode line(ServedModel m, boolean chat) {
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("model", m.name());
        root.put("created_at", rfc3339(Instant.now()));
        return root;
    }

    private static void done(ObjectNode root, Completion c, long t0) {
        root.put("done", true);
        root.put("done_reason", switch (c.finishReason()) {
            case LENGTH -> "length";
            default -> "stop";
        });
        long ttft = Math.max(0, c.timings().ttftNanos());
        root.put("total_duration", System.nanoTime() - t0);
        root.put("load_duration", 0);
        root.put("prompt_eval_count", c.promptTokens());
        root.put("prompt_eval_duration", (long) (c.perf().prefillTimeMs() * 1e6) > 0
                ? (long) (c.perf().prefillTimeMs() * 1e6) : ttft);
        root.put("eval_count", c.tokenCount());
        root.put("eval_duration", Math.max(0, c.timings().durationNanos() - ttft));
    }

    private static int numPredict(JsonNode options) {
        Long v = Requests.longField(options, "num_predict", "options.num_predict");
        if (v == null || v < 0) {
            return 0; // Ollama: -1 = no limit
        }
        if (v == 0 || v > Integer.MAX_VALUE) {
            throw ApiError.badRequest("options.num_predict", "options.num_predict = " + v
                    + ": expected an integer >= 1, or -1 for the model's limit");
        }
        return v.intValue();
    }

    /** {@code keep_alive}: a duration string ("5m", "1h30m", "0"), seconds as a number, negative = forever. */
    static @Nullable Duration keepAlive(@Nullable JsonNode k) {
        if (k == null || k.isNull()) {
            return null;
        }
        if (k.isNumber()) {
            return Duration.ofMillis((long) (k.asDouble() * 1000));
        }
        String s = k.asText().strip().toLowerCase(Locale.ROOT);
        if (s.matches("-?\\d+(\\.\\d+)?")) {
            return Duration.ofMillis((long) (Double.parseDouble(s) * 1000));
        }
        var mt = java.util.regex.Pattern.compile("(-?\\d+(?:\\.\\d+)?)(ms|h|m|s)").matcher(s);
        long ms = 0;
        int end = 0;
        boolean negative = s.startsWith("-");
        while (mt.find()) {
            if (mt.start() != end) {
                break;
            }
            double v = Math.abs(Double.parseDouble(mt.group(1)));
            ms += (long) (v * switch (mt.group(2)) {
                case "h" -> 3_600_000;
                case "m" -> 60_000;
                case "s" -> 1000;
                default -> 1;
            });
            end = mt.end();
        }
        if (end != s.length() || end == 0) {
            throw ApiError.badRequest("keep_alive", "keep_alive \"" + k.asText()
                    + "\": expected a duration such as \"5m\", \"1h\", \"30s\", \"0\" (unload) or -1 (keep loaded)");
        }
        return negative ? Duration.ofMillis(-ms) : Duration.ofMillis(ms);
    }

}
