package org.npu4j.llm;

/**
 * What npu4j measured of one run on the host, in nanoseconds ({@link System#nanoTime()}), from the
 * moment the run was handed to the runtime (after waiting for the model) to each callback. These are
 * the numbers an application sees, runtime overheads and callback costs included; the runtime's own
 * account is {@link PerfStats}.
 *
 * @param ttftNanos             time to first token: to the first callback that carried a token, or to
 *                              the hidden-state/logits callback; -1 if there was none
 * @param durationNanos         the whole run, to the FINISH or ERROR callback (or the return of the
 *                              runtime call)
 * @param tokens                callbacks that carried a token (of any batch entry)
 * @param decodeTokensPerSecond {@code (tokens - 1)} over the time from the first to the last token;
 *                              0 with fewer than two tokens
 * @param interTokenP50Nanos    median time between consecutive tokens; 0 with fewer than two tokens
 * @param interTokenP99Nanos    99th percentile of it
 * @param interTokenMaxNanos    the longest gap between two tokens
 */
public record GenerationTimings(long ttftNanos, long durationNanos, int tokens, double decodeTokensPerSecond,
        long interTokenP50Nanos, long interTokenP99Nanos, long interTokenMaxNanos) {}
