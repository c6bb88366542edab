package org.npu4j.chat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the packaged {@code target/npu4j-chat} (failsafe passes its path) as a user would. */
final class Launcher {
    private Launcher() {}

    static Path path() {
        String p = System.getProperty("npu4j.chat.launcher");
        if (p == null || !Files.isExecutable(Path.of(p))) {
            throw new IllegalStateException("npu4j.chat.launcher is not set or not executable (" + p
                    + "): run the integration tests through Maven after package");
        }
        return Path.of(p);
    }

    /** A JDK older than 25 if the machine has one (the launcher must then use the build's JDK). */
    static String oldJavaHome() {
        for (String candidate : List.of("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/java-17-openjdk-arm64",
                "/usr/lib/jvm/java-17-openjdk")) {
            if (Files.isExecutable(Path.of(candidate, "bin", "java"))) {
                return candidate;
            }
        }
        return null;
    }

    record Result(int exitCode, String out, String err) {}

    static Result run(Map<String, String> env, Path home, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(path().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("HOME", home.toString());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("npu4j-chat did not end within 120 s: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
