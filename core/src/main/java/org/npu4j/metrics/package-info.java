/**
 * Latency measurement shared by every npu4j API: HdrHistogram recorders per model and
 * {@link org.npu4j.metrics.Stage}, all values in nanoseconds; JFR events mirroring them
 * ({@code org.npu4j.Generation}, {@code org.npu4j.EngineCall}); exports as a percentile table, CSV
 * and HdrHistogram's interval log format.
 */
@NullMarked
package org.npu4j.metrics;

import org.jspecify.annotations.NullMarked;
