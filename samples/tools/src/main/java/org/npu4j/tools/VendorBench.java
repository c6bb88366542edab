package org.npu4j.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.npu4j.Emulator;
import org.npu4j.NpuException;

/**
 * The vendor side of the AX650N comparison: {@code axllm_vendor_bench} (native/bench, a C replay of
 * Axera's mid-2025 ax-llm AXCL call pattern, {@link Emulator#axllmVendorBench()}) run on the same
 * emulated package, with the same prompts (the token ids npu4j prefilled), the same number of decode
 * steps, warm-up, speed factor, timing profile ({@code --timing default|tuned}: what
 * {@code NPU4J_EMULATOR_AXCL_PROFILE} selects for npu4j's side), link and catch-up setting as npu4j's
 * runs of the same mode. It exists for npu4j's emulated packages only: a real card has no replay
 * driver. Stateless.
 */
final class VendorBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest a driver run may take: 28 layers at board timing are ~10 s per generation. */
    private static final long TIMEOUT_MINUTES = 30;

    private VendorBench() {}

    /** Whether {@code dir} is an ax-llm package the driver can replay (a directory with config.json). */
    static boolean applies(@Nullable Path dir, boolean emulator) {
        return emulator && dir != null && Files.isRegularFile(dir.resolve("config.json"));
    }

    /**
     * Runs the driver once: {@code runs} passes over {@code prompts} (token ids), each from an empty KV
     * cache, after {@code warmup} generations.
     *
     * @param timing       the emulator's timing profile: "default" or "tuned"
     * @param speed        NPU4J_EMULATOR_SPEED
     * @param link         NPU4J_EMULATOR_AXCL_LINK of npu4j's side, or null for the default link
     * @param catchUp      NPU4J_EMULATOR_CATCH_UP of npu4j's side ("0" or "1")
     * @throws IllegalStateException naming the driver's complaint if it fails
     */
    static BenchReport.Vendor run(Path pkg, List<int[]> prompts, int runs, int warmup, int decodeSteps, String timing,
            String speed, @Nullable String link, String catchUp) {
        Path exe;
        try {
            exe = Emulator.axllmVendorBench();
        } catch (NpuException e) {
            throw new IllegalStateException("the vendor-pattern driver axllm_vendor_bench is not available: "
                    + e.getMessage() + " (--no-vendor skips the comparison)", e);
        }
        Path ids = null;
        try {
            ids = Files.createTempFile("npu4j-bench-prompt-ids", ".txt");
            StringBuilder sb = new StringBuilder();
            for (int[] p : prompts) {
                for (int i = 0; i < p.length; i++) {
                    sb.append(i == 0 ? "" : " ").append(p[i]);
                }
                sb.append('\n');
            }
            Files.writeString(ids, sb.toString());
            List<String> cmd = new ArrayList<>(List.of(exe.toString(), "--package", pkg.toString(), "--prompt-ids",
                    ids.toString(), "--runs", Integer.toString(runs), "--decode-tokens", Integer.toString(decodeSteps),
                    "--warmup", Integer.toString(warmup), "--speed", speed, "--timing", timing));
            if (link != null && !link.isBlank()) {
                cmd.addAll(List.of("--link", link));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("NPU4J_EMULATOR_CATCH_UP", catchUp);
            pb.environment().remove("NPU4J_EMULATOR_AXCL_PROFILE"); // --timing sets it
            Process proc = pb.start();
            proc.getOutputStream().close();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(proc.getErrorStream()));
            String out = read(proc.getInputStream());
            if (!proc.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                proc.destroyForcibly();
                throw new IllegalStateException(exe + " did not finish in " + TIMEOUT_MINUTES + " minutes");
            }
            String stderr = err.join();
            String line = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
            if (proc.exitValue() != 0 || line == null) {
                throw new IllegalStateException(exe.getFileName() + " failed (exit " + proc.exitValue() + "): "
                        + lastLines(stderr, 5));
            }
            return parse(JSON.readTree(line), String.join(" ", cmd));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the vendor-pattern driver " + exe + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the vendor-pattern driver ran", e);
        } finally {
            if (ids != null) {
                try {
                    Files.deleteIfExists(ids);
                } catch (IOException ignored) {
                    // a temporary file left behind
                }
            }
        }
    }

    static BenchReport.Vendor parse(JsonNode j, String command) {
        JsonNode runs = j.get("runs");
        double[] ttft = new double[runs.size()];
        double[] decode = new double[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            ttft[i] = runs.get(i).get("ttft_ms").asDouble();
            decode[i] = runs.get(i).get("decode_tok_s").asDouble();
        }
        JsonNode t = j.get("calls_per_token");
        JsonNode p = j.get("calls_prefill_per_chunk");
        BenchReport.Calls calls = new BenchReport.Calls(t.get("execute").asDouble(), transfers(t),
                t.get("bind").asDouble(), p.get("execute").asDouble(), transfers(p), p.get("bind").asDouble());
        return new BenchReport.Vendor(j.get("driver").asText(), j.get("pattern").asText(), j.get("source").asText(),
                command, j.get("timing").asText(), j.get("link").asText(), j.get("catch_up").asBoolean(),
                j.get("generations").asInt(), j.get("prompt_tokens").asInt(), j.get("decode_tokens").asInt(),
                Summary.of(ttft), Summary.of(decode), calls);
    }

    private static double transfers(JsonNode c) {
        return c.get("h2d").asDouble() + c.get("d2h").asDouble() + c.get("d2d").asDouble()
                + c.get("device_other").asDouble();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String lastLines(String text, int n) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
