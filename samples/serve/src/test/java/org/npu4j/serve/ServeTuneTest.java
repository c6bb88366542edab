package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code npu4j serve --tune}: the host is read before any model loads; bad combinations are refused. */
class ServeTuneTest {

    private static String run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ServeCommand());
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("error: " + e.getMessage());
            return 1;
        });
        int rc = cl.execute(args);
        return rc + " " + err;
    }

    @Test
    void tuneReadsTheHostBeforeLoadingAndFailsOnAHostItCannotRead(@TempDir Path empty) {
        // An empty host tree: the tuning plan needs /sys/devices/system/cpu, so no model is loaded, nothing changed.
        String r = run("--emulator", "--tune", "--host-root", empty.toString(), "--port", "0");
        assertTrue(r.startsWith("1 "), r);
        assertTrue(r.contains("/sys/devices/system/cpu"), r);
    }

    @Test
    void aHostRootWithoutTuneIsRefused(@TempDir Path dir) {
        String r = run("--emulator", "--host-root", dir.toString(), "--port", "0");
        assertTrue(r.startsWith("1 "), r);
        assertTrue(r.contains("give --tune too"), r);
        assertEquals(-1, r.indexOf("listening"), r);
    }
}
