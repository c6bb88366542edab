package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.npu4j.Emulator;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * Clients that go away on a serial server, with the model's one place held by a run that waits before it
 * starts ({@link HeldModel}): an Ollama NDJSON client that leaves while queued is dropped before its run
 * (probed with spaces, which Ollama clients read as leading whitespace of the first line); a non-streaming
 * client that leaves is noticed at its run's first tokens (a space per token) and its run stopped.
 */
class ServeDisconnectTest {
    static final String OLLAMA = "{\"model\":\"" + TestServer.MODEL + "\",\"think\":false,\"options\":{\"num_predict\":%d},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}]%s}";
    static final String OPENAI = "{\"model\":\"" + TestServer.MODEL + "\",\"reasoning_effort\":\"none\",\"max_tokens\":%d,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}]%s}";

    static String ollama(int tokens, boolean stream) {
        return String.format(OLLAMA, tokens, stream ? "" : ",\"stream\":false");
    }

    static String openAi(int tokens, boolean stream) {
        return String.format(OPENAI, tokens, ",\"stream\":" + stream);
    }

    /** A serial server over {@code held}. */
    static NpuServer serve(HeldModel held) throws Exception {
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put(TestServer.MODEL, new ServedModel(TestServer.MODEL, held::load, 4));
        NpuServer server = NpuServer.start(NpuServer.Config.loopback(), models);
        assertTrue(server.awaitLoaded(Duration.ofSeconds(60)).isEmpty());
        return server;
    }

    static HeldModel held(int run) {
        return new HeldModel(() -> LanguageModel.openEmulator(TestServer.PROFILE,
                LoadOptions.DEFAULTS.withName(TestServer.MODEL)), run);
    }

    /** Waits (at most 20 s) for {@code done}; the assertion after it says what was expected. */
    static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** NDJSON lines, each parsed (a blank line would fail: every line must be an object). */
    static List<JsonNode> lines(String body) throws IOException {
        assertTrue(body.endsWith("}\n"), "ends with a complete line: " + body);
        List<JsonNode> out = new java.util.ArrayList<>();
        for (String l : body.split("\n")) {
            assertFalse(l.isBlank(), "no whitespace-only line: " + body);
            JsonNode n = Http.JSON.readTree(l);
            assertTrue(n != null && n.isObject(), "a JSON object per line: " + l);
            out.add(n);
        }
        return out;
    }

