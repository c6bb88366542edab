package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.npu4j.Emulator;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * Clients that go away on a {@code --batch 2} server (emulated RKLLM Qwen3 0.6B with {@code batch=2}), the
 * batch worker held before its first batch reaches the emulator ({@link HeldModel}): a streaming client
 * (OpenAI SSE or Ollama NDJSON) that leaves while it waits for a batch is dropped before any batch runs
 * it; a non-streaming client that leaves has its batch entry stopped at its first tokens while the other
 * entry's answer goes on unchanged.
 */
class ServeBatchDisconnectTest {
    static final String RUNS = "npu4j_emulator_run_count";

    static NpuServer batchServer(HeldModel held, Duration window) throws Exception {
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put(TestServer.MODEL, new ServedModel(TestServer.MODEL, held::load, 4, 2, window));
        NpuServer server = NpuServer.start(NpuServer.Config.loopback(), models);
        assertTrue(server.awaitLoaded(Duration.ofSeconds(60)).isEmpty());
        assertNotNull(server.model(TestServer.MODEL).scheduler(), "served in batches");
        return server;
    }

    static HeldModel held() {
        return new HeldModel(() -> LanguageModel.openEmulator(TestServer.PROFILE,
                LoadOptions.DEFAULTS.withName(TestServer.MODEL).withOption("batch", "2")), 1);
    }

    static String body(String path, int tokens, boolean stream) {
        return path.startsWith("/api") ? ServeDisconnectTest.ollama(tokens, stream) : ServeDisconnectTest.openAi(tokens, stream);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/api/chat"})
    @Timeout(120)
    void aStreamingClientThatLeavesWhileQueuedIsDroppedBeforeItsBatchRuns(String path) throws Exception {
        HeldModel held = held();
        // window 0: a batch runs what waits at once, so the first request runs alone and holds the worker
        NpuServer server = batchServer(held, Duration.ZERO);
        ServedModel model = server.model(TestServer.MODEL);
        long runs = Emulator.counter(RUNS);
        try (Socket a = RawHttp.post(server, path, body(path, 8, true))) {
            assertTrue(held.holding.await(20, TimeUnit.SECONDS), "the first batch holds the worker");
            Socket b = RawHttp.post(server, path, body(path, 8, true));
            String head = RawHttp.head(b.getInputStream()); // the scheduler's first probe committed 200
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            b.close();
            ServeDisconnectTest.await(() -> model.droppedQueued.sum() > 0);
            assertEquals(1, model.droppedQueued.sum(), "the waiting request of the closed client was dropped");
            assertTrue(RawHttp.get(server, "/metrics").body().contains("npu4j_queue_dropped_total{model=\""
                    + TestServer.MODEL + "\",emulator=\"true\"} 1"), "counted in /metrics");
            try (Socket c = RawHttp.post(server, path, body(path, 8, true))) {
                ServeDisconnectTest.await(() -> model.scheduler().waiting() == 1);
                assertEquals(1, model.scheduler().waiting(), "c waits for the next batch");
                held.release.countDown();
                assertComplete(path, RawHttp.read(a.getInputStream()));
                assertComplete(path, RawHttp.read(c.getInputStream()));
            }
            assertEquals(2, model.scheduler().batches.sum(), "a's batch and c's");
            assertEquals(2, model.scheduler().entries.sum(), "b was in none");
            assertEquals(runs + 2, Emulator.counter(RUNS), "two emulator runs");
            assertEquals(0, model.aborted.sum(), "no entry was stopped: b never ran");
        } finally {
            held.release.countDown();
            server.close();
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    private static void assertComplete(String path, RawHttp.Response r) throws Exception {
        assertEquals(200, r.status(), r.body());
        if (path.startsWith("/api")) {
            var ls = ServeDisconnectTest.lines(r.body());
            assertTrue(ls.get(ls.size() - 1).get("done").asBoolean(), r.body());
        } else {
            assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/api/chat"})
    @Timeout(120)
    void aNonStreamingClientThatLeavesStopsItsEntryAndTheOtherAnswerGoesOn(String path) throws Exception {
        String alone;
        try (NpuServer serial = TestServer.start()) {
            alone = text(path, RawHttp.exchange(serial, path, body(path, 8, false)));
        }
        HeldModel held = held();
        // a long window: the batch runs once both requests are in it
        NpuServer server = batchServer(held, Duration.ofSeconds(30));
        ServedModel model = server.model(TestServer.MODEL);
        long runs = Emulator.counter(RUNS);
        try (Socket a = RawHttp.post(server, path, body(path, 8, false))) {
            try (Socket b = RawHttp.post(server, path, body(path, 2000, false))) {
                assertTrue(held.holding.await(20, TimeUnit.SECONDS), "the batch of a and b is held");
            } // b leaves before its entry's first token
            held.release.countDown();
            RawHttp.Response r = RawHttp.read(a.getInputStream());
            assertEquals(alone, text(path, r), "a's answer as on a serial server");
            ServeDisconnectTest.await(() -> model.aborted.sum() > 0);
            assertEquals(1, model.aborted.sum(), "b's entry was stopped");
            assertEquals(1, model.scheduler().batches.sum());
            assertEquals(2, model.scheduler().entries.sum());
            assertEquals(runs + 1, Emulator.counter(RUNS), "one emulator run for both");
        } finally {
            held.release.countDown();
            server.close();
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    /** The answer's text; checks a non-streaming body (status 200, after a space per token). */
    static String text(String path, RawHttp.Response r) throws Exception {
        assertEquals(200, r.status(), r.body());
        JsonNode n = Http.JSON.readTree(r.body());
        String t = path.startsWith("/api") ? n.path("message").path("content").asText()
                : n.path("choices").path(0).path("message").path("content").asText();
        assertTrue(!t.isEmpty(), r.body());
        return t;
    }
}
