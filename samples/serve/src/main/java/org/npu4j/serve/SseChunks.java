package org.npu4j.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * One OpenAI SSE stream's events ({@code data: <chunk JSON>\n\n}), each flushed as its own HTTP chunk.
 *
 * <p>The stream opens at its first write, not before: the 200 status with the {@code text/event-stream}
 * headers and, for chat, the role delta ({@code {"role": "assistant", "content": ""}}) go out together
 * with the first event (a token, a probe, an error), as one write, so nothing is written to the socket
 * before the run is handed to the model (a write wakes the client, which on a busy machine can take the
 * CPU from the thread about to start the run).
 *
 * <p>All output goes through one Jackson {@link JsonGenerator} over the response stream, kept for the
 * whole stream: a content or reasoning delta (the per-token event) is written field by field, without
 * building a tree; other events are trees ({@link #send}). The chunk's fields and their order are those
 * of OpenAI's {@code chat.completion.chunk} / {@code text_completion}: {@code id, object, created, model,
 * choices[{index, delta{...} or text, logprobs, finish_reason}]} and {@code usage: null} when the request
 * asked for the usage chunk. {@link #probe} writes an SSE comment, which clients ignore.
 *
 * <p>Not thread-safe: one writer at a time (the handler thread, then the backend's thread per token,
 * then the handler thread again; the run's future orders them).
 */
abstract class SseChunks implements Generation.Writer, AutoCloseable {
    private final HttpExchange ex;
    private @org.jspecify.annotations.Nullable JsonGenerator g;
    private final String id;
    private final String object;
    private final long created;
    private final String model;
    private final boolean chat;
    private final boolean includeUsage;

    /**
     * @param ex           the exchange whose response this is (chunked); its body is closed by {@link #close}
     * @param created      seconds since the epoch
     * @param chat         chat deltas ({@code choices[].delta}) rather than text completions ({@code text})
     * @param includeUsage every chunk carries {@code "usage": null} but the usage chunk
     */
    SseChunks(HttpExchange ex, String id, String object, long created, String model, boolean chat,
            boolean includeUsage) {
        this.ex = ex;
        this.id = id;
        this.object = object;
        this.created = created;
        this.model = model;
        this.chat = chat;
        this.includeUsage = includeUsage;
    }

    /** A chunk's envelope as a tree: id, object, created, model. */
    final ObjectNode chunk() {
        ObjectNode root = Http.JSON.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    /** Adds {@code choices[0]} to {@code root}; returns its delta (chat) or the choice itself (text). */
    final ObjectNode delta(ObjectNode root) {
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode d = chat ? choice.putObject("delta") : choice;
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return d;
    }

    /** Whether anything was written (the status is then 200 for good). */
    final boolean opened() {
        return g != null;
    }

    /** The generator, after the headers and the role delta (written, not flushed) on the first call. */
    private JsonGenerator open() throws IOException {
        if (g == null) {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0); // chunked; the JDK server buffers the headers until the first flush
            JsonGenerator gen = Http.JSON.getFactory().createGenerator(ex.getResponseBody());
            gen.setRootValueSeparator(null);
            g = gen;
            if (chat) {
                ObjectNode first = chunk();
                ObjectNode d = delta(first);
                d.put("role", "assistant");
                d.put("content", "");
                event(first);
            }
        }
        return g;
    }

    /** Sends {@code root} as one event (with {@code "usage": null} if the stream has a usage chunk). */
    final void send(ObjectNode root) throws IOException {
        open();
        event(root);
        g.flush();
    }

    private void event(ObjectNode root) throws IOException {
        if (includeUsage && !root.has("usage")) {
            root.putNull("usage");
        }
        g.writeRaw("data: ");
        root.serialize(g, Http.JSON.getSerializerProviderInstance());
        g.writeRaw("\n\n");
    }

    /** The per-token event: {@code field} (content, text or reasoning_content) set to {@code text}. */
    private void piece(String field, String text) throws IOException {
        JsonGenerator g = open();
        g.writeRaw("data: ");
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", object);
        g.writeNumberField("created", created);
        g.writeStringField("model", model);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        if (chat) {
            g.writeObjectFieldStart("delta");
            g.writeStringField(field, text);
            g.writeEndObject();
        } else {
            g.writeStringField(field, text);
        }
        g.writeNullField("logprobs");
        g.writeNullField("finish_reason");
        g.writeEndObject();
        g.writeEndArray();
        if (includeUsage) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
        g.writeRaw("\n\n");
        g.flush();
    }

    @Override
    public final void content(String text) throws IOException {
        piece(chat ? "content" : "text", text);
    }

    @Override
    public final void reasoning(String text) throws IOException {
        if (chat) {
            piece("reasoning_content", text);
        }
    }

    /** An SSE comment line: ignored by clients; a failed write means the client is gone. */
    @Override
    public final void probe() throws IOException {
        JsonGenerator g = open();
        g.writeRaw(": waiting\n\n");
        g.flush();
    }

    /** {@code data: [DONE]}. */
    final void done() throws IOException {
        JsonGenerator g = open();
        g.writeRaw("data: [DONE]\n\n");
        g.flush();
    }

    /**
     * The stream's end after a failure: {@code data: <errorBody>} exactly as given (no {@code "usage"} field
     * added), then {@code data: [DONE]}, in one flush. Nothing may follow.
     *
     * @param errorBody OpenAI's error object, {@code {"error": {"message", "type", "param", "code"}}}
     */
    final void error(ObjectNode errorBody) throws IOException {
        JsonGenerator g = open();
        g.writeRaw("data: ");
        errorBody.serialize(g, Http.JSON.getSerializerProviderInstance());
        g.writeRaw("\n\ndata: [DONE]\n\n");
        g.flush();
    }

    /** Ends the response (the last chunk); a client already gone is ignored. */
    @Override
    public final void close() {
        if (g == null) {
            return; // nothing was sent: the handler answers with an error status (NpuServer's routes)
        }
        try {
            g.close();
        } catch (IOException e) {
            // the client is gone; the body is closed below
        }
        try {
            ex.getResponseBody().close();
        } catch (IOException ignored) {
            // the client is gone
        }
    }
}
