package org.npu4j.metrics;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Histograms of a {@link LatencyRecorder} at one moment: the interval since the previous snapshot
 * and the running total, per {@link Stage}, in nanoseconds. Immutable once built; the histograms
 * it returns must not be modified.
 *
 * @param name          what was measured
 * @param startEpochMillis when the recorder was created (ms since the epoch)
 * @param takenEpochMillis when this snapshot was taken (ms since the epoch)
 * @param interval      values recorded since the previous snapshot
 * @param cumulative    every value recorded since the recorder was created or reset
 */
public record LatencySnapshot(String name, long startEpochMillis, long takenEpochMillis,
        Map<Stage, Histogram> interval, Map<Stage, Histogram> cumulative) {

    /** Percentiles reported by {@link #percentileTable}, in percent. */
    public static final double[] PERCENTILES = {50, 90, 99, 99.9};

    /** The running-total histogram of {@code stage} (nanoseconds). */
    public Histogram histogram(Stage stage) {
        return cumulative.get(stage);
    }

    /** Number of values recorded for {@code stage} in total. */
    public long count(Stage stage) {
        return cumulative.get(stage).getTotalCount();
    }

    /** The value at {@code percentile} (0-100) of the running total of {@code stage}, in nanoseconds. */
    public long percentileNanos(Stage stage, double percentile) {
        return cumulative.get(stage).getValueAtPercentile(percentile);
    }

    /**
     * A table for people: one row per stage that has values, columns count, mean, p50, p90, p99,
     * p99.9 and max, in milliseconds with three decimals.
     */
    public String percentileTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-16s %8s %10s %10s %10s %10s %10s %10s%n", "stage (ms)", "count",
                "mean", "p50", "p90", "p99", "p99.9", "max"));
        for (Stage s : Stage.values()) {
            Histogram h = cumulative.get(s);
            if (h.getTotalCount() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-16s %8d %10.3f", s.tag(), h.getTotalCount(), h.getMean() / 1e6));
            for (double p : PERCENTILES) {
                sb.append(String.format(Locale.ROOT, " %10.3f", h.getValueAtPercentile(p) / 1e6));
            }
            sb.append(String.format(Locale.ROOT, " %10.3f%n", h.getMaxValue() / 1e6));
        }
        return sb.toString();
    }

    /**
     * CSV for machines: header {@code name,stage,count,mean_ns,p50_ns,p90_ns,p99_ns,p99_9_ns,max_ns},
     * one row per stage that has values.
     */
    public String csv() {
        StringBuilder sb = new StringBuilder("name,stage,count,mean_ns,p50_ns,p90_ns,p99_ns,p99_9_ns,max_ns\n");
        for (Stage s : Stage.values()) {
            Histogram h = cumulative.get(s);
            if (h.getTotalCount() == 0) {
                continue;
            }
            sb.append(csvField(name)).append(',').append(s.tag()).append(',').append(h.getTotalCount())
                    .append(',').append(Math.round(h.getMean()));
            for (double p : PERCENTILES) {
                sb.append(',').append(h.getValueAtPercentile(p));
            }
            sb.append(',').append(h.getMaxValue()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Writes the interval histograms in HdrHistogram's interval log format, one tagged entry per
     * stage that has values (tag = {@link Stage#tag()}), readable by HdrHistogram's
     * {@code HistogramLogReader} and its plotting tools.
     *
     * @param writer a log writer whose header the caller has written (or not)
     */
    public void writeInterval(HistogramLogWriter writer) {
        for (Stage s : Stage.values()) {
            Histogram h = interval.get(s);
            if (h.getTotalCount() == 0) {
                continue;
            }
            Histogram tagged = h.copy();
            tagged.setTag(s.tag());
            tagged.setStartTimeStamp(startEpochMillis);
            tagged.setEndTimeStamp(takenEpochMillis);
            writer.outputIntervalHistogram(tagged);
        }
    }

    /** Convenience: a complete interval log (header, base time, legend, entries) to {@code out}. */
    public void writeIntervalLog(PrintStream out) {
        HistogramLogWriter writer = new HistogramLogWriter(out);
        writer.outputLogFormatVersion();
        writer.outputStartTime(startEpochMillis);
        writer.setBaseTime(startEpochMillis);
        writer.outputLegend();
        writeInterval(writer);
        out.flush();
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
