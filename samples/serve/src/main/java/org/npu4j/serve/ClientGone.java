package org.npu4j.serve;

import java.io.IOException;

/**
 * Thrown from a token listener when writing to the client failed (it disconnected or cancelled): the
 * backend stops the run at once and the exception completes the generation's future.
 */
final class ClientGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClientGone(IOException cause) {
        super("client went away: " + cause.getMessage(), cause);
    }
}