    @Test
    @Timeout(120)
    void anOllamaStreamingClientThatLeavesWhileQueuedIsDroppedBeforeItsRun() throws Exception {
        HeldModel held = held(1);
        NpuServer server = serve(held);
        ServedModel model = server.model(TestServer.MODEL);
        try (Socket a = RawHttp.post(server, "/api/chat", ollama(8, true))) {
            assertTrue(held.holding.await(20, TimeUnit.SECONDS), "the first run holds the place");
            Socket b = RawHttp.post(server, "/api/chat", ollama(8, true));
            // the first probe commits the status: 200 and the NDJSON headers while b waits
            String head = RawHttp.head(b.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.contains("application/x-ndjson"), head);
            b.close();
            await(() -> model.droppedQueued.sum() > 0);
            assertEquals(1, model.droppedQueued.sum(), "the queued request of the closed client was dropped");
            assertTrue(RawHttp.get(server, "/metrics").body().contains("npu4j_queue_dropped_total{model=\""
                    + TestServer.MODEL + "\",emulator=\"true\"} 1"), "counted in /metrics");
            assertEquals(1, held.runs.get(), "only the held run started");
            held.release.countDown();
            RawHttp.Response r = RawHttp.read(a.getInputStream());
            List<JsonNode> ls = lines(r.body());
            assertTrue(ls.get(ls.size() - 1).get("done").asBoolean(), r.body());
        } finally {
            held.release.countDown();
            server.close();
        }
        assertEquals(1, held.runs.get(), "the dropped request never ran");
        assertEquals(0, model.aborted.sum());
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    @Test
    @Timeout(120)
    void ollamaClientsReadTheProbesAsLeadingWhitespaceOfTheFirstLine() throws Exception {
        HeldModel held = held(2); // run 1: the reference answer; run 2 holds the place; then the queued ones
        NpuServer server = serve(held);
        ServedModel model = server.model(TestServer.MODEL);
        StreamingChatModel lc4j = OllamaStreamingChatModel.builder().baseUrl(server.baseUrl()).modelName(TestServer.MODEL)
                .numPredict(16).think(false).timeout(Duration.ofSeconds(60)).build();
        ChatRequest ask = ChatRequest.builder().messages(UserMessage.from("Why is the sky blue?")).build();
        try {
            LangChain4jClientsTest.Streamed alone = LangChain4jClientsTest.chat(lc4j, ask);
            try (Socket a = RawHttp.post(server, "/api/chat", ollama(8, true))) {
                assertTrue(held.holding.await(20, TimeUnit.SECONDS), "the second run holds the place");
                CompletableFuture<LangChain4jClientsTest.Streamed> queued = CompletableFuture.supplyAsync(() -> {
                    try {
                        return LangChain4jClientsTest.chat(lc4j, ask);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                await(() -> model.waitingForTurn() == 1);
                assertEquals(1, model.waitingForTurn(), "the LangChain4j request waits for its turn");
                try (Socket c = RawHttp.post(server, "/api/chat", ollama(8, true))) {
                    await(() -> model.waitingForTurn() == 2);
                    assertEquals(2, model.waitingForTurn(), "and the raw one behind it");
                    // a request that waited is probed at least twice when its turn comes (awaitTurn)
                    held.release.countDown();
                    LangChain4jClientsTest.Streamed got = queued.get(60, TimeUnit.SECONDS);
                    assertFalse(alone.partials().isEmpty());
                    assertEquals(alone.partials(), got.partials(), "the same answer after the probes");
                    assertEquals(alone.response().aiMessage().text(), got.response().aiMessage().text());
                    assertEquals(alone.response().tokenUsage().outputTokenCount(),
                            got.response().tokenUsage().outputTokenCount());
                    RawHttp.Response r = RawHttp.read(c.getInputStream());
                    assertEquals(200, r.status());
                    assertTrue(r.body().matches("(?s) {2,}\\{.*"), "the probes lead the first line: " + r.body());
                    List<JsonNode> ls = lines(r.body());
                    assertTrue(ls.get(ls.size() - 1).get("done").asBoolean(), r.body());
                }
                RawHttp.read(a.getInputStream());
            }
        } finally {
            held.release.countDown();
            server.close();
        }
        assertEquals(0, model.droppedQueued.sum());
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    /**
     * A non-streaming client that leaves while queued is not dropped there (its answer must not commit 200
     * while it waits), but its run stops within its first tokens: the first space after the close provokes
     * the peer's reset, the next write fails.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/api/chat"})
    @Timeout(120)
    void aNonStreamingClientThatLeftIsNoticedAtItsRunsFirstTokens(String path) throws Exception {
        HeldModel held = held(1);
        NpuServer server = serve(held);
        ServedModel model = server.model(TestServer.MODEL);
        boolean ollama = path.startsWith("/api");
        try (Socket a = RawHttp.post(server, path, ollama ? ollama(8, true) : openAi(8, true))) {
            assertTrue(held.holding.await(20, TimeUnit.SECONDS), "the first run holds the place");
            try (Socket b = RawHttp.post(server, path, ollama ? ollama(2000, false) : openAi(2000, false))) {
                await(() -> model.waitingForTurn() == 1);
                assertEquals(1, model.waitingForTurn(), "b waits for its turn");
            } // b leaves
            held.release.countDown();
            assertEquals(200, RawHttp.read(a.getInputStream()).status());
            await(() -> model.aborted.sum() > 0);
            assertEquals(1, model.aborted.sum(), "b's run was stopped");
            assertEquals(2, held.runs.get(), "b's run started: it was not dropped while it waited");
            assertEquals(0, model.droppedQueued.sum());
            int tokens = held.tokens.get(1).get();
            assertTrue(tokens >= 1 && tokens <= 3, "stopped within a token or two of its first, not after 2000: "
                    + tokens);
        } finally {
            held.release.countDown();
            server.close();
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }
}
