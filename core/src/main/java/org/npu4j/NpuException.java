package org.npu4j;

/**
 * Base of the exceptions npu4j throws when a vendor runtime (or its emulator) reports an error,
 * or when a library or model cannot be used. Unchecked: the errors are not recoverable by the
 * code that calls the runtime, only by the application that chose the model, library or board.
 */
public class NpuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NpuException(String message) {
        super(message);
    }

    public NpuException(String message, Throwable cause) {
        super(message, cause);
    }
}
