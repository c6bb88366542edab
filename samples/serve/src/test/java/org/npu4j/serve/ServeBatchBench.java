package org.npu4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.npu4j.Emulator;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * Benchmark (not a test): {@code --batch N} against serial serving, both measured in the same run at the
 * emulator's board timing ({@code NPU4J_EMULATOR_SPEED=1}, emulated Qwen3 0.6B on RK3588: 199 ms per 128
 * prompt tokens, 32.91 tok/s decode, and the emulator's batch cost model, {@code batch_step_percent} 25:
 * an assumption, not a measurement; native/emulator/rkllm/README.md). Each round sends C concurrent
 * streaming chat requests (distinct prompts, {@code max_tokens} T) to a serial server and to a batch-C
 * server, alternating, and reports per mode: aggregate completion tokens per second (all tokens over the
 * round's wall time), and per request the time to the first content byte and to {@code [DONE]} (median,
 * max over all rounds). Prints the load average before and after.
 *
 * <p>Run: {@code java -cp <samples/serve test class path> org.npu4j.serve.ServeBatchBench [clients]
 * [maxTokens] [rounds]} (defaults 4, 64, 3).
 */
public final class ServeBatchBench {
    private static final String MODEL = "m";
    private static final String PROFILE = "rk3588-qwen3-0.6b-w8a8";

    private ServeBatchBench() {}

    record Request(long firstByteNanos, long totalNanos, int tokens) {}

    public static void main(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int maxTokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.out.println("load average before: " + loadAverage());
        Emulator.speed(1);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Request> serialReqs = new ArrayList<>();
        List<Request> batchReqs = new ArrayList<>();
        double[] serialTps = new double[rounds];
        double[] batchTps = new double[rounds];
        try (NpuServer serial = server(1, clients); NpuServer batched = server(clients, clients)) {
            round(http, serial, 1, Math.min(8, maxTokens), new ArrayList<>()); // warm-up
            round(http, batched, clients, Math.min(8, maxTokens), new ArrayList<>());
            for (int r = 0; r < rounds; r++) {
                serialTps[r] = round(http, serial, clients, maxTokens, serialReqs);
                batchTps[r] = round(http, batched, clients, maxTokens, batchReqs);
                System.out.printf("round %d: serial %.1f tok/s, batch of %d %.1f tok/s%n", r + 1, serialTps[r], clients,
                        batchTps[r]);
            }
            ServedModel bm = batched.model(MODEL);
            System.out.printf("batches run: %d holding %d requests%n", bm.scheduler().batches.sum(),
                    bm.scheduler().entries.sum());
        } finally {
            Emulator.speed(0);
            http.close();
        }
        System.out.printf("%d concurrent clients, max_tokens %d, %d rounds (emulator board timing, batch cost model"
                + " batch_step_percent 25 = assumption)%n", clients, maxTokens, rounds);
        report("serial  ", serialTps, serialReqs);
        report("batch-" + clients + " ", batchTps, batchReqs);
        System.out.printf("aggregate tokens/s, batch over serial (median rounds): %.2fx%n",
                median(batchTps) / median(serialTps));
        System.out.println("load average after: " + loadAverage());
    }

    private static NpuServer server(int batch, int clients) throws IOException {
        Map<String, ServedModel> models = new LinkedHashMap<>();
        LoadOptions o = LoadOptions.DEFAULTS.withName(MODEL);
        LoadOptions opts = batch > 1 ? o.withOption("batch", Integer.toString(batch)) : o;
        models.put(MODEL, new ServedModel(MODEL, () -> LanguageModel.openEmulator(PROFILE, opts), clients, batch,
                Duration.ofMillis(BatchScheduler.DEFAULT_WINDOW_MS)));
        return NpuServer.start(NpuServer.Config.loopback(), models);
    }

    /** One round of {@code clients} concurrent requests; returns its aggregate completion tokens per second. */
    private static double round(HttpClient http, NpuServer s, int clients, int maxTokens, List<Request> out)
            throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Request>> fs = new ArrayList<>();
        long start;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                String prompt = "Question " + i + ": tell me about the rivers of region " + (char) ('A' + i) + ".";
                fs.add(pool.submit(() -> {
                    go.await();
                    return stream(http, s, prompt, maxTokens);
                }));
            }
            start = System.nanoTime();
            go.countDown();
        }
        long wall = System.nanoTime() - start;
        int tokens = 0;
        for (Future<Request> f : fs) {
            Request r = f.get();
            out.add(r);
            tokens += r.tokens();
        }
        return tokens * 1e9 / wall;
    }

    private static Request stream(HttpClient http, NpuServer s, String prompt, int maxTokens) throws Exception {
        String body = "{\"model\":\"" + MODEL + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"reasoning_effort\":\"none\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
        long t0 = System.nanoTime();
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(s.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode());
        }
        long first = -1;
        int tokens = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("data: [DONE]")) {
                    return new Request(first - t0, System.nanoTime() - t0, tokens);
                }
                if (!line.startsWith("data: ")) {
                    continue;
                }
                JsonNode n = Http.JSON.readTree(line.substring(6));
                JsonNode delta = n.path("choices").path(0).path("delta");
                if (first < 0 && delta.path("content").isTextual() && !delta.has("role")) {
                    first = System.nanoTime();
                }
                if (n.path("usage").has("completion_tokens")) {
                    tokens = n.path("usage").path("completion_tokens").asInt();
                }
            }
        }
        throw new IllegalStateException("stream ended without [DONE]");
    }

    private static void report(String mode, double[] tps, List<Request> reqs) {
        double[] first = reqs.stream().mapToDouble(r -> r.firstByteNanos() / 1e6).sorted().toArray();
        double[] total = reqs.stream().mapToDouble(r -> r.totalNanos() / 1e6).sorted().toArray();
        double tokens = reqs.stream().mapToInt(Request::tokens).average().orElse(0);
        System.out.printf("%s aggregate %.1f tok/s (median of rounds; %s), per request: first content byte median %.0f"
                + " ms max %.0f ms, complete median %.0f ms max %.0f ms, %.1f tokens on average%n", mode, median(tps),
                Arrays.toString(Arrays.stream(tps).map(v -> Math.round(v * 10) / 10.0).toArray()), median(first),
                first[first.length - 1], median(total), total[total.length - 1], tokens);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}
