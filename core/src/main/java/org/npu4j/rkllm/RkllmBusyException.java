package org.npu4j.rkllm;

import java.time.Duration;
import org.npu4j.NpuException;

/**
 * A call waited longer than {@link RkllmModelBuilder#runWaitTimeout(Duration)} for the generation
 * running on the same model to end (one run per model handle at a time).
 */
public class RkllmBusyException extends NpuException {
    private static final long serialVersionUID = 1L;

    RkllmBusyException(String model, Duration waited) {
        super("The model " + model + " is busy: another generation is still running after waiting " + waited
                + " (one run per model at a time; raise RkllmModelBuilder.runWaitTimeout or wait)");
    }
}
