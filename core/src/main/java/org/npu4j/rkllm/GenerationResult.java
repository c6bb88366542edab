package org.npu4j.rkllm;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;

/**
 * The outcome of one run (one batch entry of it).
 *
 * @param outcome      finished, or aborted
 * @param text         every decoded piece of text concatenated (the answer)
 * @param tokenIds     the generated token ids, in order; owned by this record
 * @param hiddenStates the last hidden layer of the prompt ({@link InferMode#LAST_HIDDEN_LAYER}), or null
 * @param logits       the prompt's logits, the first logits delivered ({@link InferMode#LOGITS}), or
 *                     null; logits of generated tokens reach only the listener
 * @param perf         the runtime's own account of the run ({@link PerfStats#NONE} if it gave none)
 * @param timings      what npu4j measured on the host
 */
public record GenerationResult(Outcome outcome, String text, int[] tokenIds, @Nullable FloatMatrix hiddenStates,
        @Nullable FloatMatrix logits, PerfStats perf, GenerationTimings timings) {

    public GenerationResult {
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(text);
        Objects.requireNonNull(tokenIds);
        Objects.requireNonNull(perf);
        Objects.requireNonNull(timings);
    }

    /** Number of generated tokens. */
    public int tokenCount() {
        return tokenIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && outcome == r.outcome && text.equals(r.text)
                && Arrays.equals(tokenIds, r.tokenIds) && Objects.equals(hiddenStates, r.hiddenStates)
                && Objects.equals(logits, r.logits) && perf.equals(r.perf) && timings.equals(r.timings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(outcome, text, perf, timings) * 31 + Arrays.hashCode(tokenIds);
    }

    @Override
    public String toString() {
        return "GenerationResult[" + outcome + ", " + tokenIds.length + " tokens, text=" + abbreviate(text) + ", "
                + perf + ", " + timings + "]";
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? '"' + s + '"' : '"' + s.substring(0, 57) + "...\"";
    }
}
