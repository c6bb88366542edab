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
 * JFR event for one LLM generation (an RKLLM run), committed when it finishes. Its own duration is
 * the whole generation; the fields give the stages. Enable with {@code -XX:StartFlightRecording}
 * and look at it in JDK Mission Control under "npu4j".
 *
 * <p>Not thread-safe (as every JFR event): one instance per generation, filled by the thread that
 * commits it.
 */
@Name("org.npu4j.Generation")
@Label("LLM Generation")
@Category({"npu4j", "RKLLM"})
@Description("One generation of an LLM runtime: prefill and decode")
@StackTrace(false)
public final class GenerationEvent extends Event {
    /** An event to fill and {@link #commit()}; {@link #begin()} starts its clock. */
    public GenerationEvent() {}

    @Label("Model")
    public String model;

    @Label("Prompt tokens")
    public int promptTokens;

    @Label("Generated tokens")
    public int generatedTokens;

    @Label("TTFT")
    @Timespan(Timespan.NANOSECONDS)
    public long ttft;

    @Label("Prefill time")
    @Timespan(Timespan.NANOSECONDS)
    public long prefill;

    @Label("Decode time")
    @Timespan(Timespan.NANOSECONDS)
    public long decode;

    @Label("Decode tokens/s")
    public double decodeTokensPerSecond;

    @Label("Peak memory (runtime report)")
    @DataAmount(DataAmount.BYTES)
    public long memoryBytes;

    @Label("Outcome")
    @Description("finished, aborted or failed")
    public String outcome;
}
