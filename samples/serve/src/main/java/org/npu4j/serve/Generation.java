package org.npu4j.serve;

import java.io.IOException;
import org.npu4j.llm.AnswerSplitter;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.TokenListener;

/**
 * Runs one request on a served model, streaming its parts to a protocol's writer.
 *
 * <p>Requests take turns on the model in arrival order ({@link ServedModel#awaitTurn}); one whose
 * streaming client went away while it waited is dropped before its run starts (the writer's
 * {@link Writer#probe}). The writer is called on the
 * backend's thread, per token; when it fails with an {@link IOException}
 * (the client went away) the listener throws {@link ClientGone}, which stops the run at that token, and
 * the run ends on the handler thread, which runs it ({@link LanguageModel#generate}). Closing the model
 * (the server's close) stops a running generation. With {@code --batch N} the model's
 * {@link BatchScheduler} is its queue instead, and a failed write stops the request's batch entry only.
 */
final class Generation {
    /**
     * Receives a run's parts on the backend's thread, per token; any method may throw {@link IOException}
     * when the client is gone, which stops the run at that token ({@link ClientGone}). The protocols:
     * OpenAI SSE ({@link SseChunks}), Ollama NDJSON ({@link NdjsonLines}) and non-streaming JSON answers of
     * both ({@link JsonAnswer}, which writes only {@link #token} and the body at the end).
     *
     * <p>Calls never overlap: the backend's thread per token; {@link #probe} on the handler thread before the
     * run (with {@code --batch N} serialized with the token calls on the writer's monitor), then
     * {@link #starting} on it just before the run.
     */
    interface Writer {
        /**
         * Called once per generated token, before its text reaches {@link #content}, {@link #reasoning} or
         * {@link #toolCall} (which may hold text back, e.g. inside a tool call). The default does nothing; a
         * non-streaming answer writes one space here, so that a client that went away is noticed within a token
         * or two of the run instead of after the whole answer (TCP: the first write after the peer closed may
         * still succeed and provoke its reset; the next one fails).
         */
        default void token() throws IOException {}

        void content(String text) throws IOException;

        void reasoning(String text) throws IOException;

        void toolCall(int index, org.npu4j.llm.ToolCall call) throws IOException;

        /**
         * Sends the client something it ignores, to find out whether it is still there while the request
         * waits for its turn, and during the run while its tokens write nothing (text held back inside a tool
         * call; at most every {@value ServedModel#PROBE_MILLIS} ms, on the backend's thread): an SSE comment
         * ({@code : waiting}), or for NDJSON a space (insignificant JSON whitespace before the next line's
         * object, RFC 8259: after a line's newline it leads the next line, which still parses; a done or error
         * line always follows). It commits the 200 status, as a token would. The default sends nothing: a non-streaming answer must not commit its
         * status while it waits (a later 400 or 503 would lose it), so its client is noticed at its run's
         * first token ({@link #token}), at most one prefill after it left.
         */
        default void probe() throws IOException {}

        /**
         * Called on the handler thread when the run is about to be handed to the model (its turn came and
         * the model is loaded), before anything of the run is written: a writer may prepare its first
         * write here, off the path to the first token (the SSE writer commits its 200 headers on another
         * thread while the model prefills). Not called for a batch entry. The default does nothing.
         */
        default void starting() {}
    }

    private static final long PROBE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(ServedModel.PROBE_MILLIS);

    private Generation() {}

    /**
     * Runs {@code request}, streaming to {@code writer} if it is not null.
     *
     * @return the completion; {@link org.npu4j.llm.Outcome#ABORTED} if a stop ended it
     * @throws ClientGone               when a write failed (the run was stopped)
     * @throws IllegalArgumentException if the request does not fit the model
     */
    static Completion run(ServedModel served, LlmRequest request, @org.jspecify.annotations.Nullable Writer writer)
            throws InterruptedException {
        BatchScheduler batches = served.scheduler();
        if (batches != null) {
            // the scheduler is the model's queue: it probes a waiting client as awaitTurn does, and the probe
            // and the token writes never overlap (they share the writer's monitor)
            // (it counts stopped entries and dropped waiting requests itself)
            Writer w = writer == null ? null : serialized(writer);
            return account(served, batches.run(request, listener(w), w == null ? null : w::probe));
        }
        try (ServedModel.Turn turn = served.awaitTurn(writer == null ? null : writer::probe)) {
            return run(served, served.model(), request, writer);
        }
    }

