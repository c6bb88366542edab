package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

/** The shutdown hook restores a session that was never closed, in a JVM of its own. */
class ExitRestoreTest {
    @TempDir
    Path dir;

    /** Applies the tuning on the tree at args[0], prints the changes, exits without closing. */
    public static void main(String[] args) {
        TuningSession s = HostTuning.on(HostFiles.at(Path.of(args[0]))).withNpuMaxFrequency(true).withCpuIdleOff(true)
                .apply();
        System.out.println("applied " + s.changes().size());
        System.exit(args.length > 1 ? Integer.parseInt(args[1]) : 0);
    }

    @Test
    void aJvmThatExitsWithoutClosingRestoresEveryFile() throws Exception {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ExitRestoreTest.class.getName(), dir.toString(), "3"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains("applied 20"), out);
        assertTrue(out.contains("Tuning restored: " + HostTuningTest.IRQ + " 0"), out);
        assertEquals(before, t.snapshot());
    }
}
