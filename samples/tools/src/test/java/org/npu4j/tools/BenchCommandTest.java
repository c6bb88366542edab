package org.npu4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

/**
 * {@code npu4j bench} in-process against the emulated runtimes. The emulators run at 1/20 of the board
 * timing ({@code --emulator-speed 0.05}): fast, but with real delays, so that the numbers the tool
 * reports can be checked against what the runtime itself measured. No assertion here is a speed
 * target: they check that the tool reports the runs it made (the runtime's {@code RKLLMPerfStat}
 * against the tool's own clock, summaries against the per-run values).
 */
class BenchCommandTest {
    static final String PROFILE = "rk3588-qwen3-0.6b-w8a8";
    /** The profile's decode speed (shared/facts/boards.md: 32.91 tok/s) at speed factor 0.05. */
    static final double EMULATED_DECODE_TOK_S = 32.91 / 0.05;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("bench", "--emulator=" + PROFILE, "--emulator-speed", "0.05", "--runs",
                "1", "--warmup", "0", "--max-new-tokens", "24", "--no-progress"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void llmNumbersAreThoseOfTheRunsTheRuntimeMeasured() throws Exception {
        Path file = dir.resolve("bench.json");
        Cli r = Cli.run(args("--json", "--json-file", file.toString()));
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(r.out());
        assertEquals(report, JSON.readTree(Files.readString(file)), "--json-file holds the same report");
        assertEquals("0.05", report.at("/settings/emulatorSpeed").asText());
        JsonNode llm = report.at("/llm/0");
        assertEquals(PROFILE, llm.get("model").asText());
        assertEquals("Qwen3-0.6B", llm.get("name").asText());
        assertEquals("W8A8", llm.get("quant").asText());
        assertTrue(llm.get("emulator").asBoolean());
        JsonNode mode = llm.at("/modes/0");
        assertEquals("default", mode.get("mode").asText());
        JsonNode runs = mode.get("runs");
        assertEquals(8, runs.size(), "one generation per prompt of the built-in set");
        assertEquals(8, mode.get("generations").asInt());

        double sumDecode = 0;
        double sumHostDecode = 0;
        for (JsonNode run : runs) {
            String where = run.toString();
            assertEquals("finished", run.get("outcome").asText(), where);
            assertEquals(24, run.get("generatedTokens").asInt(), "end of sequence ignored: " + where);
            int promptTokens = run.get("promptTokens").asInt();
            assertTrue(promptTokens >= 110 && promptTokens <= 150, "prompts of about 128 tokens: " + where);
            double decode = run.get("decodeTokS").asDouble();
            double hostDecode = run.get("hostDecodeTokS").asDouble();
            assertTrue(hostDecode > 0, where);
            // The emulated delays are a floor: nothing is faster than the profile at this speed factor,
            // so these are runs of the emulated profile, not of a runtime without delays. (The runtime
            // divides N tokens by the time from the first to the end: N-1 decode steps.)
            assertTrue(decode > 0 && decode <= EMULATED_DECODE_TOK_S * 24 / 23 * 1.05,
                    "decode tok/s of the profile: " + where);
            sumHostDecode += hostDecode;
            double prefillMs = run.get("prefillMs").asDouble();
            assertTrue(prefillMs > 0 && run.get("ttftMs").asDouble() >= prefillMs,
                    "TTFT (host) includes the runtime's prefill: " + where);
            assertEquals(promptTokens * 1000.0 / prefillMs, run.get("prefillTokS").asDouble(), 0.01, where);
            sumDecode += decode;
        }
        assertEquals(sumDecode / runs.size(), mode.at("/decodeTokS/mean").asDouble(), 1e-9,
                "the summary is the mean of the runs");
        // Two clocks, the runtime's (RKLLMPerfStat) and npu4j's (the listener's callbacks), saw the same
        // tokens: their means agree (loosely: a loaded machine delays single callbacks).
        assertEquals(sumDecode / runs.size(), sumHostDecode / runs.size(), 0.3 * sumDecode / runs.size(),
                "host clock vs runtime clock");
        assertEquals(8, mode.at("/decodeTokS/n").asInt());
        assertTrue(mode.at("/decodeTokS/min").asDouble() <= mode.at("/decodeTokS/p50").asDouble());
        assertTrue(mode.at("/decodeTokS/p50").asDouble() <= mode.at("/decodeTokS/max").asDouble() * 1.001);
        assertEquals(791, mode.get("runtimeMemoryMb").asDouble(), 0.5, "the profile's reported memory");
        assertTrue(mode.get("peakRssKb").asLong() > 10_000, "VmHWM of this JVM: " + mode.get("peakRssKb"));
    }

    @Test
    void markdownHasThePublishedColumnsAndMarksEveryEmulatedResult() throws Exception {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run(root -> HostFiles.at(root).withWriteCheck(f -> false),
                args("--tuning", "default,tuned", "--root", dir.toString()));
        assertEquals(0, r.exitCode(), r.err());
        String md = r.out();
        assertTrue(md.contains("| model | quant | default tok/s | tuned tok/s | TTFT default -> tuned | engine calls per"
                + " token |\n"), md);
        assertTrue(md.contains("| Qwen3-0.6B, " + PROFILE + " (emulator) | W8A8 | "), md);
        assertTrue(md.lines().anyMatch(l -> l.startsWith("| Qwen3-0.6B, " + PROFILE) && l.endsWith(" ms | — |")),
                "RKLLM runs its own loop: no engine calls counted\n" + md);
        assertTrue(md.contains("Speedup tuned/default, decode: Qwen3-0.6B, " + PROFILE + " (emulator) x"), md);
        assertTrue(md.contains("- tuned: org.npu4j.tuning HostTuning NOT applied: this process may not write 3 of the"
                + " files (run as root); dry run, it would change: "), md);
        assertTrue(md.contains("/proc/irq/93/smp_affinity_list"), md);
        for (String line : md.lines().toList()) {
            boolean resultRow = line.startsWith("| ") && !line.startsWith("| model ") && !line.startsWith("| metric ")
                    && !line.startsWith("| ms ");
            if (resultRow || line.startsWith("Speedup") || line.startsWith("Peak RSS")) {
                assertTrue(line.contains("(emulator)"), "a result of an emulated runtime says so: " + line);
            }
        }
        assertEquals(before, t.snapshot(), "a dry run changes nothing");
    }

    @Test
    void tunedRunsHoldTheHostTuningAndRestoreIt() throws Exception {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run(args("--tuning", "tuned", "--root", dir.toString(), "--json"));
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(r.out());
        JsonNode tuned = report.at("/tuning/0");
        assertEquals("tuned", tuned.get("mode").asText());
        assertTrue(tuned.get("applied").asBoolean(), tuned.toString());
        assertFalse(tuned.get("dryRun").asBoolean());
        assertTrue(tuned.get("changes").toString().contains("/proc/irq/93/smp_affinity_list"), tuned.toString());
        assertEquals("tuned", report.at("/llm/0/modes/0/mode").asText());
        assertTrue(report.at("/llm/0/modes/0/emulation").asText().startsWith("(emulator)"));
        assertEquals(before, t.snapshot(), "every value restored after the runs");
    }

    @Test
    void engineNumbersAreThoseOfTheCallsTheApiRecorded() throws Exception {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run(root -> HostFiles.at(root).withWriteCheck(f -> false), "bench", "--emulator=yolo11s-640",
                "--emulator-speed", "0.05", "--calls", "30", "--warmup-calls", "3", "--tuning", "default,tuned",
                "--root", dir.toString(), "--no-progress", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(r.out());
        assertEquals(0, report.get("llm").size());
        JsonNode engine = report.at("/engine/0");
        assertEquals("yolo11s-640", engine.get("model").asText());
        assertTrue(engine.get("emulator").asBoolean());
        assertEquals(30, report.at("/settings/calls").asLong());
        // Published single-call figures (shared/facts/boards.md): 3.99 ms default, 3.55 ms tuned; the
        // emulated device sleeps at least that long times the speed factor, and the tuned pass runs on
        // the emulator's tuned profile.
        Map<String, Double> published = Map.of("default", 3.99, "tuned", 3.55);
        for (JsonNode mode : engine.get("modes")) {
            String name = mode.get("mode").asText();
            String where = name + ": " + mode;
            assertEquals(30, mode.get("calls").asLong());
            assertEquals(30, mode.at("/callMs/n").asLong(), where);
            double stages = 0;
            for (String stage : List.of("host_to_device", "execute", "device_to_host")) {
                assertEquals(30, mode.at("/stagesMs/" + stage + "/n").asLong(), "the API recorded every call: " + where);
                stages += mode.at("/stagesMs/" + stage + "/mean").asDouble();
            }
            // One clock (System.nanoTime), the call's interval holds its three stages (histograms: 3 digits).
            assertTrue(mode.at("/callMs/mean").asDouble() >= stages * 0.995, "call >= its stages: " + where);
            assertTrue(mode.at("/stagesMs/execute/min").asDouble() >= published.get(name) * 0.05 * 0.99,
                    "the emulated execute time of the " + name + " profile: " + where);
        }
        assertEquals("", engine.at("/modes/0/emulation").asText());
        assertTrue(engine.at("/modes/1/emulation").asText().contains("NPU4J_EMULATOR_AXCL_PROFILE=tuned"));
        assertTrue(engine.get("speedup").asDouble() > 0);
        assertEquals(before, t.snapshot(), "a dry run changes nothing");

        Cli md = Cli.run("bench", "--emulator=identity-small", "--emulator-speed", "0", "--calls", "10",
                "--no-progress");
        assertEquals(0, md.exitCode(), md.err());
        assertTrue(md.out().contains("| model | default ms/call | tuned ms/call | whole call default -> tuned (ms) |\n"),
                md.out());
        assertTrue(md.out().contains("| identity-small (emulator) | "), md.out());
        assertTrue(md.out().contains("| execute (emulator) | "), md.out());
    }

    @Test
    void latencyHistogramsGoToAnIntervalLog() throws Exception {
        Path hlog = dir.resolve("bench.hlog");
        Cli r = Cli.run(args("--hlog", hlog.toString()));
        assertEquals(0, r.exitCode(), r.err());
        List<String> tags = new ArrayList<>();
        long ttftCount = 0;
        try (InputStream in = Files.newInputStream(hlog)) {
            HistogramLogReader reader = new HistogramLogReader(in);
            EncodableHistogram h;
            while ((h = reader.nextIntervalHistogram()) != null) {
                tags.add(h.getTag());
                if (h.getTag().endsWith(".ttft")) {
                    ttftCount += ((org.HdrHistogram.Histogram) h).getTotalCount();
                }
            }
        }
        assertTrue(tags.contains(PROFILE + ".default.ttft"), tags.toString());
        assertTrue(tags.contains(PROFILE + ".default.inter_token"), tags.toString());
        assertEquals(8, ttftCount, "one TTFT per measured generation");
    }

    @Test
    void badArgumentsSayWhatIsAccepted() {
        Cli none = Cli.run("bench", "--no-progress");
        assertEquals(1, none.exitCode());
        assertTrue(none.err().contains("nothing to benchmark"), none.err());
        Cli mode = Cli.run(args("--tuning", "fast"));
        assertEquals(1, mode.exitCode());
        assertTrue(mode.err().contains("--tuning fast: accepted default and tuned"), mode.err());
        Cli profile = Cli.run("bench", "--emulator=rk9999-nothing", "--no-progress");
        assertEquals(1, profile.exitCode());
        assertTrue(profile.err().contains("no such emulator profile; available: ") && profile.err().contains(PROFILE)
                && profile.err().contains("yolo11s-640"), profile.err());
        Cli file = Cli.run("bench", dir.resolve("model.onnx").toString(), "--no-progress");
        assertEquals(1, file.exitCode());
        assertTrue(file.err().contains("accepted .rkllm and .axmodel model files and ax-llm package directories"),
                file.err());
        Cli notPackage = Cli.run("bench", dir.toString(), "--no-progress");
        assertEquals(1, notPackage.exitCode());
        assertTrue(notPackage.err().contains("a directory without config.json: expected an ax-llm package directory"),
                notPackage.err());
        Cli kv = Cli.run("bench", "--emulator=ax650n-tiny", "--kv", "offset", "--no-progress");
        assertEquals(1, kv.exitCode());
        assertTrue(kv.err().contains("--kv offset: accepted copy and bind"), kv.err());
        Cli speed = Cli.run("bench", "--emulator=" + PROFILE, "--emulator-speed", "fast", "--no-progress");
        assertEquals(1, speed.exitCode());
        assertNotNull(speed.err());
        assertTrue(speed.err().contains("--emulator-speed fast"), speed.err());
    }
}
