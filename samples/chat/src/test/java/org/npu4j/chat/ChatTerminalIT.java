package org.npu4j.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive chat in a pseudo-terminal, as a person uses it: util-linux {@code script} gives the
 * launcher a pty; the test types into it and reads the screen. The emulator runs at board speed on its
 * slowest profile (RK3588 without frequency fixing, 11.8 tokens/s), so an answer takes seconds and
 * Ctrl-C can arrive while it is being written.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChatTerminalIT {
    private static final Pattern ANSI = Pattern.compile("\u001b(\\[[0-9;?]*[ -/]*[@-~]|\\][^\u0007\u001b]*(\u0007|\u001b\\\\)|[=>()][0-9A-Za-z]?)");

    @TempDir
    Path home;

    /**
     * What to exec the launcher through so that it gets SIGINT's default disposition. A build started in the
     * background of a shell without job control (nohup, {@code cmd &}) inherits SIGINT ignored, and a JVM
     * whose SIGINT is ignored never sees Ctrl-C (JLine's handler is not installed), so the Ctrl-C step would
     * fail for a reason outside the chat. A shell cannot reset a signal ignored on its entry (POSIX), perl can.
     */
    private static String sigintDefault() throws IOException {
        boolean ignored = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).map(l -> Long.parseLong(l.substring(7).strip(), 16))
                .anyMatch(mask -> (mask & (1L << 1)) != 0); // bit 1: SIGINT (signal 2)
        if (!ignored) {
            return "";
        }
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")),
                "SIGINT is ignored in this build's process tree and /usr/bin/perl, which would reset it, is missing");
        return "/usr/bin/perl -e '$SIG{INT} = q(DEFAULT); exec @ARGV or die qq(exec: $!)' ";
    }

    /** The screen so far, escape sequences removed. */
    private final StringBuffer screen = new StringBuffer();

    @Test
    void typeAQuestionStopAnAnswerWithCtrlCAndExit() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed");
        String command = "stty cols 160 rows 50; exec " + sigintDefault() + Launcher.path()
                + " --emulator=rk3588-qwen3-0.6b-w8a8-nofixfreq --max-new-tokens 40";
        ProcessBuilder pb = new ProcessBuilder(List.of("/usr/bin/script", "-qfec", command, "/dev/null"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TERM", "xterm-256color");
        pb.environment().put("NPU4J_EMULATOR_SPEED", "1");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        Thread reader = Thread.ofPlatform().daemon().start(() -> pump(p.getInputStream()));
        OutputStream keys = p.getOutputStream();
        try {
            int mark = await(0, "Loading the emulated", 60);
            mark = await(mark, "(emulator): timings from a device profile", 60);
            mark = await(mark, Repl.PROMPT, 30);

            type(keys, "Hello, what can you do?\r");
            int answer = await(mark, "Hello, what can you do?", 10);
            mark = await(answer, "(emulator)\n", 60);
            String stats = lineBefore(mark);
            assertTrue(stats.startsWith("TTFT ") && stats.contains("decode") && stats.contains("p99"), stats);
            assertTrue(screen.substring(answer, mark).contains("<think>"), "the answer was streamed: "
                    + screen.substring(answer, mark));
            mark = await(mark, Repl.PROMPT, 10);

            type(keys, "Tell me a long story about rivers.\r");
            answer = await(mark, "Tell me a long story about rivers.", 10);
            await(answer, "<think>", 30); // the answer is being written
            type(keys, "\u0003");
            mark = await(answer, "(emulator)\n", 30);
            String stopped = lineBefore(mark);
            assertTrue(stopped.startsWith("stopped after "), "Ctrl-C stopped the answer: " + stopped);
            mark = await(mark, Repl.PROMPT, 10);

            type(keys, "/stats\r");
            mark = await(mark, "inter-token p50", 10);
            assertTrue(screen.substring(mark).contains("(emulator)") || await(mark, "(emulator)", 5) > 0);
            mark = await(mark, Repl.PROMPT, 10);
            type(keys, "/system Answer in one sentence.\r");
            mark = await(mark, "(system prompt set; new conversation)", 10);
            type(keys, "/reset\r");
            mark = await(mark, "(conversation cleared", 10);
            type(keys, "/exit\r");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the chat ended after /exit: " + screen);
            assertEquals(0, p.exitValue(), screen.toString());
            String history = Files.readString(home.resolve(".npu4j/chat_history"));
            assertTrue(history.contains("Tell me a long story about rivers.") && history.contains("/stats"),
                    "line history kept in $HOME: " + history);
        } finally {
            p.destroyForcibly();
            reader.join(5000);
        }
    }

    /** {@code /image FILE} in the interactive chat on the AX650N emulator's VLM package: the answer follows the image. */
    @Test
    void imageCommandOnTheAx650nEmulator() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed");
        Path red = png(home.resolve("red.png"), 0xc02020);
        Path blue = png(home.resolve("blue.png"), 0x2020c0);
        String command = "stty cols 200 rows 50; exec " + Launcher.path()
                + " --emulator=ax650n-tiny-vl --no-think --max-new-tokens 24";
        ProcessBuilder pb = new ProcessBuilder(List.of("/usr/bin/script", "-qfec", command, "/dev/null"));
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TERM", "xterm-256color");
        pb.environment().put("NPU4J_EMULATOR_SPEED", "0");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        Thread reader = Thread.ofPlatform().daemon().start(() -> pump(p.getInputStream()));
        OutputStream keys = p.getOutputStream();
        try {
            int mark = await(0, Repl.PROMPT, 60);
            String[] answers = new String[3];
            Path[] shown = {red, blue, red};
            for (int i = 0; i < shown.length; i++) {
                type(keys, "/image " + shown[i] + "\r");
                mark = await(mark, "(image 32x24 attached to your next message)", 10);
                mark = await(mark, Repl.PROMPT, 10);
                type(keys, "What is in the picture?\r");
                int answer = await(mark, "What is in the picture?", 10);
                mark = await(answer, "(emulator)\n", 60);
                String stats = lineBefore(mark);
                assertTrue(stats.startsWith("TTFT "), stats);
                answers[i] = screen.substring(answer, mark - 1 - stats.length()).strip();
                mark = await(mark, Repl.PROMPT, 10);
                type(keys, "/reset\r");
                mark = await(mark, "(conversation cleared", 10);
            }
            assertTrue(!answers[0].isEmpty(), screen.toString());
            assertEquals(answers[0], answers[2], "the same image, the same answer");
            assertTrue(!answers[0].equals(answers[1]), "another image, another answer: " + answers[0]);
            type(keys, "/exit\r");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the chat ended after /exit: " + screen);
            assertEquals(0, p.exitValue(), screen.toString());
        } finally {
            p.destroyForcibly();
            reader.join(5000);
        }
    }

    private static Path png(Path file, int rgb) throws IOException {
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

    private void pump(InputStream in) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                String s = ANSI.matcher(new String(buf, 0, n, StandardCharsets.UTF_8)).replaceAll("")
                        .replace("\r\n", "\n").replace("\r", "\n");
                screen.append(s);
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private static void type(OutputStream keys, String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Waits until {@code text} appears after {@code from}; returns the index just after it. */
    private int await(int from, String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            int i = screen.indexOf(text, from);
            if (i >= 0) {
                return i + text.length();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("'" + text + "' did not appear within " + seconds + " s; screen after the mark:\n"
                + screen.substring(Math.min(from, screen.length())));
    }

    /** The line that ends just before {@code end} (which is just after a newline). */
    private String lineBefore(int end) {
        String upTo = screen.substring(0, end - 1);
        return upTo.substring(upTo.lastIndexOf('\n') + 1).strip();
    }
}
