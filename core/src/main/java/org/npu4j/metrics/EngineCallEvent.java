package org.npu4j.metrics;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event for one engine call (an AXCL model execution with its transfers). Its own duration is
 * the whole call; the fields give the stages.
 *
 * <p>Not thread-safe (as every JFR event): one instance per call, filled by the calling thread.
 */
@Name("org.npu4j.EngineCall")
@Label("Engine Call")
@Category({"npu4j", "AXCL"})
@Description("One model execution on the accelerator, with its host/device copies")
@StackTrace(false)
public final class EngineCallEvent extends Event {
    /** An event to fill and {@link #commit()}; {@link #begin()} starts its clock. */
    public EngineCallEvent() {}

    @Label("Model")
    public String model;

    @Label("Host to device")
    @Timespan(Timespan.NANOSECONDS)
    public long hostToDevice;

    @Label("Execute")
    @Timespan(Timespan.NANOSECONDS)
    public long execute;

    @Label("Device to host")
    @Timespan(Timespan.NANOSECONDS)
    public long deviceToHost;

    @Label("Bytes to device")
    @DataAmount(DataAmount.BYTES)
    public long bytesIn;

    @Label("Bytes from device")
    @DataAmount(DataAmount.BYTES)
    public long bytesOut;
}
