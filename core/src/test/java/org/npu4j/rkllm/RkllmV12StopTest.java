package org.npu4j.rkllm;

/** {@link RkllmStopTest} on the emulated RKLLM 1.2.3 runtime (its own JVM). */
class RkllmV12StopTest extends RkllmStopTest {
    @Override
    RkllmAbi abi() {
        return RkllmAbi.V1_2;
    }
}
