package org.npu4j.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.npu4j.llm.Completion;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;

/**
 * The lines that report results. On the emulated runtime every one of them ends with
 * {@value #EMULATOR}: its numbers come from a device profile, not from an NPU.
 */
final class Stats {
    static final String EMULATOR = "(emulator)";

    private Stats() {}

    /**
     * The line after an answer: TTFT and inter-token latency as measured by npu4j on the host, prefill
     * throughput as the runtime reports it, decode throughput as measured on the host.
     */
    static String line(Completion r, boolean emulator) {
        GenerationTimings t = r.timings();
        PerfStats p = r.perf();
        StringBuilder sb = new StringBuilder();
        if (r.outcome() == Outcome.ABORTED) {
            sb.append("stopped after ").append(r.tokenCount()).append(" tokens | ");
        }
        sb.append("TTFT ").append(t.ttftNanos() >= 0 ? ms(t.ttftNanos()) : "-");
        sb.append(" | prefill ").append(p.prefillTokens() > 0 ? tps(p.prefillTokensPerSecond()) : "-");
        sb.append(" | decode ").append(t.tokens() >= 2 ? tps(t.decodeTokensPerSecond()) : "-");
        sb.append(" | inter-token p50 ").append(t.tokens() >= 2 ? ms(t.interTokenP50Nanos()) : "-")
                .append(", p99 ").append(t.tokens() >= 2 ? ms(t.interTokenP99Nanos()) : "-");
        return tag(sb.toString(), emulator);
    }

    /** {@code /stats}: the model and totals since it was loaded. */
    static List<String> summary(LanguageModel m, int turns, long tokens) {
        ModelInfo info = m.info();
        boolean emu = info.emulator();
        LatencySnapshot s = m.latency().snapshot();
        List<String> lines = new ArrayList<>();
        lines.add(header(m));
        lines.add(tag(String.format(Locale.ROOT, "%d answers, %d tokens generated, context %d tokens", turns, tokens,
                info.contextLength()), emu));
        if (s.count(Stage.TTFT) > 0) {
            lines.add(tag("TTFT p50 " + ms(s.percentileNanos(Stage.TTFT, 50)) + ", p99 "
                    + ms(s.percentileNanos(Stage.TTFT, 99)) + ", max " + ms(s.histogram(Stage.TTFT).getMaxValue()), emu));
        }
        if (s.count(Stage.PREFILL) > 0) {
            lines.add(tag("prefill (runtime) p50 " + ms(s.percentileNanos(Stage.PREFILL, 50)) + ", p99 "
                    + ms(s.percentileNanos(Stage.PREFILL, 99)), emu));
        }
        if (s.count(Stage.INTER_TOKEN) > 0) {
            long p50 = s.percentileNanos(Stage.INTER_TOKEN, 50);
            lines.add(tag("inter-token p50 " + ms(p50) + ", p99 " + ms(s.percentileNanos(Stage.INTER_TOKEN, 99))
                    + ", max " + ms(s.histogram(Stage.INTER_TOKEN).getMaxValue())
                    + (p50 > 0 ? " (" + tps(1e9 / p50) + " at the median)" : ""), emu));
        }
        return lines;
    }

    /** Which model on which runtime and devices or CPUs. */
    static String header(LanguageModel m) {
        ModelInfo info = m.info();
        return info.name() + " on " + info.description()
                + (info.emulator() ? " " + EMULATOR + ": timings from a device profile, no NPU" : "")
                + ", context " + info.contextLength() + " tokens";
    }

    static String tag(String line, boolean emulator) {
        return emulator ? line + " " + EMULATOR : line;
    }

    static String ms(long nanos) {
        double ms = nanos / 1e6;
        return String.format(Locale.ROOT, ms >= 100 ? "%.0f ms" : ms >= 10 ? "%.1f ms" : "%.2f ms", ms);
    }

    static String tps(double perSecond) {
        return String.format(Locale.ROOT, perSecond >= 100 ? "%.0f tok/s" : "%.1f tok/s", perSecond);
    }
}
