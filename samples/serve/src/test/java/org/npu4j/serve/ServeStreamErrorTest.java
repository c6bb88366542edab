package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.ReasoningEffort;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;

/**
 * A runtime failure after a streaming answer opened (the emulator fails the run after a few tokens,
 * {@code NPU4J_EMULATOR_DIE_AFTER_TOKENS}): OpenAI SSE ends with the error event in OpenAI's shape and
 * {@code data: [DONE]}, Ollama NDJSON with an {@code {"error": "..."}} line, nothing else after either; the
 * route counts the failure ({@code npu4j_http_errors_total}); the clients report an error, not a cut answer.
 */
class ServeStreamErrorTest {
    static NpuServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("none").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    @AfterEach
    void noFault() {
        EmulatorEnv.unset(EmulatorEnv.DIE_AFTER_TOKENS);
    }

    /** The SSE blocks of a body, as sent: each {@code data: ...} (comments would be kept too). */
    static List<String> blocks(String sse) {
        assertTrue(sse.endsWith("\n\n"), "ends with a complete event: " + sse);
        return List.of(sse.split("\n\n"));
    }

    /** The errors counted by the route, from {@code /metrics}. */
    static long errors() throws java.io.IOException {
        for (String l : RawHttp.get(server, "/metrics").body().split("\n")) {
            if (l.startsWith("npu4j_http_errors_total ")) {
                return Long.parseLong(l.substring(l.indexOf(' ') + 1).strip());
            }
        }
        throw new AssertionError("no npu4j_http_errors_total in /metrics");
    }

    /** role delta, content deltas (the tokens before the failure), the error event, [DONE]: nothing else. */
    static void assertErrorEnd(String body, boolean chat, boolean usage) throws Exception {
        List<String> b = blocks(body);
        assertEquals("data: [DONE]", b.get(b.size() - 1), body);
        JsonNode error = Http.JSON.readTree(b.get(b.size() - 2).substring("data: ".length()));
        assertEquals(List.of("error"), iterable(error.fieldNames()), "only the error object, no usage: " + body);
        JsonNode e = error.get("error");
        assertEquals(List.of("message", "type", "param", "code"), iterable(e.fieldNames()), body);
        assertEquals("server_error", e.get("type").asText(), body);
        assertTrue(e.get("message").asText().contains("RKLLM_RUN_ERROR"), "names the runtime's failure: " + body);
        assertTrue(e.get("param").isNull() && e.get("code").isNull(), body);
        List<JsonNode> before = new ArrayList<>();
        for (String s : b.subList(0, b.size() - 2)) {
            assertTrue(s.startsWith("data: {"), "only data events before the error: " + body);
            before.add(Http.JSON.readTree(s.substring(6)));
        }
        int first = 0;
        if (chat) {
            assertEquals("assistant", before.get(0).at("/choices/0/delta/role").asText(), "the role delta first: " + body);
            first = 1;
        }
        assertTrue(before.size() - first >= 1 && before.size() - first <= 4,
                "a delta per token delivered before the failure (4): " + body);
        for (JsonNode n : before.subList(first, before.size())) {
            JsonNode choice = n.at("/choices/0");
            assertTrue(choice.get("finish_reason").isNull(), "no finish chunk: " + body);
            assertTrue((chat ? choice.at("/delta/content") : choice.get("text")).isTextual(), body);
            assertEquals(usage, n.has("usage"), "usage: null only when asked: " + body);
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void anOpenAiStreamThatFailsEndsWithTheErrorEventAndDone() throws Exception {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "4");
        long errors = errors();
        RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", ServeDisconnectTest.openAi(48, true));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.head().contains("text/event-stream"), r.head());
        assertErrorEnd(r.body(), true, false);
        assertEquals(errors + 1, errors(), "counted by the route");

        r = RawHttp.exchange(server, "/v1/chat/completions", "{\"model\":\"" + TestServer.MODEL + "\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"reasoning_effort\":\"none\",\"max_tokens\":48,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}]}");
        assertErrorEnd(r.body(), true, true);
        assertEquals(errors + 2, errors());

        EmulatorEnv.unset(EmulatorEnv.DIE_AFTER_TOKENS);
        r = RawHttp.exchange(server, "/v1/chat/completions", ServeDisconnectTest.openAi(8, true));
        assertEquals("data: [DONE]", blocks(r.body()).getLast(), "the server keeps serving: " + r.body());
        assertEquals(errors + 2, errors());
    }

    @Test
    void anOllamaStreamThatFailsEndsWithTheErrorLine() throws Exception {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "4");
        long errors = errors();
        for (String path : List.of("/api/chat", "/api/generate")) {
            RawHttp.Response r = RawHttp.exchange(server, path, path.equals("/api/chat") ? ServeDisconnectTest.ollama(48, true)
                    : "{\"model\":\"" + TestServer.MODEL + "\",\"think\":false,\"prompt\":\"Tell me a story\","
                            + "\"options\":{\"num_predict\":48}}");
            assertEquals(200, r.status(), r.body());
            List<JsonNode> ls = ServeDisconnectTest.lines(r.body());
            JsonNode last = ls.getLast();
            assertEquals(List.of("error"), iterable(last.fieldNames()), "the error line is {\"error\": ...}: " + r.body());
            assertTrue(last.get("error").asText().contains("RKLLM_RUN_ERROR"), r.body());
            assertTrue(ls.size() - 1 >= 1 && ls.size() - 1 <= 4, "a line per token before it: " + r.body());
            for (JsonNode l : ls.subList(0, ls.size() - 1)) {
                assertFalse(l.get("done").asBoolean(), "no done line: " + r.body());
            }
        }
        assertEquals(errors + 2, errors(), "counted by the route");
    }

