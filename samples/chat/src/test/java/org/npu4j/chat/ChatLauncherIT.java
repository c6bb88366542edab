package org.npu4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged launcher as a script uses it: {@code --prompt}, exit codes, the JDK it picks. */
class ChatLauncherIT {
    @TempDir
    Path home;

    private static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("NPU4J_EMULATOR_SPEED", "0");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void answersAPromptOnTheEmulatorEvenWithAnOldJavaHome() throws Exception {
        String old = Launcher.oldJavaHome();
        Map<String, String> env = old != null ? env("JAVA_HOME", old) : env();
        Launcher.Result r = Launcher.run(env, home, "--emulator", "--max-new-tokens", "24", "--prompt",
                "Why does an NPU need its IRQ on a big core?");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().isBlank());
        String last = r.err().strip().lines().filter(l -> l.startsWith("TTFT ")).findFirst().orElse("");
        assertTrue(last.endsWith("(emulator)") && last.contains("decode"), r.err());
        assertFalse(r.err().contains("I rkllm:"), r.err());
    }

    @Test
    void bothAbis() throws Exception {
        for (String abi : new String[] {"1.2", "1.3"}) {
            Launcher.Result r = Launcher.run(env(), home, "--emulator", "--abi", abi, "--max-new-tokens", "8",
                    "--no-think", "--prompt", "Hello");
            assertEquals(0, r.exitCode(), abi + ": " + r.err());
            assertFalse(r.out().isBlank(), abi);
        }
    }

    @Test
    void failuresExitNonZeroWithTheReason() throws Exception {
        Launcher.Result r = Launcher.run(env("NPU4J_EMULATOR_FAIL_INIT", "1"), home, "--emulator", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("E rkllm:") && r.err().contains("injected failure"), r.err());
        assertTrue(r.err().contains("npu4j-chat: rkllm_init returned -1"), r.err());

        r = Launcher.run(env("NPU4J_EMULATOR_FAIL_RUN", "1"), home, "--emulator", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("RKLLM_RUN_ERROR"), r.err());

        java.nio.file.Path rkllm = java.nio.file.Files.writeString(home.resolve("Qwen3-0.6B.rkllm"), "weights");
        r = Launcher.run(env("NPU4J_RKLLM_LIBRARY", home.resolve("missing.so").toString()), home,
                "--model", rkllm.toString(), "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("Tried:") && r.err().contains("npu4j-chat --emulator"), r.err());

        r = Launcher.run(env(), home, "--model", Launcher.path().toString(), "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("is not a model of any backend") && r.err().contains(".rkllm"), r.err());

        r = Launcher.run(env(), home, "--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("npu4j-chat "), r.out());
    }
}
