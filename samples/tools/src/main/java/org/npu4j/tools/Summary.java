package org.npu4j.tools;

import java.util.DoubleSummaryStatistics;
import org.HdrHistogram.DoubleHistogram;
import org.HdrHistogram.Histogram;

/**
 * Statistics of one measured quantity over the runs (or calls) of a benchmark: count, mean, min, max
 * and percentiles. From a list of values, count, mean, min and max are exact and the percentiles come
 * from an HdrHistogram with three significant digits; from a histogram, everything does. Immutable.
 *
 * @param n    number of values
 * @param mean arithmetic mean
 * @param min  smallest value
 * @param max  largest value
 * @param p50  median
 * @param p90  90th percentile
 * @param p99  99th percentile
 * @param p999 99.9th percentile
 */
record Summary(long n, double mean, double min, double max, double p50, double p90, double p99, double p999) {

    static final Summary EMPTY = new Summary(0, 0, 0, 0, 0, 0, 0, 0);

    /** Statistics of {@code values}; negative values (nothing measured) are left out. */
    static Summary of(double... values) {
        DoubleSummaryStatistics stats = new DoubleSummaryStatistics();
        DoubleHistogram h = new DoubleHistogram(3);
        for (double v : values) {
            if (v >= 0 && Double.isFinite(v)) {
                stats.accept(v);
                h.recordValue(v);
            }
        }
        if (stats.getCount() == 0) {
            return EMPTY;
        }
        return new Summary(stats.getCount(), stats.getAverage(), stats.getMin(), stats.getMax(),
                h.getValueAtPercentile(50), h.getValueAtPercentile(90), h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9));
    }

    /** Statistics of a histogram of nanoseconds, in units of {@code unitNanos} (1e6: milliseconds). */
    static Summary of(Histogram nanos, double unitNanos) {
        if (nanos.getTotalCount() == 0) {
            return EMPTY;
        }
        return new Summary(nanos.getTotalCount(), nanos.getMean() / unitNanos, nanos.getMinValue() / unitNanos,
                nanos.getMaxValue() / unitNanos, nanos.getValueAtPercentile(50) / unitNanos,
                nanos.getValueAtPercentile(90) / unitNanos, nanos.getValueAtPercentile(99) / unitNanos,
                nanos.getValueAtPercentile(99.9) / unitNanos);
    }
}
