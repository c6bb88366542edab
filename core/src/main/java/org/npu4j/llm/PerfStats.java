package org.npu4j.llm;

/**
 * The runtime's own account of a run (RKLLM: {@code RKLLMPerfStat}, delivered with {@code RKLLM_RUN_FINISH};
 * AXCL LLM: npu4j's runner timing its prefill and decode loops):
 * prefill and generate (decode) stage times as the runtime measured them, without the host-side
 * costs npu4j measures in {@link GenerationTimings}.
 *
 * @param prefillTimeMs  time of the prefill stage, milliseconds
 * @param prefillTokens  prompt tokens processed in prefill (tokens served by a prompt cache are not
 *                       counted)
 * @param generateTimeMs time of the generate (decode) stage, milliseconds
 * @param generateTokens tokens generated
 * @param memoryUsageMb  resident memory high-water mark of the process during inference (VmHWM),
 *                       megabytes; on npu4j's emulators the device profile's value
 * @param engineCalls    the runtime calls of the run's prefill and decode steps, where the backend
 *                       drives the model step by step (AXCL); {@link EngineCalls#UNKNOWN} otherwise
 */
public record PerfStats(float prefillTimeMs, int prefillTokens, float generateTimeMs, int generateTokens,
        float memoryUsageMb, EngineCalls engineCalls) {

    /** No FINISH callback was seen (the run failed before the runtime reported). */
    public static final PerfStats NONE = new PerfStats(0, 0, 0, 0, 0);

    public PerfStats {
        java.util.Objects.requireNonNull(engineCalls, "engineCalls");
    }

    /** Stats of a backend that does not count its runtime's calls ({@link EngineCalls#UNKNOWN}). */
    public PerfStats(float prefillTimeMs, int prefillTokens, float generateTimeMs, int generateTokens,
            float memoryUsageMb) {
        this(prefillTimeMs, prefillTokens, generateTimeMs, generateTokens, memoryUsageMb, EngineCalls.UNKNOWN);
    }

    /** Prefill throughput, tokens per second (0 when the runtime reported no prefill time). */
    public double prefillTokensPerSecond() {
        return prefillTimeMs > 0 ? prefillTokens * 1000.0 / prefillTimeMs : 0;
    }

    /** Decode throughput as the runtime measured it, tokens per second (0 without decode time). */
    public double decodeTokensPerSecond() {
        return generateTimeMs > 0 ? generateTokens * 1000.0 / generateTimeMs : 0;
    }
}