    private static Completion run(ServedModel served, LanguageModel model, LlmRequest request,
            @org.jspecify.annotations.Nullable Writer writer) throws InterruptedException {
        TokenListener listener = listener(writer);
        // On this handler thread: generateAsync would start another thread and park this one, two
        // scheduling hand-offs before the run reaches the runtime (milliseconds each on a busy machine)
        Completion c;
        if (writer != null) {
            writer.starting();
        }
        try {
            c = model.generate(request, listener);
        } catch (ClientGone g) {
            served.aborted.increment();
            throw g;
        }
        return account(served, c);
    }

    private static Completion account(ServedModel served, Completion c) {
        served.generatedTokens.add(c.tokenCount());
        if (c.timings().durationNanos() > 0) {
            served.decodeNanos.addAndGet(c.timings().durationNanos() - Math.max(0, c.timings().ttftNanos()));
        }
        return c;
    }

    /** {@code w} with every call under one monitor (a batch entry's probe runs on the handler thread). */
    private static Writer serialized(Writer w) {
        return new Writer() {
            @Override
            public synchronized void token() throws IOException {
                w.token();
            }

            @Override
            public synchronized void content(String text) throws IOException {
                w.content(text);
            }

            @Override
            public synchronized void reasoning(String text) throws IOException {
                w.reasoning(text);
            }

            @Override
            public synchronized void toolCall(int index, org.npu4j.llm.ToolCall call) throws IOException {
                w.toolCall(index, call);
            }

            @Override
            public synchronized void probe() throws IOException {
                w.probe();
            }
        };
    }

    /**
     * The listener that splits the answer into the writer's parts (no-op without a writer).
     *
     * <p>While the splitter holds text back (a tool call is written only when it ends; a tag cut between
     * tokens), a token writes nothing to a streaming client, which could leave unnoticed until the call ends.
     * So after a token that wrote nothing, once {@value ServedModel#PROBE_MILLIS} ms passed since the last write
     * of the run (or since its first token), the writer's {@link Writer#probe} goes out: at most one probe per
     * {@value ServedModel#PROBE_MILLIS} ms, none while the tokens write. TCP lets the first write after the
     * peer closed succeed, so a client that left is noticed at the probe after it, within a token of it.
     */
    private static TokenListener listener(@org.jspecify.annotations.Nullable Writer writer) {
        TokenListener listener = TokenListener.NONE;
        AnswerSplitter[] splitter = new AnswerSplitter[1];
        if (writer != null) {
            // Qwen3 opens its thought itself (<think> is generated, not part of the prompt)
            boolean startInThought = false;
            // whether the current token's text reached the client (set by the sink, on the backend's thread)
            boolean[] wrote = new boolean[1];
            splitter[0] = new AnswerSplitter(new AnswerSplitter.Sink() {
                @Override
                public void content(String text) {
                    wrote[0] = true;
                    write(() -> writer.content(text));
                }

                @Override
                public void reasoning(String text) {
                    wrote[0] = true;
                    write(() -> writer.reasoning(text));
                }

                @Override
                public void toolCall(int index, org.npu4j.llm.ToolCall call) {
                    wrote[0] = true;
                    write(() -> writer.toolCall(index, call));
                }

                @Override
                public void malformedToolCall(String body) {
                    // reported by the completion (malformedToolCalls); not streamed as a call
                }
            }, startInThought);
            listener = new TokenListener() {
                /** System.nanoTime() of the run's last write to the client (or of its first token). */
                private long lastWrite;
                private boolean started;

                @Override
                public void onToken(String text, int tokenId) {
                    write(writer::token);
                    wrote[0] = false;
                    if (!text.isEmpty()) {
                        splitter[0].accept(text);
                    }
                    long now = System.nanoTime();
                    if (wrote[0] || !started) {
                        started = true;
                        lastWrite = now;
                    } else if (now - lastWrite >= PROBE_NANOS) {
                        lastWrite = now;
                        write(writer::probe); // held back: is the client still there?
                    }
                }

                @Override
                public void onFinish(PerfStats perf) {
                    splitter[0].finish();
                }
            };
        }
        return listener;
    }

    private interface Io {
        void run() throws IOException;
    }

    private static void write(Io io) {
        try {
            io.run();
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }
}
