package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ReasoningEffort;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.npu4j.Emulator;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * A long tool call, which the answer splitter holds back until it ends, so its tokens write nothing to the
 * client: the server probes the client during it (an SSE comment, an NDJSON leading space, at most every
 * {@value ServedModel#PROBE_MILLIS} ms), so a client that leaves mid-call stops the run long before the call
 * (and the max tokens) ends, and one that stays gets a well-formed stream that the clients read.
 *
 * <p>The emulator names the call's string argument after the longest run of capitalised words in the
 * user's message ({@code native/emulator/rkllm/src/emu_runtime.c}, guess_string_arg), so a message with
 * {@value #WORDS} of them gives a call of hundreds of tokens. The runs must last for a probe to be due:
 * {@code NPU4J_EMULATOR_SPEED=0.1} (about 3 ms per token), set for this class's runs only.
 */
class ServeToolProbeTest {
    static final String SPEED = "NPU4J_EMULATOR_SPEED";
    static final int WORDS = 160;
    static final int MAX = 3000;
    static final String[] NAMES = {"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India",
        "Juliett", "Kilo", "Lima", "Mike", "November", "Oscar", "Papa"};
    static HeldModel held;
    static NpuServer server;
    static ServedModel model;
    /** The tokens of the whole tool call, measured by a client that stays. */
    static int fullCall;

    static String place() {
        StringBuilder sb = new StringBuilder("Oslo");
        for (int i = 0; i < WORDS; i++) {
            sb.append(' ').append(NAMES[i % NAMES.length]);
        }
        return sb.toString();
    }

    static String ask() {
        return "Use get_weather for " + place();
    }

    static String openAi(boolean stream) {
        return "{\"model\":\"" + TestServer.MODEL + "\",\"stream\":" + stream + ",\"reasoning_effort\":\"none\","
                + "\"max_tokens\":" + MAX + ",\"tools\":[" + OpenAiProtocolTest.WEATHER_TOOL + "],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + ask() + "\"}]}";
    }

    static String ollama() {
        return "{\"model\":\"" + TestServer.MODEL + "\",\"think\":false,\"options\":{\"num_predict\":" + MAX + "},"
                + "\"tools\":[" + OpenAiProtocolTest.WEATHER_TOOL + "],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + ask() + "\"}]}";
    }

    @BeforeAll
    static void start() throws Exception {
        EmulatorEnv.set(SPEED, "0.1");
        held = new HeldModel(() -> LanguageModel.openEmulator(TestServer.PROFILE,
                LoadOptions.DEFAULTS.withName(TestServer.MODEL).withContextLength(4096)), 0);
        server = ServeDisconnectTest.serve(held);
        model = server.model(TestServer.MODEL);
    }

    @AfterAll
    static void stop() {
        server.close();
        EmulatorEnv.set(SPEED, System.getenv().getOrDefault(SPEED, "0"));
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    /** The tokens of the last run. */
    static int lastRunTokens() {
        return held.tokens.getLast().get();
    }

    /** Once per class: a client that stays, whose run's tokens are the whole call's. */
    static synchronized int fullCall() throws Exception {
        if (fullCall == 0) {
            RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", openAi(false));
            JsonNode n = Http.JSON.readTree(r.body());
            assertEquals("tool_calls", n.at("/choices/0/finish_reason").asText(), r.body());
            fullCall = n.at("/usage/completion_tokens").asInt();
            assertTrue(fullCall >= 150 && fullCall < MAX, "a long call, complete before max_tokens: " + fullCall);
        }
        return fullCall;
    }

    @Test
    @Timeout(120)
    void anSseClientThatStaysGetsProbesAndTheCall() throws Exception {
        RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", openAi(true));
        assertEquals(200, r.status());
        List<String> blocks = ServeStreamErrorTest.blocks(r.body());
        assertEquals("data: [DONE]", blocks.getLast(), r.body());
        int probes = 0;
        JsonNode call = null;
        JsonNode last = null;
        for (String b : blocks.subList(0, blocks.size() - 1)) {
            if (b.startsWith(":")) {
                assertEquals(": waiting", b, "a comment line: " + r.body());
                assertTrue(call == null, "probes only while the call is held back: " + r.body());
                probes++;
                continue;
            }
            assertTrue(b.startsWith("data: {"), r.body());
            last = Http.JSON.readTree(b.substring(6));
            JsonNode tc = last.at("/choices/0/delta/tool_calls");
            if (!tc.isMissingNode()) {
                assertTrue(call == null, "one call: " + r.body());
                call = tc.get(0);
            }
        }
        assertTrue(probes >= 1, "the client was probed during the call: " + r.body());
        assertTrue(call != null, r.body());
        assertEquals("get_weather", call.at("/function/name").asText());
        assertEquals(place(), Http.JSON.readTree(call.at("/function/arguments").asText()).get("city").asText());
        assertEquals("tool_calls", last.at("/choices/0/finish_reason").asText(), r.body());
    }

    @Test
    @Timeout(120)
    void anNdjsonClientThatStaysGetsProbesAsLeadingSpaces() throws Exception {
        RawHttp.Response r = RawHttp.exchange(server, "/api/chat", ollama());
        assertEquals(200, r.status());
        List<JsonNode> ls = ServeDisconnectTest.lines(r.body());
        assertTrue(r.body().startsWith(" ") || r.body().contains("\n "), "probes lead a line: " + r.body());
        JsonNode calls = null;
        for (JsonNode l : ls) {
            if (l.at("/message/tool_calls").isArray()) {
                calls = l.at("/message/tool_calls");
            }
        }
        assertTrue(calls != null, r.body());
        assertEquals(place(), calls.at("/0/function/arguments/city").asText(), r.body());
        assertTrue(ls.getLast().get("done").asBoolean(), r.body());
    }

    /** Reads raw bytes until {@code marker} arrived (the first probe of the call). */
    static String readUntil(InputStream in, String marker) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("closed before " + marker + ": " + seen);
            }
            seen.write(c);
        }
        return seen.toString(StandardCharsets.UTF_8);
    }

    private static void leaveMidCall(String path, String body, String probe) throws Exception {
        int full = fullCall();
        long aborted = model.aborted.sum();
        int runs = held.runs.get();
        try (Socket s = RawHttp.post(server, path, body)) {
            String head = RawHttp.head(s.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            String seen = readUntil(s.getInputStream(), probe);
            assertFalse(seen.contains("tool_call"), "the call is still held back: " + seen);
        } // the client leaves mid-call
        ServeDisconnectTest.await(() -> model.aborted.sum() > aborted);
        assertEquals(aborted + 1, model.aborted.sum(), "the run was stopped");
        assertEquals(runs + 1, held.runs.get());
        int tokens = lastRunTokens();
        assertTrue(tokens < full / 2, "stopped within the call (" + full + " tokens), long before max_tokens (" + MAX
                + "): " + tokens);
    }

    @Test
    @Timeout(120)
    void anSseClientThatLeavesMidCallStopsTheRun() throws Exception {
        leaveMidCall("/v1/chat/completions", openAi(true), ": waiting");
    }

    @Test
    @Timeout(120)
    void anNdjsonClientThatLeavesMidCallStopsTheRun() throws Exception {
        // a probe is a chunk of one space
        leaveMidCall("/api/chat", ollama(), "1\r\n \r\n");
    }

    @Test
    @Timeout(120)
    void theClientsStillGetTheCall() throws Exception {
        FunctionDefinition weather = FunctionDefinition.builder().name("get_weather").description("Weather of a city")
                .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city"))).build())
                .build();
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("none").maxRetries(0)
                .build();
        StringBuilder args = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model(TestServer.MODEL).addUserMessage(ask())
                        .reasoningEffort(ReasoningEffort.NONE).maxCompletionTokens(MAX).addFunctionTool(weather).build())) {
            s.stream().flatMap(ch -> ch.choices().stream()).flatMap(ch -> ch.delta().toolCalls().orElse(List.of()).stream())
                    .forEach(t -> t.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::arguments)
                            .ifPresent(args::append));
        } finally {
            client.close();
        }
        assertEquals(place(), Http.JSON.readTree(args.toString()).get("city").asText(), "openai-java: " + args);

        StreamingChatModel lc4j = OllamaStreamingChatModel.builder().baseUrl(server.baseUrl()).modelName(TestServer.MODEL)
                .think(false).numPredict(MAX).timeout(Duration.ofSeconds(60)).build();
        LangChain4jClientsTest.Streamed t = LangChain4jClientsTest.chat(lc4j, ChatRequest.builder()
                .messages(UserMessage.from(ask())).toolSpecifications(LangChain4jClientsTest.WEATHER).build());
        List<ToolExecutionRequest> calls = t.response().aiMessage().toolExecutionRequests();
        assertEquals(1, calls.size(), t.response().toString());
        assertEquals(place(), Http.JSON.readTree(calls.get(0).arguments()).get("city").asText());
    }
}
