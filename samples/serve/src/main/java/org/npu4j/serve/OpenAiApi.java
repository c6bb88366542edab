package org.npu4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.ToolCall;
import org.npu4j.llm.ToolSpec;

/**
 * The OpenAI routes: {@code POST /v1/chat/completions} (JSON or SSE), {@code POST /v1/completions},
 * {@code GET /v1/models}. Wire format: the OpenAI API reference (see shared/facts/serving.md).
 */
final class OpenAiApi {
    private final NpuServer server;

    OpenAiApi(NpuServer server) {
        this.server = server;
    }

    void models(HttpExchange ex) throws IOException {
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (ServedModel m : server.models()) {
            ObjectNode o = data.addObject();
            o.put("id", m.name());
            o.put("object", "model");
            o.put("created", m.loadedAt().getEpochSecond());
            ModelInfo info = m.infoIfKnown();
            // a model still loading is listed (its requests wait for the load); /health has its state
            o.put("owned_by", info == null ? "npu4j (" + m.state().name().toLowerCase(java.util.Locale.ROOT) + ")"
                    : info.emulator() ? "npu4j (" + info.backend() + " emulator)" : "npu4j (" + info.backend() + ")");
        }
        Http.send(ex, 200, root);
    }

    /** Parsed chat or completion request. */
    private record Parsed(ServedModel model, LlmRequest request, boolean stream, boolean includeUsage) {}

    private Parsed parse(JsonNode body, boolean chat) throws InterruptedException {
        ServedModel m = server.model(Requests.model(body));
        LlmRequest.Builder b = LlmRequest.builder();
        if (chat) {
            List<ChatMessage> messages = Requests.messages(body, false, server.issuedCalls(), server.imageDir());
            Requests.checkImages(m, messages);
            b.messages(messages);
            List<ToolSpec> tools = Requests.tools(body);
            JsonNode choice = body.get("tool_choice");
            if (choice != null && !choice.isNull() && !(choice.isTextual()
                    && (choice.asText().equals("auto") || choice.asText().equals("none")))) {
                throw ApiError.badRequest("tool_choice", "tool_choice " + choice + " is not supported: the model"
                        + " cannot be forced to call a tool (expected \"auto\" or \"none\")");
            }
            if (!(choice != null && choice.isTextual() && choice.asText().equals("none"))) {
                b.tools(tools);
            }
            JsonNode kwargs = body.path("chat_template_kwargs").get("enable_thinking");
            JsonNode effort = body.get("reasoning_effort");
            if (kwargs != null && kwargs.isBoolean()) {
                b.thinking(kwargs.asBoolean());
            } else if (effort != null && effort.isTextual()) {
                b.thinking(!effort.asText().equals("none") && !effort.asText().equals("minimal"));
            }
        } else {
            JsonNode prompt = body.get("prompt");
            if (prompt == null || !prompt.isTextual()) {
                throw ApiError.badRequest("prompt", "\"prompt\" is " + (prompt == null ? "missing" : prompt.getNodeType())
                        + ": expected a string");
            }
            b.message(ChatMessage.user(prompt.asText()));
        }
        JsonNode format = body.path("response_format").path("type");
        if (format.isTextual() && !format.asText().equals("text")) {
            throw ApiError.badRequest("response_format", "response_format " + format.asText() + " is not supported:"
                    + " the model has no constrained decoding (expected \"text\")");
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && n.asInt() != 1) {
            throw ApiError.badRequest("n", "\"n\" = " + n + ": expected 1 (one choice per request)");
        }
        int max = Requests.maxTokens(body, "max_completion_tokens", "max_completion_tokens");
        if (max == 0) {
            max = Requests.maxTokens(body, "max_tokens", "max_tokens");
        }
        b.maxNewTokens(max);
        b.sampling(Requests.sampling(body, ""));
        try {
            b.stop(Requests.stop(body.get("stop"), "stop"));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("stop", e.getMessage());
        }
        boolean stream = body.path("stream").asBoolean(false);
        boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
        return new Parsed(m, Requests.build(b), stream, usage);
    }

    void chatCompletions(HttpExchange ex) throws IOException, InterruptedException {
        Parsed p = parse(Http.readJson(ex, server.maxBodyBytes()), true);
        try (var admission = p.model.admit()) {
            if (p.stream) {
                stream(ex, p, true);
            } else {
                answer(ex, p, c -> chatBody(p, c));
            }
        }
    }

    void completions(HttpExchange ex) throws IOException, InterruptedException {
        Parsed p = parse(Http.readJson(ex, server.maxBodyBytes()), false);
        try (var admission = p.model.admit()) {
            if (p.stream) {
                stream(ex, p, false);
            } else {
                answer(ex, p, c -> completionBody(p, c));
            }
        }
    }

    /** {@code chat.completion}: the message (content, reasoning_content, tool_calls), finish reason, usage. */
    private ObjectNode chatBody(Parsed p, Completion c) {
        ObjectNode root = envelope("chatcmpl-" + UUID.randomUUID(), "chat.completion", p.model.name());
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode msg = choice.putObject("message");
        msg.put("role", "assistant");
        msg.put("content", c.hasToolCalls() && c.answer().isEmpty() ? null : c.answer());
        if (!c.thinking().isEmpty()) {
            msg.put("reasoning_content", c.thinking());
        }
        if (c.hasToolCalls()) {
            ArrayNode calls = msg.putArray("tool_calls");
            for (ToolCall t : c.toolCalls()) {
                calls.add(toolCallJson(t, server.issue(t), -1, true));
            }
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(c.finishReason()));
        root.set("usage", usage(c));
        return root;
    }

