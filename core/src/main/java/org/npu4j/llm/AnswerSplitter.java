package org.npu4j.llm;

import java.util.List;
import java.util.Objects;

/**
 * Takes a model's token stream apart as it arrives: text inside {@code <think>...</think>} is
 * reasoning, a {@code <tool_call>...</tool_call>} block is a function call, the rest is the answer.
 * Text that may be the start of a tag is held back until the next piece decides; a tool-call block is
 * buffered until it closes and then delivered as one parsed call (its arguments are only known whole).
 * Whitespace right after {@code </think>} and around tool-call blocks is dropped, as
 * {@link Completion} trims its parts (the streamed parts concatenated equal its {@code thinking} and
 * {@code answer}).
 *
 * <p>Not thread-safe: fed by the backend's thread, one piece at a time (a {@link TokenListener} calls it).
 * Used by the HTTP server and the framework adapters to stream {@code reasoning_content}, content and
 * tool calls apart.
 */
public final class AnswerSplitter {
    private static final String THINK_OPEN = "<think>";
    private static final String THINK_CLOSE = "</think>";
    private static final String TOOL_OPEN = "<tool_call>";
    private static final String TOOL_CLOSE = "</tool_call>";

    /** Receives the parts in order. */
    public interface Sink {
        void content(String text);

        void reasoning(String text);

        /** A complete, well-formed call; {@code index} counts the calls of this answer from 0. */
        void toolCall(int index, ToolCall call);

        /** A block that is not a call (not JSON, no name, or cut off at the end). */
        void malformedToolCall(String body);
    }

    private enum State { TEXT, THINK, TOOL }

    private final Sink sink;
    private final StringBuilder pending = new StringBuilder();
    private State state;
    private boolean trimLeading = true;
    private int calls;

    /**
     * @param startInThinking true when the prompt opened the thought itself (the answer starts inside
     *                        it and the first {@code </think>} ends it)
     */
    public AnswerSplitter(Sink sink, boolean startInThinking) {
        this.sink = Objects.requireNonNull(sink);
        this.state = startInThinking ? State.THINK : State.TEXT;
    }

    /** Number of well-formed tool calls delivered so far. */
    public int toolCalls() {
        return calls;
    }

    /** One piece of decoded text. */
    public void accept(String text) {
        pending.append(text);
        while (true) {
            String close = switch (state) {
                case TEXT -> null;
                case THINK -> THINK_CLOSE;
                case TOOL -> TOOL_CLOSE;
            };
            if (state == State.TEXT) {
                int think = pending.indexOf(THINK_OPEN);
                int tool = pending.indexOf(TOOL_OPEN);
                int at = think < 0 ? tool : tool < 0 ? think : Math.min(think, tool);
                if (at < 0) {
                    emitHeld(List.of(THINK_OPEN, TOOL_OPEN));
                    return;
                }
                emit(pending.substring(0, at));
                boolean isThink = at == think;
                pending.delete(0, at + (isThink ? THINK_OPEN : TOOL_OPEN).length());
                state = isThink ? State.THINK : State.TOOL;
                trimLeading = true;
                continue;
            }
            int at = pending.indexOf(close);
            if (at < 0) {
                if (state == State.THINK) {
                    emitHeld(List.of(THINK_CLOSE));
                }
                return;
            }
            if (state == State.THINK) {
                emit(pending.substring(0, at));
            } else {
                toolBlock(pending.substring(0, at));
            }
            pending.delete(0, at + close.length());
            state = State.TEXT;
            trimLeading = true;
        }
    }

    /** The stream ended: delivers what was held back (an unclosed tool-call block as malformed). */
    public void finish() {
        if (state == State.TOOL) {
            sink.malformedToolCall(pending.toString().strip());
        } else {
            emit(pending.toString());
        }
        pending.setLength(0);
    }

    private void toolBlock(String body) {
        List<ToolCall> parsed = ToolCall.parse(TOOL_OPEN + body + TOOL_CLOSE);
        if (parsed.isEmpty()) {
            sink.malformedToolCall(body.strip());
        } else {
            sink.toolCall(calls++, parsed.get(0));
        }
    }

    /** Emits the pending text except a suffix that may start one of {@code tags}. */
    private void emitHeld(List<String> tags) {
        int keep = 0;
        String p = pending.toString();
        for (String tag : tags) {
            for (int n = Math.min(tag.length() - 1, p.length()); n > keep; n--) {
                if (p.regionMatches(p.length() - n, tag, 0, n)) {
                    keep = n;
                    break;
                }
            }
        }
        emit(pending.substring(0, pending.length() - keep));
        pending.delete(0, pending.length() - keep);
    }

    private void emit(String s) {
        if (trimLeading) {
            s = s.stripLeading();
            if (s.isEmpty()) {
                return;
            }
            trimLeading = false;
        }
        if (s.isEmpty()) {
            return;
        }
        if (state == State.THINK) {
            sink.reasoning(s);
        } else {
            sink.content(s);
        }
    }
}
