package org.npu4j.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import org.npu4j.llm.ToolCall;

/**
 * One Ollama NDJSON stream ({@code application/x-ndjson}: one JSON object per line, each flushed as its
 * own HTTP chunk): the partial lines of {@code /api/chat} ({@code message{role, content, thinking?,
 * tool_calls?}}) or {@code /api/generate} ({@code response, thinking?}), with {@code done: false}; the
 * caller adds the final {@code done: true} line or an {@code {"error": "..."}} line ({@link #send}).
 *
 * <p>The stream opens at its first write, not before: the 200 status and the headers go out with the first
 * line or the first {@link #probe}, so an error found before (the model failed to load: 503) still gets
 * its status. A probe writes one space, flushed: whitespace before a JSON value is insignificant (RFC
 * 8259), so the probes of a waiting request become leading spaces of the first line ({@code "   {...}\n"}),
 * and those sent during the run while a tool call is held back ({@link Generation}) leading spaces of the
 * line after the last newline; a line that is only whitespace is never written (NDJSON readers parse every
 * line): a line (the call, the done line or an error line) always follows a probe.
 *
 * <p>Not thread-safe: one writer at a time (the handler thread, then the backend's thread per token, then
 * the handler thread again; the run's future orders them).
 */
final class NdjsonLines implements Generation.Writer, AutoCloseable {
    private final HttpExchange ex;
    private final String model;
    private final boolean chat;
    private @org.jspecify.annotations.Nullable OutputStream out;

    /**
     * @param ex    the exchange whose response this is (chunked); its body is closed by {@link #close}
     * @param model the served model's name, in every line
     * @param chat  {@code /api/chat} lines ({@code message}) rather than {@code /api/generate} ({@code response})
     */
    NdjsonLines(HttpExchange ex, String model, boolean chat) {
        this.ex = ex;
        this.model = model;
        this.chat = chat;
    }

    /** Whether anything was written (the status is then 200 for good). */
    boolean opened() {
        return out != null;
    }

    private OutputStream open() throws IOException {
        if (out == null) {
            ex.getResponseHeaders().set("Content-Type", "application/x-ndjson");
            ex.sendResponseHeaders(200, 0); // chunked; the JDK server buffers the headers until the first flush
            out = ex.getResponseBody();
        }
        return out;
    }

    /** A line's envelope: {@code model, created_at}. */
    ObjectNode line() {
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("model", model);
        root.put("created_at", OllamaApi.rfc3339(Instant.now()));
        return root;
    }

    /** Sends {@code line} as one line, flushed. */
    void send(ObjectNode line) throws IOException {
        OutputStream o = open();
        o.write(Http.JSON.writeValueAsBytes(line));
        o.write('\n');
        o.flush();
    }

    private void piece(String field, String text) throws IOException {
        ObjectNode root = line();
        if (chat) {
            ObjectNode msg = root.putObject("message").put("role", "assistant");
            msg.put("content", field.equals("content") ? text : "");
            if (field.equals("thinking")) {
                msg.put("thinking", text);
            }
        } else {
            root.put("response", field.equals("content") ? text : "");
            if (field.equals("thinking")) {
                root.put("thinking", text);
            }
        }
        root.put("done", false);
        send(root);
    }

    @Override
    public void content(String text) throws IOException {
        piece("content", text);
    }

    @Override
    public void reasoning(String text) throws IOException {
        piece("thinking", text);
    }

    @Override
    public void toolCall(int index, ToolCall call) throws IOException {
        ObjectNode root = line();
        if (chat) {
            ObjectNode msg = root.putObject("message").put("role", "assistant").put("content", "");
            msg.putArray("tool_calls").addObject().putObject("function").put("name", call.name())
                    .set("arguments", call.arguments());
        } else {
            root.put("response", "<tool_call>" + call.json() + "</tool_call>");
        }
        root.put("done", false);
        send(root);
    }

    /** One space, flushed: leading whitespace of the next line; a failed write means the client is gone. */
    @Override
    public void probe() throws IOException {
        OutputStream o = open();
        o.write(' ');
        o.flush();
    }

    /** Ends the response (the last chunk); a client already gone is ignored. */
    @Override
    public void close() {
        if (out == null) {
            return; // nothing was sent: the handler answers with an error status (NpuServer's routes)
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // the client is gone
        }
    }
}
