package org.npu4j.rkllm;

/** {@link RkllmStopTest} on the emulated RKLLM 1.3.0 runtime (its own JVM). */
class RkllmV13StopTest extends RkllmStopTest {
    @Override
    RkllmAbi abi() {
        return RkllmAbi.V1_3;
    }
}
