package org.npu4j.serve;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.npu4j.Emulator;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.TokenListener;

/**
 * Benchmark (not a test) of the server's own costs against the in-process API, in one run on one
 * machine: start to the first {@code /v1/models} answer; per-token cost of SSE streaming over loopback
 * against {@code generate} with a no-op listener (emulator without delays, so the model costs the
 * same in both); time to the first content byte against the model's TTFT (emulator at board timing).
 * Run: {@code java -cp <test classpath> org.npu4j.serve.ServeBench [runs]}.
 */
public final class ServeBench {
    private ServeBench() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        Emulator.speed(0);
        long t0 = System.nanoTime();
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put("m", new ServedModel("m", () -> LanguageModel.openEmulator(TestServer.PROFILE, LoadOptions.DEFAULTS), 8));
        long loaded = System.nanoTime();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (NpuServer server = NpuServer.start(NpuServer.Config.loopback(), models)) {
            HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long first = System.nanoTime();
            System.out.printf("start: model load %.1f ms, server start to first /v1/models answer (%d) %.1f ms%n",
                    (loaded - t0) / 1e6, m.statusCode(), (first - loaded) / 1e6);
            LanguageModel lm = models.get("m").model();
            int maxTokens = 256;
            LlmRequest req = LlmRequest.builder().message(ChatMessage.user("Tell me a long story.")).thinking(false)
                    .maxNewTokens(maxTokens).build();
            String body = "{\"model\":\"m\",\"stream\":true,\"reasoning_effort\":\"none\",\"max_tokens\":" + maxTokens
                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}]}";
            double[] api = new double[runs];
            double[] sse = new double[runs];
            double[] raw = new double[runs];
            for (int i = -5; i < runs; i++) { // 5 warm-up rounds
                long a = System.nanoTime();
                Completion c = lm.generate(req, TokenListener.NONE);
                double apiPerToken = (System.nanoTime() - a) / 1e3 / c.tokenCount();
                long b = System.nanoTime();
                int[] events = new int[1];
                stream(http, server, body, events, null);
                double ssePerToken = (System.nanoTime() - b) / 1e3 / c.tokenCount();
                long d = System.nanoTime();
                rawStream(server, body);
                double rawPerToken = (System.nanoTime() - d) / 1e3 / c.tokenCount();
                if (i >= 0) {
                    api[i] = apiPerToken;
                    sse[i] = ssePerToken;
                    raw[i] = rawPerToken;
                }
            }
            Arrays.sort(api);
            Arrays.sort(sse);
            Arrays.sort(raw);
            System.out.printf("per token, raw socket client (no HTTP client library): %.1f us, streaming cost %.1f us%n",
                    raw[runs / 2], raw[runs / 2] - api[runs / 2]);
            System.out.printf("per token (emulator speed 0, %d tokens, median of %d): in-process %.1f us, SSE over"
                    + " loopback %.1f us, streaming cost %.1f us%n", maxTokens, runs, api[runs / 2], sse[runs / 2],
                    sse[runs / 2] - api[runs / 2]);

            Emulator.speed(1);
            LlmRequest shortReq = req.toBuilder().maxNewTokens(4).build();
            String shortBody = body.replace("\"max_tokens\":" + maxTokens, "\"max_tokens\":4");
            int n = Math.max(5, runs / 3);
            double[] ttft = new double[n];
            double[] ttfb = new double[n];
            for (int i = 0; i < n; i++) {
                ttft[i] = lm.generate(shortReq, TokenListener.NONE).timings().ttftNanos() / 1e6;
                long[] firstContent = new long[i == 0 ? 2 : 1];
                long b = System.nanoTime();
                stream(http, server, shortBody, new int[1], firstContent);
                ttfb[i] = (firstContent[0] - b) / 1e6;
            }
            Arrays.sort(ttft);
            Arrays.sort(ttfb);
            System.out.printf("first token (emulator speed 1, median of %d): model TTFT %.2f ms, first content byte"
                    + " over HTTP %.2f ms, difference %.2f ms%n", n, ttft[n / 2], ttfb[n / 2], ttfb[n / 2] - ttft[n / 2]);
        } finally {
            Emulator.speed(0);
            http.close();
        }
    }

    /** POSTs {@code body} over a plain socket and reads the response bytes up to {@code data: [DONE]}. */
    private static void rawStream(NpuServer server, String body) throws Exception {
        try (java.net.Socket sock = new java.net.Socket(server.address().getAddress(), server.address().getPort())) {
            sock.setTcpNoDelay(true);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            sock.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                    + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            sock.getOutputStream().write(b);
            InputStream in = sock.getInputStream();
            byte[] buf = new byte[65536];
            while (in.read(buf) >= 0) {
                // until the server closes (Connection: close) after [DONE]
            }
        }
    }

    private static void stream(HttpClient http, NpuServer server, String body, int[] events, long[] firstContent)
            throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (firstContent != null && firstContent[0] == 0 && line.startsWith("data: ")
                        && !line.contains("\"role\"")) {
                    firstContent[0] = System.nanoTime();
                    if (firstContent.length > 1) {
                        System.out.println("  first event: " + line.substring(Math.max(0, line.indexOf("\"delta\""))));
                    }
                }
                if (line.startsWith("data: ")) {
                    events[0]++;
                }
            }
        }
    }
}
