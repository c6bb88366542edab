package org.npu4j.metrics;

/**
 * The stages of an inference call whose latency npu4j records, all in nanoseconds.
 *
 * <p>LLM stages follow the usual definitions: TTFT is from the call until the first generated
 * token reaches the listener (prefill plus one decode step, including every host-side cost);
 * inter-token latency is the time between two consecutive tokens during decode (the decode time
 * per token).
 *
 * <p>Immutable (an enum): safe from any thread.
 */
public enum Stage {
    /** Time to first token: from the start of a generation to the first token delivered. */
    TTFT,
    /** Prefill of the prompt as reported by the runtime ({@code RKLLMPerfStat.prefill_time_ms}). */
    PREFILL,
    /** Time between two consecutive decoded tokens (inter-token latency). */
    INTER_TOKEN,
    /** A whole generation, from the call until FINISH. */
    GENERATION,
    /** Copy of the inputs from host to device memory (AXCL: over PCIe). */
    HOST_TO_DEVICE,
    /** Execution of the model on the NPU (AXCL {@code axclrtEngineExecute}, RKNN {@code rknn_run}). */
    EXECUTE,
    /** Copy of the outputs from device to host memory. */
    DEVICE_TO_HOST,
    /**
     * RKNN: handing the inputs to the runtime ({@code rknn_inputs_set}, which converts and copies them;
     * for a zero-copy binding the cache flush of its input memory, {@code rknn_mem_sync}, if any).
     */
    INPUT_SET,
    /**
     * RKNN: fetching the outputs ({@code rknn_outputs_get}, the copy out and {@code rknn_outputs_release};
     * for a zero-copy binding the cache invalidation of its output memory, if any).
     */
    OUTPUT_GET,
    /** Host-side preparation of the inputs (e.g. letterbox of an image). */
    PREPROCESS,
    /** Host-side decoding of the outputs (e.g. box decoding and NMS). */
    POSTPROCESS;

    /** Lower-case name used in logs, CSV headers and interval-log tags, e.g. {@code host_to_device}. */
    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
