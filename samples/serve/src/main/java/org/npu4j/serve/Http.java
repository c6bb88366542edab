package org.npu4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading bodies (with the size limit) and writing JSON answers and errors. Stateless. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();

    private Http() {}

    /**
     * The request body as a JSON object.
     *
     * @throws ApiError 413 above {@code limit} bytes, 400 if it is not a JSON object
     */
    static JsonNode readJson(HttpExchange ex, long limit) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        }
        if (body.length > limit) {
            throw new ApiError(413, "invalid_request_error", null, "request_too_large",
                    "request body larger than " + limit + " bytes (--max-body)", -1);
        }
        if (body.length == 0) {
            throw ApiError.badRequest(null, "empty request body: expected a JSON object");
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest(null, "malformed JSON in the request body: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (n == null || !n.isObject()) {
            throw ApiError.badRequest(null, "the request body is " + (n == null ? "empty" : n.getNodeType())
                    + ": expected a JSON object");
        }
        return n;
    }

    /** Sends {@code body} as JSON with {@code status}. */
    static void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Sends plain text. */
    static void sendText(HttpExchange ex, int status, String contentType, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The OpenAI error shape: {@code {"error": {"message", "type", "param", "code"}}}. */
    static void sendOpenAiError(HttpExchange ex, ApiError e) throws IOException {
        retryAfter(ex, e);
        send(ex, e.status, openAiError(e));
    }

    /** The Ollama error shape: {@code {"error": "message"}}. */
    static void sendOllamaError(HttpExchange ex, ApiError e) throws IOException {
        retryAfter(ex, e);
        send(ex, e.status, ollamaError(e.getMessage()));
    }

    /** {@code {"error": {"message", "type", "param", "code"}}}. */
    static ObjectNode openAiError(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type);
        err.put("param", e.param);
        err.put("code", e.code);
        return root;
    }

    /** {@code {"error": "message"}}. */
    static ObjectNode ollamaError(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    /**
     * What a failed run is answered with: an {@link ApiError} as it is, a request that does not fit the
     * model ({@link IllegalArgumentException}) as 400, anything else as 500 {@code server_error}.
     */
    static ApiError apiError(RuntimeException e) {
        if (e instanceof ApiError a) {
            return a;
        }
        if (e instanceof IllegalArgumentException) {
            return ApiError.badRequest(null, e.getMessage());
        }
        return new ApiError(500, "server_error", null, null, e.toString(), -1);
    }

    private static void retryAfter(HttpExchange ex, ApiError e) {
        if (e.retryAfterSeconds >= 0) {
            ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds));
        }
    }
}
