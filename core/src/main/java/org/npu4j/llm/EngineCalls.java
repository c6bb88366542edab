package org.npu4j.llm;

/**
 * The calls into the NPU runtime one run made, for backends whose host code drives the model step by
 * step (AXCL: one engine call per decoder layer), counted by npu4j where it issued them, split into the
 * prefill steps and the decode steps. Backends whose runtime runs its own loop (RKLLM) do not know
 * them: {@link #UNKNOWN}.
 *
 * <p>Three kinds, after what they cost on a PCIe card ({@code shared/facts/axllm.md}): executes (one
 * model run each), transfers (every other call that reaches the device: copies host to device, device
 * to host, device to device, memsets) and host-only calls (binding a buffer to a tensor: no device
 * round trip). A decode step is one token fed through the model (its embedding in, its logits out); the
 * last sampled token of a run is not fed, so a run of N tokens has N - 1 decode steps. A prefill step is
 * one chunk of prompt tokens, or one token where the backend prefills token by token.
 *
 * @param prefillSteps      prefill steps of the run, or -1 when the backend does not count calls
 * @param prefillExecutes   executes of the prefill steps together
 * @param prefillTransfers  transfers of the prefill steps together
 * @param prefillHostOnly   host-only calls of the prefill steps together
 * @param decodeSteps       decode steps of the run (-1 when not counted)
 * @param decodeExecutes    executes of the decode steps together
 * @param decodeTransfers   transfers of the decode steps together
 * @param decodeHostOnly    host-only calls of the decode steps together
 */
public record EngineCalls(int prefillSteps, long prefillExecutes, long prefillTransfers, long prefillHostOnly,
        int decodeSteps, long decodeExecutes, long decodeTransfers, long decodeHostOnly) {

    /** The backend does not count its runtime's calls. */
    public static final EngineCalls UNKNOWN = new EngineCalls(-1, 0, 0, 0, -1, 0, 0, 0);

    /** True if the backend counted the calls. */
    public boolean known() {
        return prefillSteps >= 0 && decodeSteps >= 0;
    }

    /** Executes per decode step (per decoded token), or NaN without decode steps. */
    public double executesPerToken() {
        return per(decodeExecutes, decodeSteps);
    }

    /** Transfers per decode step, or NaN without decode steps. */
    public double transfersPerToken() {
        return per(decodeTransfers, decodeSteps);
    }

    /** Host-only calls per decode step, or NaN without decode steps. */
    public double hostOnlyPerToken() {
        return per(decodeHostOnly, decodeSteps);
    }

    /** Executes per prefill step, or NaN without prefill steps. */
    public double executesPerPrefillStep() {
        return per(prefillExecutes, prefillSteps);
    }

    /** Transfers per prefill step, or NaN without prefill steps. */
    public double transfersPerPrefillStep() {
        return per(prefillTransfers, prefillSteps);
    }

    /** Host-only calls per prefill step, or NaN without prefill steps. */
    public double hostOnlyPerPrefillStep() {
        return per(prefillHostOnly, prefillSteps);
    }

    private static double per(long calls, int steps) {
        return steps > 0 ? (double) calls / steps : Double.NaN;
    }
}