    /** {@code text_completion}: the text, finish reason, usage. */
    private ObjectNode completionBody(Parsed p, Completion c) {
        ObjectNode root = envelope("cmpl-" + UUID.randomUUID(), "text_completion", p.model.name());
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.put("text", c.answer());
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(c.finishReason()));
        root.set("usage", usage(c));
        return root;
    }

    /**
     * A non-streaming answer ({@link JsonAnswer}: a space per token once the run produced its first, then
     * the body). A failure before the first token gets its status (400 if the request does not fit the
     * model); after it, the OpenAI error object in the body, status 200 (and the route counts it).
     */
    private void answer(HttpExchange ex, Parsed p, Function<Completion, ObjectNode> body) throws IOException, InterruptedException {
        try (JsonAnswer out = new JsonAnswer(ex)) {
            Completion c;
            try {
                c = Generation.run(p.model, p.request, out);
            } catch (ClientGone g) {
                return; // the run was stopped at the failed write (or never started): nobody to answer
            } catch (RuntimeException e) {
                ApiError a = Http.apiError(e);
                if (out.committed()) {
                    out.sendError(Http.openAiError(a));
                }
                throw e instanceof IllegalArgumentException ? a : e;
            }
            out.send(body.apply(c));
        }
    }

    /**
     * SSE: one id, the role delta first, a delta per piece, the finish chunk, the usage chunk if asked, [DONE].
     * A failure after the stream opened ends it with an error event ({@code data: {"error": {"message",
     * "type", "param", "code"}}}: {@code invalid_request_error} if the request does not fit the model,
     * {@code server_error} for a runtime failure) and {@code data: [DONE]}, nothing else; a runtime failure is
     * then rethrown for the route to count and log. A client that left ({@link ClientGone}) gets nothing more.
     */
    private void stream(HttpExchange ex, Parsed p, boolean chat) throws IOException, InterruptedException {
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        // Nothing is written before the run is handed to the model: the headers and the role delta are prepared
        // while it prefills (SseChunks.starting) and go out with the first token (or the first probe while the
        // request waits), in one write
        SseChunks sse = new SseChunks(ex, server.sseOpener(), id, chat ? "chat.completion.chunk" : "text_completion",
                System.currentTimeMillis() / 1000, p.model.name(), chat, p.includeUsage) {
            @Override
            public void toolCall(int index, ToolCall call) throws IOException {
                if (!chat) {
                    content("<tool_call>" + call.json() + "</tool_call>");
                    return;
                }
                ObjectNode root = chunk();
                ObjectNode d = delta(root);
                d.putNull("content");
                d.putArray("tool_calls").add(toolCallJson(call, server.issue(call), index, true));
                send(root);
            }
        };
        try (sse) {
            Completion c;
            try {
                c = Generation.run(p.model, p.request, sse);
            } catch (ClientGone g) {
                throw g; // nothing more can reach the client (below)
            } catch (RuntimeException e) {
                if (!sse.opened() && !(e instanceof IllegalArgumentException)) {
                    throw e; // nothing sent yet (e.g. the model failed to load): a real error status
                }
                // the stream is open (or opening, SseChunks.starting): OpenAI's error event and [DONE] end it,
                // instead of a silently cut stream (a runtime failure mid-decode, the model closed by the
                // server's close: server_error)
                boolean refused = e instanceof IllegalArgumentException || e instanceof ApiError;
                try {
                    sse.error(Http.openAiError(Http.apiError(e)));
                } catch (IOException gone) {
                    if (refused) {
                        return; // the client is gone
                    }
                    e.addSuppressed(gone);
                }
                if (refused) {
                    return;
                }
                throw e; // the route counts and logs it (it cannot write a status any more)
            }
            ObjectNode last = sse.chunk();
            ObjectNode choice = last.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) {
                choice.putObject("delta");
            } else {
                choice.put("text", "");
            }
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(c.finishReason()));
            sse.send(last);
            if (p.includeUsage) {
                ObjectNode u = sse.chunk();
                u.putArray("choices");
                u.set("usage", usage(c));
                sse.send(u);
            }
            sse.done();
        } catch (ClientGone | IOException e) {
            // the run was stopped at the failed write (or never started); nothing more can reach the client
        }
    }

    private static ObjectNode envelope(String id, String object, String model) {
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", System.currentTimeMillis() / 1000);
        root.put("model", model);
        return root;
    }

    static String callId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    }

    /** {@code {index?, id, type, function{name, arguments}}} with the arguments as a JSON string. */
    static ObjectNode toolCallJson(ToolCall t, String id, int index, boolean argumentsAsString) {
        ObjectNode o = Http.JSON.createObjectNode();
        if (index >= 0) {
            o.put("index", index);
        }
        o.put("id", id);
        o.put("type", "function");
        ObjectNode f = o.putObject("function");
        f.put("name", t.name());
        if (argumentsAsString) {
            f.put("arguments", t.arguments().toString());
        } else {
            f.set("arguments", t.arguments());
        }
        return o;
    }

    static String finishReason(FinishReason r) {
        return switch (r) {
            case STOP, ABORTED -> "stop";
            case LENGTH -> "length";
            case TOOL_CALLS -> "tool_calls";
        };
    }

    private static ObjectNode usage(Completion c) {
        ObjectNode u = Http.JSON.createObjectNode();
        // OpenAI counts the whole prompt and reports the part served from the KV cache as cached_tokens
        int prompt = c.promptTokens() + c.cachedPromptTokens();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", c.tokenCount());
        u.put("total_tokens", prompt + c.tokenCount());
        u.putObject("prompt_tokens_details").put("cached_tokens", c.cachedPromptTokens());
        return u;
    }
}
