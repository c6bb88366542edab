package org.npu4j.llm;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The result of one generation on any backend, with the answer taken apart.
 *
 * @param outcome            finished, or aborted
 * @param finishReason       why it ended
 * @param text               everything the model generated, as decoded
 * @param thinking           the content of its {@code <think>...</think>} block, trimmed; empty when it
 *                           did not think
 * @param answer             the text without the thinking block and the tool-call blocks, trimmed
 * @param toolCalls          the function calls it made ({@link ToolCall#parse})
 * @param malformedToolCalls contents of tool-call blocks that could not be parsed
 * @param tokenIds           the generated token ids, in order; owned by this record
 * @param promptTokens       tokens the backend prefilled for this request (the new tail only when the
 *                           KV cache was reused)
 * @param cachedPromptTokens prompt tokens that were already in the KV cache and not prefilled again (0 when
 *                           it was not reused); {@code promptTokens + cachedPromptTokens} is the whole prompt
 *                           (OpenAI's {@code prompt_tokens}, of which this is {@code cached_tokens})
 * @param perf               the backend's own account of the run
 * @param timings            what npu4j measured on the host
 */
public record Completion(Outcome outcome, FinishReason finishReason, String text, String thinking, String answer,
        List<ToolCall> toolCalls, List<String> malformedToolCalls, int[] tokenIds, int promptTokens,
        int cachedPromptTokens, PerfStats perf, GenerationTimings timings) {
    private static final Pattern THINK = Pattern.compile("<think>(.*?)(</think>|$)", Pattern.DOTALL);

    public Completion {
        Objects.requireNonNull(outcome);
        Objects.requireNonNull(finishReason);
        Objects.requireNonNull(text);
        Objects.requireNonNull(thinking);
        Objects.requireNonNull(answer);
        toolCalls = List.copyOf(toolCalls);
        malformedToolCalls = List.copyOf(malformedToolCalls);
        Objects.requireNonNull(tokenIds);
        Objects.requireNonNull(perf);
        Objects.requireNonNull(timings);
    }

    /**
     * Takes {@code text} apart: the thinking block (also one opened by the prompt, i.e. text up to a
     * first {@code </think>}), the tool calls and the answer.
     *
     * @param lengthLimited true if the run stopped at its token limit (then {@link FinishReason#LENGTH},
     *                      unless aborted)
     */
    public static Completion of(Outcome outcome, boolean lengthLimited, String text, int[] tokenIds,
            int promptTokens, PerfStats perf, GenerationTimings timings) {
        return of(outcome, lengthLimited, text, tokenIds, promptTokens, 0, perf, timings);
    }

    /**
     * As {@link #of(Outcome, boolean, String, int[], int, PerfStats, GenerationTimings)}, for a run whose
     * prompt began with {@code cachedPromptTokens} tokens already in the KV cache.
     */
    public static Completion of(Outcome outcome, boolean lengthLimited, String text, int[] tokenIds,
            int promptTokens, int cachedPromptTokens, PerfStats perf, GenerationTimings timings) {
        String thinking = "";
        String rest = text;
        Matcher m = THINK.matcher(text);
        if (m.find()) {
            thinking = m.group(1).strip();
            rest = text.substring(0, m.start()) + text.substring(m.end());
        } else {
            int end = text.indexOf("</think>");
            if (end >= 0) {
                thinking = text.substring(0, end).strip();
                rest = text.substring(end + "</think>".length());
            }
        }
        List<ToolCall> calls = ToolCall.parse(rest);
        FinishReason reason = outcome == Outcome.ABORTED ? FinishReason.ABORTED
                : !calls.isEmpty() ? FinishReason.TOOL_CALLS
                : lengthLimited ? FinishReason.LENGTH : FinishReason.STOP;
        return new Completion(outcome, reason, text, thinking, ToolCall.stripCalls(rest), calls,
                ToolCall.malformed(rest), tokenIds, promptTokens, cachedPromptTokens, perf, timings);
    }

    /** Number of generated tokens. */
    public int tokenCount() {
        return tokenIds.length;
    }

    /** True if the model asked for at least one function call. */
    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Completion c && outcome == c.outcome && finishReason == c.finishReason
                && text.equals(c.text) && Arrays.equals(tokenIds, c.tokenIds) && promptTokens == c.promptTokens
                && cachedPromptTokens == c.cachedPromptTokens
                && perf.equals(c.perf) && timings.equals(c.timings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(outcome, finishReason, text, promptTokens, cachedPromptTokens, perf, timings) * 31 + Arrays.hashCode(tokenIds);
    }

    @Override
    public String toString() {
        return "Completion[" + outcome + "/" + finishReason + ", " + tokenIds.length + " tokens, " + toolCalls.size()
                + " tool calls, answer=" + (answer.length() <= 60 ? answer : answer.substring(0, 57) + "...") + "]";
    }
}
