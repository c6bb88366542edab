package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.npu4j.Emulator;
import org.npu4j.llm.Capability;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * {@code npu4j serve --batch N} over HTTP on the emulated RKLLM Qwen3 0.6B: concurrent requests become
 * one RKLLM batch (one emulator run), each client gets the answer it gets from a serial server, a client
 * that leaves mid-batch does not disturb the others, the queue stays bounded.
 */
class ServeBatchTest {
    static final String RUNS = "npu4j_emulator_run_count";
    static final List<String> PROMPTS = List.of("Tell me about rivers.", "Why is the sky blue?",
            "Describe a mountain village.", "What does an NPU do?");
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void noDelays() {
        Emulator.speed(0);
        http.close();
    }

    /** A server whose model runs batches of {@code batch}, waiting up to {@code window} for a batch to fill. */
    static NpuServer batchServer(int batch, int queueDepth, Duration window) {
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put(TestServer.MODEL, new ServedModel(TestServer.MODEL, () -> LanguageModel.openEmulator(TestServer.PROFILE,
                LoadOptions.DEFAULTS.withName(TestServer.MODEL).withOption("batch", Integer.toString(batch))), queueDepth,
                batch, window));
        NpuServer.Config lo = NpuServer.Config.loopback();
        try {
            return NpuServer.start(new NpuServer.Config(lo.host(), 0, null, lo.maxBodyBytes(), queueDepth), models);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String body(String prompt, boolean stream) {
        return "{\"model\":\"" + TestServer.MODEL + "\",\"stream\":" + stream + ",\"reasoning_effort\":\"none\","
                + "\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}";
    }

    /** The streamed answers of a serial server (no batches), one request after the other. */
    List<String> aloneAnswers() throws Exception {
        List<String> out = new ArrayList<>();
        try (NpuServer serial = TestServer.start()) {
            for (String p : PROMPTS) {
                out.add(stream(serial, p, 0, new CountDownLatch(1)));
            }
        }
        return out;
    }

    static HttpRequest post(NpuServer s, String body) {
        return HttpRequest.newBuilder(URI.create(s.baseUrl() + "/v1/chat/completions")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /**
     * Streams one answer; returns its content, or null after closing the connection once
     * {@code disconnectAfter} content chunks arrived (0: never).
     */
    String stream(NpuServer s, String prompt, int disconnectAfter, CountDownLatch started) throws Exception {
        HttpResponse<InputStream> r = http.send(post(s, body(prompt, true)), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        StringBuilder content = new StringBuilder();
        int chunks = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("data: [DONE]")) {
                    return content.toString();
                }
                if (!line.startsWith("data: ")) {
                    continue;
                }
                JsonNode delta = Http.JSON.readTree(line.substring(6)).path("choices").path(0).path("delta");
                if (delta.has("role")) {
                    started.countDown();
                }
                if (delta.path("content").isTextual() && !delta.has("role")) {
                    content.append(delta.path("content").asText());
                    if (++chunks == disconnectAfter) {
                        return null; // closing the stream closes the connection
                    }
                }
            }
        }
        throw new AssertionError("stream ended without [DONE]");
    }

    /** Runs the prompts concurrently; client {@code leaver} (or -1: none) disconnects after 3 chunks. */
    List<String> concurrently(NpuServer s, int leaver) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(PROMPTS.size());
        List<Future<String>> fs = new ArrayList<>();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < PROMPTS.size(); i++) {
                String p = PROMPTS.get(i);
                int after = i == leaver ? 3 : 0;
                fs.add(clients.submit(() -> {
                    go.await();
                    return stream(s, p, after, started);
                }));
            }
            go.countDown();
        }
        List<String> out = new ArrayList<>();
        for (Future<String> f : fs) {
            out.add(f.get());
        }
        return out;
    }

    @Test
    @Timeout(120)
    void concurrentRequestsBecomeOneBatchAndEachClientGetsItsOwnAnswer() throws Exception {
        List<String> alone = aloneAnswers();
        // a long window: the batch runs as soon as it is full, so the test does not depend on timing
        try (NpuServer server = batchServer(4, 8, Duration.ofSeconds(30))) {
            ServedModel m = server.model(TestServer.MODEL);
            assertTrue(m.model().info().capabilities().contains(Capability.BATCH));
            assertNotNull(m.scheduler());
            long runs = Emulator.counter(RUNS);
            List<String> got = concurrently(server, -1);
            assertEquals(runs + 1, Emulator.counter(RUNS), "four concurrent requests, one emulator run");
            assertEquals(1, m.scheduler().batches.sum());
            assertEquals(4, m.scheduler().entries.sum());
            alone.forEach(a -> assertTrue(a.length() > 40, "a real answer: " + a));
            assertEquals(alone, got, "each client got the answer a serial server gives it");
            assertEquals(0, m.inFlight());
            String metrics = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("npu4j_batches_total{model=\"qwen3-emu\",emulator=\"true\"} 1\n"), metrics);
            assertTrue(metrics.contains("npu4j_batch_entries_total{model=\"qwen3-emu\",emulator=\"true\"} 4\n"), metrics);
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    @Test
    @Timeout(120)
    void aClientLeavingMidBatchLeavesTheOthersAnswersIntact() throws Exception {
        List<String> alone = aloneAnswers();
        Emulator.speed(0.2); // the answers take about a second: the client leaves while the batch runs
        try (NpuServer server = batchServer(4, 8, Duration.ofSeconds(30))) {
            ServedModel m = server.model(TestServer.MODEL);
            long runs = Emulator.counter(RUNS);
            List<String> got = concurrently(server, 1);
            assertNull(got.get(1));
            for (int i : new int[] {0, 2, 3}) {
                assertEquals(alone.get(i), got.get(i), "client " + i);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (m.aborted.sum() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, m.aborted.sum(), "the leaving client's entry was stopped");
            assertEquals(runs + 1, Emulator.counter(RUNS), "the others went on in the same run");
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    @Test
    void aModelThatCannotBatchServesOneRequestAtATime() throws Exception {
        // the AXCL runner has no batches: batch=4 is ignored (info log), --batch 4 falls back to serial serving
        try (ServedModel m = new ServedModel("ax", () -> LanguageModel.openEmulator("ax650n-tiny",
                LoadOptions.DEFAULTS.withOption("batch", "4")), 2, 4, Duration.ofMillis(20))) {
            m.firstLoad().get(60, TimeUnit.SECONDS);
            assertNull(m.scheduler());
            assertEquals(1, m.runningPlaces());
            assertFalse(m.info().capabilities().contains(Capability.BATCH));
        }
    }

    @Test
    @Timeout(120)
    void aFullQueueIsRefusedWith429() throws Exception {
        Emulator.speed(0.2);
        // two running places (batch 2), no waiting place
        try (NpuServer server = batchServer(2, 0, Duration.ofSeconds(30))) {
            ServedModel m = server.model(TestServer.MODEL);
            CountDownLatch started = new CountDownLatch(2);
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<String> a = clients.submit(() -> stream(server, PROMPTS.get(0), 0, started));
                Future<String> b = clients.submit(() -> stream(server, PROMPTS.get(1), 0, started));
                assertTrue(started.await(30, TimeUnit.SECONDS), "both admitted");
                HttpResponse<String> r = http.send(post(server, body(PROMPTS.get(2), false)),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(429, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
                assertNotNull(a.get());
                assertNotNull(b.get());
            }
            assertEquals(1, m.refused.sum());
            assertEquals(1, m.scheduler().batches.sum(), "the two admitted requests ran as one batch");
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }
}
