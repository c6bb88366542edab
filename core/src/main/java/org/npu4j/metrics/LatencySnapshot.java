package org.npu4j.metrics;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Histograms of a {@link LatencyRecorder} at one moment: the interval since the previous snapshot
 * and the running total, per {@link Stage}, in nanoseconds.
 *
 * <p>Thread safety: immutable once built, and so safe to share between threads, as long as nobody
 * modifies the histograms it returns (they are the snapshot's own copies, not views of the
 * recorder). The interval histograms carry their interval's start and end time
 * ({@link Histogram#getStartTimeStamp()}, {@link Histogram#getEndTimeStamp()}, ms since the epoch).
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
        return percentileTable(TimeUnit.MILLISECONDS);
    }

    /**
     * {@link #percentileTable()} in another unit: {@link TimeUnit#MICROSECONDS} suits per-call
     * overheads that round to 0.000 ms. Values have three decimals in that unit.
     *
     * @param unit milliseconds, microseconds or nanoseconds (any {@link TimeUnit} is accepted)
     */
    public String percentileTable(TimeUnit unit) {
        double div = unit.toNanos(1);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-16s %8s %10s %10s %10s %10s %10s %10s%n",
                "stage (" + symbol(unit) + ")", "count", "mean", "p50", "p90", "p99", "p99.9", "max"));
        for (Stage s : Stage.values()) {
            Histogram h = cumulative.get(s);
            if (h.getTotalCount() == 0) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%-16s %8d %10.3f", s.tag(), h.getTotalCount(), h.getMean() / div));
            for (double p : PERCENTILES) {
                sb.append(String.format(Locale.ROOT, " %10.3f", h.getValueAtPercentile(p) / div));
            }
            sb.append(String.format(Locale.ROOT, " %10.3f%n", h.getMaxValue() / div));
        }
        return sb.toString();
    }

    private static String symbol(TimeUnit unit) {
        return switch (unit) {
            case NANOSECONDS -> "ns";
            case MICROSECONDS -> "us";
            case MILLISECONDS -> "ms";
            case SECONDS -> "s";
            case MINUTES -> "min";
            case HOURS -> "h";
            case DAYS -> "d";
        };
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
     * {@code HistogramLogReader} and its plotting tools (HistogramLogProcessor). Each entry carries
     * its interval's own start and end time.
     *
     * @param writer a log writer whose header the caller has written (or not)
     */
    public void writeInterval(HistogramLogWriter writer) {
        writeInterval(writer, "");
    }

    /**
     * As {@link #writeInterval(HistogramLogWriter)}, with tags {@code tagPrefix + stage}, so that one
     * log can hold several recorders (e.g. {@code qwen3-0.6b.tuned.ttft}). Interval log tags may not
     * hold whitespace or commas: those characters of the prefix are replaced by {@code _}.
     *
     * @param writer    a log writer whose header the caller has written (or not)
     * @param tagPrefix prepended to each stage's tag; empty for the bare stage tag
     */
    public void writeInterval(HistogramLogWriter writer, String tagPrefix) {
        String prefix = tagPrefix.replaceAll("[\\s,]", "_");
        for (Stage s : Stage.values()) {
            Histogram h = interval.get(s);
            if (h.getTotalCount() == 0) {
                continue;
            }
            Histogram tagged = h.copy();
            tagged.setTag(prefix + s.tag());
            if (tagged.getStartTimeStamp() <= 0 || tagged.getStartTimeStamp() == Long.MAX_VALUE) {
                tagged.setStartTimeStamp(startEpochMillis);
            }
            if (tagged.getEndTimeStamp() <= 0) {
                tagged.setEndTimeStamp(takenEpochMillis);
            }
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
