package org.npu4j.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One OpenAI SSE stream's events ({@code data: <chunk JSON>\n\n}), each flushed as its own HTTP chunk.
 *
 * <p>Nothing is written to the socket before the run is handed to the model (a write wakes the client,
 * which on a busy machine can take the CPU from the thread about to start the run): the 200 status with
 * the {@code text/event-stream} headers and, for chat, the role delta ({@code {"role": "assistant",
 * "content": ""}}) go out together with the first event (a token, a probe, an error), as one write.
 * They are prepared ahead, into the exchange's buffers: when the run is about to start
 * ({@link #starting}) the opener thread prepares them {@value #OPEN_DELAY_MICROS} µs later, while the
 * model prefills, so that the first token does not wait for them (committing the headers took ~0.3 ms of
 * the ~0.5 ms from the model's first token to the client's first byte, ServeBench at board timing on a
 * busy 2-core VM); a first write that comes sooner (a probe, an error, a batch entry, which is not told)
 * prepares them itself.
 *
 * <p>All output goes through one Jackson {@link JsonGenerator} over the response stream, kept for the
 * whole stream: a content or reasoning delta (the per-token event) is written field by field, without
 * building a tree; other events are trees ({@link #send}). The chunk's fields and their order are those
 * of OpenAI's {@code chat.completion.chunk} / {@code text_completion}: {@code id, object, created, model,
 * choices[{index, delta{...} or text, logprobs, finish_reason}]} and {@code usage: null} when the request
 * asked for the usage chunk. {@link #probe} writes an SSE comment, which clients ignore.
 *
 * <p>Not thread-safe: one writer at a time (the handler thread, then the backend's thread per token,
 * then the handler thread again; the run's future orders them); the opening {@link #starting} hands to
 * the opener thread is taken over by the first write (or {@link #close}), which waits for it.
 */
abstract class SseChunks implements Generation.Writer, AutoCloseable {
    private final HttpExchange ex;
    /**
     * How long after {@link #starting} the opener opens the stream, microseconds: long enough for the
     * handler thread to hand the run to the runtime first (on a busy machine the opener's work would
     * otherwise be scheduled in its place), short against a board's TTFT (tens of milliseconds or more).
     * A first write before then opens the stream itself.
     */
    static final long OPEN_DELAY_MICROS = 2_000;

    private final ScheduledExecutorService opener;
    /** The generator once open (written by the thread that first writes, see the class comment). */
    private @Nullable JsonGenerator g;
    /** The opening {@link #starting} started, until a write or {@link #close} took its generator. */
    private volatile @Nullable FutureTask<JsonGenerator> opening;
    private final String id;
    private final String object;
    private final long created;
    private final String model;
    private final boolean chat;
    private final boolean includeUsage;

    /**
     * @param ex           the exchange whose response this is (chunked); its body is closed by {@link #close}
     * @param opener       runs the opening {@link #starting} starts (a platform thread: the handler's virtual
     *                     thread may hold its carrier in the model's native run while the first token waits)
     * @param created      seconds since the epoch
     * @param chat         chat deltas ({@code choices[].delta}) rather than text completions ({@code text})
     * @param includeUsage every chunk carries {@code "usage": null} but the usage chunk
     */
    SseChunks(HttpExchange ex, ScheduledExecutorService opener, String id, String object, long created,
            String model, boolean chat, boolean includeUsage) {
        this.ex = ex;
        this.opener = opener;
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
        return g != null || opening != null;
    }

    /**
     * Starts opening the stream (the headers and the role delta, into the exchange's buffers: nothing
     * reaches the socket before the first flush) on the opener thread, so that the first token finds it
     * done; once called, the status is 200 for good ({@link #opened}). Idempotent; the first write or
     * {@link #close} waits for the opening.
     */
    @Override
    public final void starting() {
        if (g == null && opening == null) {
            FutureTask<JsonGenerator> t = new FutureTask<>(this::openNow);
            opening = t;
            opener.schedule(t, OPEN_DELAY_MICROS, TimeUnit.MICROSECONDS);
        }
    }

    /** The generator: the one {@link #starting} prepared, or a new one (see {@link #openNow}). */
    private JsonGenerator open() throws IOException {
        JsonGenerator gen = g;
        if (gen == null) {
            FutureTask<JsonGenerator> t = opening;
            if (t != null) {
                t.run(); // opens here if the opener has not started it (a no-op if it has)
                gen = await(t);
            } else {
                gen = openNow();
            }
            g = gen;
            opening = null;
        }
        return gen;
    }

    /** Sends the headers, creates the generator and writes the role delta (chat); writes nothing to the socket. */
    private JsonGenerator openNow() throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0); // chunked; the JDK server buffers the headers until the first flush
        JsonGenerator gen = Http.JSON.getFactory().createGenerator(ex.getResponseBody());
        gen.setRootValueSeparator(null);
        if (chat) {
            ObjectNode first = chunk();
            ObjectNode d = delta(first);
            d.put("role", "assistant");
            d.put("content", "");
            event(gen, first);
        }
        return gen;
    }

    /** The opening's generator, waiting for it without giving up on an interrupt (which is kept). */
    private static JsonGenerator await(FutureTask<JsonGenerator> t) throws IOException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return t.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException("opening the SSE stream failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Sends {@code root} as one event (with {@code "usage": null} if the stream has a usage chunk). */
    final void send(ObjectNode root) throws IOException {
        JsonGenerator g = open();
        event(g, root);
        g.flush();
    }

    private void event(JsonGenerator g, ObjectNode root) throws IOException {
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
        if (g == null && opening != null) {
            try {
                open();
            } catch (IOException | RuntimeException e) {
                // the client is gone or the opening failed: the body is closed below if it was opened
            }
        }
        JsonGenerator g = this.g;
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
