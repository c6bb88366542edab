package org.npu4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.axcl.llm.AxclLlmProvider;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.fixtures.Boards;

/**
 * {@code npu4j bench} on emulated AX650N packages through the LLM API, with the vendor-pattern driver
 * beside it. The emulators run without delays ({@code NPU4J_EMULATOR_SPEED=0}, as the build sets): these
 * tests check what the report holds and that its counts are the calls made (the emulator counts them
 * on its side for the driver; npu4j counts its own), not speed, which the bench measures at board timing.
 */
class BenchAxLlmTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * One card and two cards of a two-card emulator config in one run: a result per split, the second with
     * the 4 calls of the block boundary per decoded token (D2H of the hidden row, H2D of it, the position
     * and the mask column on the second card); the vendor pattern beside the one-card split only.
     */
    @Test
    void oneAndTwoCardsInOneRun() throws Exception {
        Path config = dir.resolve("2cards.json");
        java.nio.file.Files.writeString(config, "{\"npu4j_emulator\": {\"device_count\": 2}}");
        Cli r = Cli.run("bench", "--emulator=ax650n-tiny", "--emulator-speed", "0", "--runs", "1", "--warmup", "0",
                "--max-new-tokens", "8", "--axcl-config", config.toString(), "--axcl-devices", "1", "--axcl-devices",
                "1,2", "--no-progress", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode llm = JSON.readTree(r.out()).get("llm");
        assertEquals(2, llm.size());
        assertEquals("ax650n-tiny [devices 1]", llm.at("/0/model").asText());
        assertEquals("ax650n-tiny [devices 1,2]", llm.at("/1/model").asText());
        assertTrue(llm.at("/1/runtime").asText().contains("layers 0-1 on device 1, 2-3 on device 2"),
                llm.at("/1/runtime").asText());
        assertEquals(5, llm.at("/0/modes/0/calls/executesPerToken").asDouble(), 1e-9);
        assertEquals(12, llm.at("/0/modes/0/calls/transfersPerToken").asDouble(), 1e-9);
        assertEquals(5, llm.at("/1/modes/0/calls/executesPerToken").asDouble(), 1e-9);
        assertEquals(12 + 4, llm.at("/1/modes/0/calls/transfersPerToken").asDouble(), 1e-9);
        assertFalse(llm.at("/0/modes/0/vendor").isMissingNode() || llm.at("/0/modes/0/vendor").isNull());
        assertTrue(llm.at("/1/modes/0/vendor").isMissingNode() || llm.at("/1/modes/0/vendor").isNull());
    }

    @Test
    void tinyPackageSideBySideWithTheVendorPattern() throws Exception {
        Boards.cm3588(dir);
        Cli r = Cli.run(root -> HostFiles.at(root).withWriteCheck(f -> false), "bench", "--emulator=ax650n-tiny",
                "--emulator-speed", "0", "--runs", "2", "--max-new-tokens", "12", "--tuning", "default,tuned", "--root",
                dir.toString(), "--no-progress", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(r.out());
        assertEquals(128, report.at("/settings/promptTokens").asInt());
        assertEquals("copy", report.at("/settings/kvStrategy").asText());
        assertEquals("1", report.at("/settings/catchUp").asText(), "caught up like the driver");
        assertTrue(report.at("/settings/ignoreEos").asBoolean());
        JsonNode llm = report.at("/llm/0");
        assertEquals("ax650n-tiny", llm.get("model").asText());
        assertEquals("axcl", llm.get("backend").asText());
        assertTrue(llm.get("emulator").asBoolean());
        assertTrue(llm.get("eosIgnored").asBoolean());
        assertEquals(2, llm.get("modes").size());
        for (JsonNode mode : llm.get("modes")) {
            String where = mode.get("mode").asText();
            assertEquals(16, mode.get("generations").asInt(), where);
            for (JsonNode run : mode.get("runs")) {
                assertEquals(128, run.get("promptTokens").asInt(), "fitted to 128 tokens, all prefilled: " + run);
                assertEquals(12, run.get("generatedTokens").asInt(), "end of sequence ignored: " + run);
                assertEquals(5, run.at("/calls/executesPerToken").asDouble(), 1e-9, run.toString());
            }
            // npu4j's calls (4 layers): per token 5 executes, 4 + 2 x 4 transfers; binds only the post
            // model's input switched back after the prefill, once per generation of 11 decode steps.
            JsonNode calls = mode.get("calls");
            assertEquals(5, calls.get("executesPerToken").asDouble(), 1e-9, where);
            assertEquals(12, calls.get("transfersPerToken").asDouble(), 1e-9, where);
            assertEquals(1.0 / 11, calls.get("bindsPerToken").asDouble(), 1e-9, where);
            // 128 prompt tokens = 8 chunks of P = 16, each 4 layer executes, then the post model once
            assertEquals((4 * 8 + 1) / 8.0, calls.get("executesPerChunk").asDouble(), 1e-9, where);
            // The vendor pattern on the same package (the emulator's counters): per layer H2D indices
            // and mask, D2D K, V and hidden state; plus the embedding row in and the logits out.
            JsonNode v = mode.get("vendor");
            assertEquals("axllm_vendor_bench", v.get("driver").asText());
            assertTrue(v.get("source").asText().contains("cost model"), v.toString());
            assertEquals(where, v.get("timing").asText(), "the same timing profile as npu4j's side");
            assertEquals(16, v.get("generations").asInt(), where);
            assertEquals(128, v.get("promptTokens").asInt(), where);
            assertEquals(11, v.get("decodeTokens").asInt(), "the decode steps of npu4j's runs");
            assertEquals(5, v.at("/calls/executesPerToken").asDouble(), 1e-9, where);
            assertEquals(1 + 2 * 4 + 1 + 3 * 4, v.at("/calls/transfersPerToken").asDouble(), 1e-9, where);
            assertEquals(0, v.at("/calls/bindsPerToken").asDouble(), 1e-9, where);
            assertTrue(v.get("command").asText().contains("--timing " + where), v.toString());
            JsonNode c = mode.get("comparison");
            assertEquals(where.equals("tuned") ? 1.25 : 1.4, c.get("decodeTarget").asDouble(), 1e-9);
            assertEquals(mode.at("/hostDecodeTokS/mean").asDouble() / v.at("/decodeTokS/mean").asDouble(),
                    c.get("decodeRatio").asDouble(), 1e-9, "the ratio of the two means");
            assertEquals(mode.at("/ttftMs/mean").asDouble() / v.at("/ttftMs/mean").asDouble(),
                    c.get("ttftRatio").asDouble(), 1e-9);
        }
        assertTrue(llm.at("/modes/1/emulation").asText().contains("NPU4J_EMULATOR_AXCL_PROFILE=tuned"));
        assertTrue(llm.at("/modes/1/emulation").asText().contains("--timing tuned"));
    }

    @Test
    void markdownSaysTheFiguresComeFromTheCostModel() {
        Cli r = Cli.run("bench", "--emulator=ax650n-tiny", "--emulator-speed", "0", "--runs", "1", "--warmup", "0",
                "--max-new-tokens", "6", "--kv", "bind", "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        String md = r.out();
        assertTrue(md.contains("## AX650N: npu4j against the vendor's call pattern (emulator)"), md);
        assertTrue(md.contains("Figures from the cost model of npu4j's emulated AXCL runtime"), md);
        assertTrue(md.contains("| model | quant | default tok/s | tuned tok/s | TTFT default -> tuned | engine calls per"
                + " token |"), md);
        // bind: no K/V copies; 2 x 4 binds per token plus the post model's one rebind over 5 steps
        assertTrue(md.contains("| tiny toy LLM (npu4j emulator package), ax650n-tiny (emulator) | — | "), md);
        assertTrue(md.contains(" ms | 5 + 4, 8.20 binds |"), md);
        assertTrue(md.contains("| axllm_vendor_bench: tiny toy LLM (npu4j emulator package), vendor pattern (emulator)"
                + " | — | "), md);
        assertTrue(md.contains(" ms | 5 + 22, 0 binds |"), md);
        assertTrue(md.contains("| tiny toy LLM (npu4j emulator package), default (emulator), 128 prompt tokens | "), md);
        for (String line : md.lines().toList()) {
            boolean resultRow = line.startsWith("| ") && !line.startsWith("| model ") && !line.startsWith("| metric ");
            if (resultRow || line.startsWith("Engine calls") || line.startsWith("Vendor pattern")) {
                assertTrue(line.contains("(emulator)"), "a result of an emulated runtime says so: " + line);
            }
        }
    }

    @Test
    void packageDirectoryOpensThroughTheApiAndNoVendorSkipsTheDriver() throws Exception {
        Path pkg = AxclLlmProvider.emulatorPackage("ax650n-tiny");
        // A package directory given as a model file, on the AXCL library given: here the emulator's. The
        // runtime says it is the emulator, so the vendor pattern runs beside it, on the same prompts.
        Path prompts = dir.resolve("prompts.txt");
        java.nio.file.Files.writeString(prompts, "# two short prompts\nWhy is the sky blue?\nName three prime numbers.\n");
        Cli r = Cli.run("bench", pkg.toString(), "--axcl-library", org.npu4j.Emulator.library(
                org.npu4j.Emulator.Runtime.AXCL).toString(), "--runs", "1", "--warmup", "0", "--max-new-tokens", "4",
                "--prompt-tokens", "0", "--prompts", prompts.toString(), "--no-progress", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode llm = JSON.readTree(r.out()).at("/llm/0");
        assertEquals("axcl", llm.get("backend").asText());
        assertEquals(pkg.toString(), llm.get("source").asText());
        JsonNode mode = llm.at("/modes/0");
        assertTrue(llm.get("emulator").asBoolean(), "the runtime reports the emulator");
        int sum = mode.at("/runs/0/promptTokens").asInt() + mode.at("/runs/1/promptTokens").asInt();
        assertTrue(mode.at("/runs/0/promptTokens").asInt() != mode.at("/runs/1/promptTokens").asInt(), mode.toString());
        assertEquals(sum / 2, mode.at("/vendor/promptTokens").asInt(), "the same prompts (mean, whole tokens)");
        assertEquals(3, mode.at("/vendor/decodeTokens").asInt());
        assertEquals(5, mode.at("/calls/executesPerToken").asDouble(), 1e-9);
        assertEquals(2, mode.get("generations").asInt());
        assertTrue(mode.at("/runs/0/promptTokens").asInt() < 128, "--prompt-tokens 0: the prompt as written");

        Cli off = Cli.run("bench", "--emulator=ax650n-tiny", "--emulator-speed", "0", "--runs", "1", "--warmup", "0",
                "--max-new-tokens", "4", "--no-vendor", "--no-progress", "--json");
        assertEquals(0, off.exitCode(), off.err());
        assertTrue(JSON.readTree(off.out()).at("/llm/0/modes/0/vendor").isNull());
        assertFalse(JSON.readTree(off.out()).at("/settings/vendor").asBoolean());
    }

    /** The budget on the 28-layer Qwen3-0.6B package, measured (not by formula). */
    @Test
    void qwen3PackageMeetsTheCallBudgetPerDecodedToken() throws Exception {
        Path prompts = dir.resolve("one.txt");
        java.nio.file.Files.writeString(prompts, "Why does an NPU need its IRQ on a big core?\n");
        Cli r = Cli.run("bench", "--emulator=ax650n-qwen3-0.6b-w8a16", "--emulator-speed", "0", "--runs", "1",
                "--warmup", "0", "--max-new-tokens", "3", "--prompts", prompts.toString(), "--no-progress", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode mode = JSON.readTree(r.out()).at("/llm/0/modes/0");
        assertEquals("W8A16", JSON.readTree(r.out()).at("/llm/0/quant").asText());
        assertEquals(29, mode.at("/calls/executesPerToken").asDouble(), 1e-9, "28 layers + post");
        assertTrue(mode.at("/calls/transfersPerToken").asDouble() <= 60, mode.get("calls").toString());
        assertEquals(60, mode.at("/calls/transfersPerToken").asDouble(), 1e-9, "embedding, indices, mask, logits, 2 x 28 K/V");
        assertEquals(29, mode.at("/vendor/calls/executesPerToken").asDouble(), 1e-9);
        assertEquals(142, mode.at("/vendor/calls/transfersPerToken").asDouble(), 1e-9, "the vendor's ~142 copies");
        assertEquals(128, mode.at("/runs/0/promptTokens").asInt());
    }
}
