package org.npu4j.metrics;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event for one RKNN inference ({@code rknn_run} with its input and output stages). Its own
 * duration is the whole call; the fields give the stages ({@link Stage#INPUT_SET},
 * {@link Stage#EXECUTE}, {@link Stage#OUTPUT_GET}).
 *
 * <p>Not thread-safe (as every JFR event): one instance per call, filled by the calling thread.
 */
@Name("org.npu4j.RknnRun")
@Label("RKNN Run")
@Category({"npu4j", "RKNN"})
@Description("One model run on the Rockchip NPU, with its input and output stages")
@StackTrace(false)
public final class RknnRunEvent extends Event {
    /** An event to fill and {@link #commit()}; {@link #begin()} starts its clock. */
    public RknnRunEvent() {}

    @Label("Model")
    public String model;

    @Label("Zero-copy")
    @Description("True for a bound (rknn_set_io_mem) call, false for rknn_inputs_set/rknn_outputs_get")
    public boolean zeroCopy;

    @Label("Core mask")
    public int coreMask;

    @Label("Input set")
    @Timespan(Timespan.NANOSECONDS)
    public long inputSet;

    @Label("Run")
    @Timespan(Timespan.NANOSECONDS)
    public long run;

    @Label("Output get")
    @Timespan(Timespan.NANOSECONDS)
    public long outputGet;
}
