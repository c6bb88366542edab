package org.npu4j.chat;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Supplier;
import org.npu4j.llm.LanguageModel;

/** Loads the model with a spinner, keeping the runtime's load log quiet unless asked for. */
final class Loader {
    private Loader() {}

    static LanguageModel load(Supplier<LanguageModel> opener, String what, boolean verbose, PrintWriter err) {
        NativeStderr capture = verbose ? null : NativeStderr.capture();
        PrintStream spinnerOut = null;
        if (capture != null) {
            spinnerOut = capture.terminal();
        } else if (!verbose && NativeStderr.isTerminal(2)) {
            spinnerOut = System.err;
        }
        Spinner spinner = Spinner.start(spinnerOut, "Loading " + what);
        try {
            return opener.get();
        } finally {
            spinner.stop();
            if (capture != null) {
                List<String> lines = capture.restore();
                for (String line : lines) {
                    if (isWarningOrError(line)) {
                        err.println(line);
                    }
                }
                err.flush();
            }
        }
    }

    /** Closes the model, keeping the runtime's destroy log quiet unless asked for (warnings still show). */
    static void close(LanguageModel model, boolean verbose, PrintWriter err) {
        NativeStderr capture = verbose ? null : NativeStderr.capture();
        try {
            model.close();
        } finally {
            if (capture != null) {
                for (String line : capture.restore()) {
                    if (isWarningOrError(line)) {
                        err.println(line);
                    }
                }
                err.flush();
            }
        }
    }

    /** The vendor log style ({@code E rkllm: ...}, {@code W rkllm: ...}) and slf4j-simple's levels. */
    static boolean isWarningOrError(String line) {
        return line.startsWith("E ") || line.startsWith("W ") || line.contains(" WARN ") || line.contains(" ERROR ")
                || line.startsWith("WARN") || line.startsWith("ERROR");
    }
}
