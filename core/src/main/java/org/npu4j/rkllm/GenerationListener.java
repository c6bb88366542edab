package org.npu4j.rkllm;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import org.npu4j.llm.TokenListener;

/**
 * Receives what an RKLLM run produces, as it is produced: the tokens and the FINISH statistics of
 * {@link TokenListener}, and the RKLLM-only hidden states and logits.
 *
 * <h2>Threading</h2>
 * Every method is called on the runtime's own thread (the thread that calls the result callback),
 * one call at a time and in order, never on the thread that called {@code generate}. A slow listener
 * slows the model down: the runtime waits for the callback to return.
 *
 * <h2>Errors</h2>
 * A listener may throw: the run is stopped at once (the callback returns "pause" to the runtime, and
 * the KV cache is cleared back to the system prompt unless the request keeps history), nothing else
 * is delivered, and the exception reaches the caller of {@code generate} (rethrown as it is) or
 * completes the future exceptionally. It never unwinds into native code.
 *
 * <h2>Memory</h2>
 * The {@link MemorySegment}s given to {@link #onHiddenStates} and {@link #onLogits} are read-only
 * views of the runtime's buffers, valid only during the call (the runtime frees or reuses them after
 * the callback returns: vendor header and demo). They belong to an arena that is closed when the call
 * returns, so a later access, from any thread, throws {@link IllegalStateException} instead of reading
 * freed memory; copy what you need ({@link GenerationResult} holds copies as {@link FloatMatrix}).
 */
public interface GenerationListener extends TokenListener {

    /** A listener that ignores everything. */
    GenerationListener NONE = new GenerationListener() {};

    /** A listener that hands each piece of decoded text to {@code text} (and ignores the rest). */
    static GenerationListener onText(Consumer<String> text) {
        return new GenerationListener() {
            @Override
            public void onToken(String t, int tokenId) {
                if (!t.isEmpty()) {
                    text.accept(t);
                }
            }
        };
    }

    /**
     * Hidden states of the last layer ({@link InferMode#LAST_HIDDEN_LAYER}).
     *
     * @param states    {@code numTokens * embdSize} floats (native order), read-only, valid only during
     *                  this call
     * @param numTokens rows: the prompt's tokens
     * @param embdSize  the model's hidden size
     */
    default void onHiddenStates(MemorySegment states, int numTokens, int embdSize) {}

    /**
     * Logits ({@link InferMode#LOGITS}).
     *
     * @param logits    {@code numTokens * vocabSize} floats, read-only, valid only during this call
     * @param numTokens rows: the prompt's tokens in the first call, then 1 per generated token
     * @param vocabSize the model's vocabulary size
     */
    default void onLogits(MemorySegment logits, int numTokens, int vocabSize) {}

}
