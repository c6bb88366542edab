package org.npu4j.axcl.llm;

import java.util.Arrays;
import org.npu4j.llm.GenerationTimings;

/** {@link GenerationTimings} of one answer from the times its tokens were emitted. Stateless; thread-safe. */
final class TokenTimes {
    private TokenTimes() {}

    /**
     * @param t0    when the request started, {@link System#nanoTime()}
     * @param end   when it ended, the same clock
     * @param times when each of the {@code n} tokens was emitted, the same clock
     */
    static GenerationTimings timings(long t0, long end, long[] times, int n) {
        if (n == 0) {
            return new GenerationTimings(-1, end - t0, 0, 0, 0, 0, 0);
        }
        long[] gaps = new long[Math.max(0, n - 1)];
        for (int i = 1; i < n; i++) {
            gaps[i - 1] = times[i] - times[i - 1];
        }
        Arrays.sort(gaps);
        double tps = n > 1 ? (n - 1) * 1e9 / (times[n - 1] - times[0]) : 0;
        long p50 = gaps.length == 0 ? 0 : gaps[gaps.length / 2];
        long p99 = gaps.length == 0 ? 0 : gaps[Math.min(gaps.length - 1, (int) Math.ceil(gaps.length * 0.99) - 1)];
        long max = gaps.length == 0 ? 0 : gaps[gaps.length - 1];
        return new GenerationTimings(times[0] - t0, end - t0, n, tps, p50, p99, max);
    }
}