    /** The non-streaming bodies: the spaces, then only the error object (ServeJsonAnswerTest has the shape). */
    @Test
    void aNonStreamingAnswerThatFailsIsTheErrorObjectAlone() throws Exception {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "4");
        long errors = errors();
        RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", ServeDisconnectTest.openAi(48, false));
        String json = r.body().substring(ServeJsonAnswerTest.spaces(r.body()));
        JsonNode n = Http.JSON.readTree(json);
        assertEquals(Http.JSON.writeValueAsString(n), json, "one object, nothing after it");
        assertEquals(List.of("error"), iterable(n.fieldNames()), json);
        assertEquals("server_error", n.at("/error/type").asText(), json);

        r = RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(48, false));
        json = r.body().substring(ServeJsonAnswerTest.spaces(r.body()));
        n = Http.JSON.readTree(json);
        assertEquals(Http.JSON.writeValueAsString(n), json, "one object, nothing after it");
        assertEquals(List.of("error"), iterable(n.fieldNames()), json);
        assertEquals(errors + 2, errors(), "counted by the route");
    }

    /** openai-java reads the error event as an exception carrying the message, not as a cut answer. */
    @Test
    void openAiJavaThrowsOnTheErrorEvent() {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "4");
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model(TestServer.MODEL)
                .addUserMessage("Tell me a story.").reasoningEffort(ReasoningEffort.NONE).maxCompletionTokens(48)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        RuntimeException e = assertThrows(RuntimeException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(p)) {
                s.stream().forEach(chunks::add);
            }
        });
        assertTrue(String.valueOf(e.getMessage()).contains("RKLLM_RUN_ERROR"), "the server's message: " + e);
        assertFalse(chunks.isEmpty(), "the deltas before the failure were delivered");
        assertTrue(chunks.stream().allMatch(c -> c.choices().stream().allMatch(ch -> ch.finishReason().isEmpty())),
                "no finish reason: the answer is not taken as complete");
    }

    /** LangChain4j's Ollama client reads the error line ({@code error}) and calls onError. */
    @Test
    void langChain4jOllamaReportsTheErrorLine() {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "4");
        StreamingChatModel m = OllamaStreamingChatModel.builder().baseUrl(server.baseUrl()).modelName(TestServer.MODEL)
                .numPredict(48).think(false).timeout(Duration.ofSeconds(60)).build();
        ExecutionException e = assertThrows(ExecutionException.class, () -> LangChain4jClientsTest.chat(m,
                ChatRequest.builder().messages(UserMessage.from("Tell me a story.")).build()));
        assertNotNull(e.getCause());
        assertTrue(String.valueOf(e.getCause().getMessage()).contains("RKLLM_RUN_ERROR"), "the server's message: " + e);
    }
}
