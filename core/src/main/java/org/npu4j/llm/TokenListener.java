package org.npu4j.llm;

import java.util.function.Consumer;

/**
 * Receives the tokens of a generation as they are produced, on any backend.
 *
 * <h2>Threading</h2>
 * Called on the backend's own thread (RKLLM: the runtime's callback thread; AXCL: the runner's device
 * thread), one call at a time and in order, never on the thread that called {@code generate}. A slow
 * listener slows the model down: the next token waits for the call to return.
 *
 * <h2>Errors</h2>
 * A listener may throw: the run stops at once, nothing else is delivered, and the exception reaches the
 * caller of {@code generate} as it was thrown (or completes the future exceptionally). It never unwinds
 * into native code.
 */
public interface TokenListener {

    /** A listener that ignores everything. */
    TokenListener NONE = new TokenListener() {};

    /** A listener that hands each non-empty piece of decoded text to {@code text}. */
    static TokenListener onText(Consumer<String> text) {
        return new TokenListener() {
            @Override
            public void onToken(String t, int tokenId) {
                if (!t.isEmpty()) {
                    text.accept(t);
                }
            }
        };
    }

    /**
     * One generated token.
     *
     * @param text    the text the token completes, decoded from UTF-8: characters split across tokens
     *                are reassembled, so {@code text} may be empty for one token and hold two characters'
     *                worth for the next; concatenating every {@code text} gives the answer exactly
     * @param tokenId the model's token id
     */
    default void onToken(String text, int tokenId) {}

    /** The run finished; {@code perf} is the backend's own account of its prefill and decode stages. */
    default void onFinish(PerfStats perf) {}
}
