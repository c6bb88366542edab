package org.npu4j.rkllm;

/** {@link RkllmEmulatorTest} on the emulated RKLLM 1.2.3 runtime (its own JVM). */
class RkllmV12EmulatorTest extends RkllmEmulatorTest {
    @Override
    RkllmAbi abi() {
        return RkllmAbi.V1_2;
    }
}
