package org.npu4j.rkllm;

import org.jspecify.annotations.Nullable;

/**
 * Every field of {@code RKLLMParam} and {@code RKLLMExtendParam} of both ABIs, as Java values: what
 * {@code rkllm_createDefaultParam} returns, then what {@link RkllmModelBuilder} sets. Fields of one
 * ABI only are null on the other. Mutable; confined to the thread that builds a model.
 */
final class ParamValues {
    @Nullable String modelPath;
    int maxContextLen;
    int maxNewTokens;
    int nKeep;
    SamplingParams sampling;
    boolean skipSpecialToken;
    /** ABI 1.3 only. */
    @Nullable Boolean ignoreEosToken;
    boolean isAsync;
    /** ABI 1.2 only (1.3 moved the image tags into each multimodal input). */
    @Nullable String imgStart;
    @Nullable String imgEnd;
    @Nullable String imgContent;
    int baseDomainId;
    boolean embedFlash;
    int enabledCpusNum;
    /** Unsigned 32-bit mask, bit N = CPU N. */
    int enabledCpusMask;
    /** Unsigned 8-bit. */
    int nBatch;
    boolean useCrossAttn;

    ParamValues(SamplingParams sampling) {
        this.sampling = sampling;
    }

    @Override
    public String toString() {
        return "maxContextLen=" + maxContextLen + ", maxNewTokens=" + maxNewTokens + ", nKeep=" + nKeep + ", "
                + sampling + ", skipSpecialToken=" + skipSpecialToken
                + (ignoreEosToken != null ? ", ignoreEosToken=" + ignoreEosToken : "") + ", isAsync=" + isAsync
                + ", baseDomainId=" + baseDomainId + ", embedFlash=" + embedFlash + ", enabledCpusNum="
                + enabledCpusNum + ", enabledCpusMask=0x" + Integer.toHexString(enabledCpusMask) + ", nBatch=" + nBatch
                + ", useCrossAttn=" + useCrossAttn;
    }
}
