package org.npu4j.rkllm;

/** {@link RkllmEmulatorTest} on the emulated RKLLM 1.3.0 runtime (its own JVM). */
class RkllmV13EmulatorTest extends RkllmEmulatorTest {
    @Override
    RkllmAbi abi() {
        return RkllmAbi.V1_3;
    }
}
