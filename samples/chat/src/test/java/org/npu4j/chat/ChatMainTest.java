package org.npu4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.npu4j.Emulator;
import picocli.CommandLine;

/**
 * {@code npu4j-chat --prompt} in-process through picocli, on the emulated RKLLM 1.3 runtime from the
 * npu4j-native jar ({@code NPU4J_EMULATOR_SPEED=0}: no board delays).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChatMainTest {

    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = ChatMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void promptAnswersOnceWithTheStatisticsLine() {
        Run r = run("--emulator", "--no-think", "--max-new-tokens", "16", "--prompt", "What is an NPU?");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().isBlank());
        assertFalse(r.out().contains("<think>"), "--no-think: " + r.out());
        String stats = r.err().strip();
        assertTrue(stats.startsWith("TTFT ") && stats.contains(" | prefill ") && stats.contains(" | decode ")
                && stats.contains("inter-token p50 ") && stats.contains(", p99 "), stats);
        assertTrue(stats.endsWith("(emulator)"), stats);
        assertFalse(r.err().contains("I rkllm:"), "the runtime's load log stays quiet: " + r.err());
    }

    @Test
    void thinkingSystemPromptCpusAndSampling() {
        Run r = run("--emulator", "--max-new-tokens", "24", "--prompt", "Think first.");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("<think>"), "a thinking model thinks by default: " + r.out());
        r = run("--emulator=" + ChatMain.DEFAULT_PROFILE, "--system", "You are terse.", "--cpus", "0",
                "--temperature", "0.2", "--top-k", "5", "--top-p", "0.9", "--context", "1024", "--no-think",
                "--max-new-tokens", "8", "--prompt", "Hi");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(r.out().isBlank());
    }

    @Test
    void aLibraryAndModelGivenByPathAsOnABoard() {
        Path library = Emulator.library(Emulator.Runtime.RKLLM_V1_3);
        Path model = Emulator.model("rkllm", ChatMain.DEFAULT_PROFILE + ".model");
        Run r = run("--library", library.toString(), "--model", model.toString(), "--no-think", "--max-new-tokens",
                "8", "--prompt", "Hello");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().strip().endsWith("(emulator)"), "the library says it is the emulator: " + r.err());
    }

    @Test
    void tuneReadsTheHostBeforeLoadingAndFailsOnAHostItCannotRead(@org.junit.jupiter.api.io.TempDir Path empty) {
        // An empty host tree: the tuning plan needs /sys/devices/system/cpu, so nothing is loaded or changed.
        Run r = run("--emulator", "--tune", "--host-root", empty.toString(), "--prompt", "Hi");
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().contains("/sys/devices/system/cpu"), r.err());
        assertTrue(r.out().isEmpty(), r.out());
    }

    @Test
    void badInputExitsWithOneAndSaysWhy() {
        Run r = run("--emulator", "--prompt", " ");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("--prompt is empty"), r.err());
        r = run("--model", "/nonexistent/model.rkllm", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("no such file"), r.err());
        r = run("--emulator=rk0000-nothing", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("available: [") && r.err().contains(ChatMain.DEFAULT_PROFILE), r.err());
        r = run("--emulator", "--cpus", "fast ones", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("--cpus"), r.err());
        r = run("--emulator", "--temperature", "-1", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("temperature"), r.err());
        r = run("--emulator", "--context", "100000", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("rkllm_init") && r.err().contains("E rkllm:"),
                "the runtime's error line is shown: " + r.err());
        r = run("--emulator", "--library", "/x.so", "--prompt", "x");
        assertEquals(1, r.exitCode());
        assertEquals(2, run("--no-such-option").exitCode());
    }

    @Test
    void cpuListsAndMasks() {
        assertEquals(0xf0, ChatMain.cpuMask("4-7"));
        assertEquals(0x5, ChatMain.cpuMask("0,2"));
        assertEquals(0xf0, ChatMain.cpuMask("0xF0"));
        assertEquals(1, run("--emulator", "--cpus", "40", "--prompt", "x").exitCode());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"rk3588-qwen3-vl-2b-w8a8", "rk3588-qwen2-vl-2b-w8a8", "ax650n-tiny-vl",
            "ax650n-tiny-qwen3-vl"})
    void imageFlagShowsTheImageToAVisionModel(String vlm, @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path red = png(dir.resolve("red.png"), 0xc02020);
        Path blue = png(dir.resolve("blue.png"), 0x2020c0);
        String profile = "--emulator=" + vlm;
        Run a = run(profile, "--max-new-tokens", "12", "--image", red.toString(), "--prompt", "What is it?");
        assertEquals(0, a.exitCode(), a.err());
        Run b = run(profile, "--max-new-tokens", "12", "--image", blue.toString(), "--prompt", "What is it?");
        assertEquals(0, b.exitCode(), b.err());
        Run a2 = run(profile, "--max-new-tokens", "12", "--image", red.toString(), "--prompt", "What is it?");
        assertEquals(a.out(), a2.out(), "the same image, the same answer");
        assertFalse(a.out().equals(b.out()), "another image, another answer: " + a.out());
        assertTrue(a.err().contains("(emulator)"), a.err());
        String textOnly = vlm.startsWith("ax650n") ? "--emulator=ax650n-tiny" : "--emulator";
        Run refused = run(textOnly, "--image", red.toString(), "--prompt", "What is it?");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().contains("vision encoder"), refused.err());
        Run missing = run(profile, "--image", dir.resolve("none.png").toString(), "--prompt", "What is it?");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("none.png"), missing.err());
    }

    private static Path png(Path file, int rgb) throws java.io.IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(32, 24,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 32; x++) {
                img.setRGB(x, y, x < 8 ? 0x20c020 : rgb);
            }
        }
        javax.imageio.ImageIO.write(img, "png", file.toFile());
        return file;
    }
}
