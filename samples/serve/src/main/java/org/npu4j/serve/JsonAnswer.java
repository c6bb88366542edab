package org.npu4j.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A non-streaming JSON answer (OpenAI {@code stream: false}, Ollama {@code stream: false}) that finds out
 * during the run whether its client is still there.
 *
 * <p>The JDK server offers no way to see a closed connection without writing to it. So once the run has
 * produced its first token, the answer commits status 200 with chunked encoding and {@code Content-Type:
 * application/json}, and writes one space per token, flushed ({@link #token}); the JSON body follows at the
 * end ({@link #send}), after as many spaces as tokens (insignificant whitespace before a JSON value, RFC
 * 8259). A failed write stops the run ({@link ClientGone}) within a token or two: TCP lets the first write
 * after the peer closed succeed (it provokes the peer's reset), the next one fails. Before the first token
 * nothing is written, so errors found until then (the request does not fit the context: 400; the model
 * failed to load: 503) keep their status; an answer of no token is sent with a {@code Content-Length}.
 * While the request waits in the queue nothing is written either (that would commit 200 too early), so a
 * client that left while it waited is noticed at its run's first token: it costs at most one prefill.
 *
 * <p>After the commit an error can only go into the body, in the protocol's error shape, with status 200
 * ({@link #sendError}).
 *
 * <p>Not thread-safe: one writer at a time (the backend's thread per token, then the handler thread; the
 * run's future orders them).
 */
final class JsonAnswer implements Generation.Writer, AutoCloseable {
    private final HttpExchange ex;
    private @org.jspecify.annotations.Nullable OutputStream out;

    JsonAnswer(HttpExchange ex) {
        this.ex = ex;
    }

    /** Whether the status (200) and some spaces were sent. */
    boolean committed() {
        return out != null;
    }

    /** One space per token, flushed (the first commits the status). */
    @Override
    public void token() throws IOException {
        if (out == null) {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 0); // chunked
            out = ex.getResponseBody();
        }
        out.write(' ');
        out.flush();
    }

    @Override
    public void content(String text) {
        // the text is in the completion, sent as the body at the end
    }

    @Override
    public void reasoning(String text) {
        // as content
    }

    @Override
    public void toolCall(int index, org.npu4j.llm.ToolCall call) {
        // as content
    }

    /** Sends the answer: after the spaces, or as a plain 200 response if no token was written. */
    void send(ObjectNode body) throws IOException {
        if (out == null) {
            Http.send(ex, 200, body);
            return;
        }
        out.write(Http.JSON.writeValueAsBytes(body));
        out.close();
    }

    /**
     * Writes an error body after the spaces (status 200 stays); an IO failure is ignored (the client is
     * gone). Only after {@link #committed()}: before, the route answers with the error's status.
     */
    void sendError(ObjectNode errorBody) {
        if (out == null) {
            throw new IllegalStateException("nothing was sent: answer with the error's status instead");
        }
        try {
            out.write(Http.JSON.writeValueAsBytes(errorBody));
            out.close();
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    /** Ends the response if it was committed; a client already gone is ignored. */
    @Override
    public void close() {
        if (out == null) {
            return;
        }
        try {
            out.close();
        } catch (IOException ignored) {
            // the client is gone
        }
    }
}
