package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ReasoningEffort;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.CompletionUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK ({@code com.openai:openai-java}) against the running server. */
class OpenAiSdkTest {
    static final String KEY = "test-key-123";
    static NpuServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        NpuServer.Config lo = NpuServer.Config.loopback();
        server = TestServer.start(new NpuServer.Config(lo.host(), 0, KEY, lo.maxBodyBytes(), lo.queueDepth()));
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    private static ChatCompletionCreateParams.Builder params(String user) {
        return ChatCompletionCreateParams.builder().model(TestServer.MODEL).addUserMessage(user)
                .reasoningEffort(ReasoningEffort.NONE).maxCompletionTokens(24);
    }

    @Test
    void chat() {
        ChatCompletion c = client.chat().completions().create(params("What is an NPU?").build());
        assertFalse(c.choices().get(0).message().content().orElse("").isEmpty());
        CompletionUsage u = c.usage().orElseThrow();
        assertTrue(u.completionTokens() > 0 && u.completionTokens() <= 24, u.toString());
        assertEquals(TestServer.MODEL, c.model());
        assertEquals(TestServer.MODEL, client.models().list().data().get(0).id());
    }

    /** A non-streaming answer that follows a space per token (ServeJsonAnswerTest counts them on the wire). */
    @Test
    void aLongAnswerAfterItsSpaces() {
        ChatCompletion c = client.chat().completions().create(params("Tell me a long story about rivers.")
                .maxCompletionTokens(64).build());
        long tokens = c.usage().orElseThrow().completionTokens();
        assertTrue(tokens > 24 && tokens <= 64, "several spaces before the body: " + tokens);
        assertFalse(c.choices().get(0).message().content().orElse("").isBlank());
    }

    @Test
    void streamingWithUsage() {
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params("Count to ten.")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }
        assertFalse(text.isEmpty());
        assertEquals(1, chunks.stream().map(ChatCompletionChunk::id).distinct().count(), "one id");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty());
        assertTrue(last.usage().orElseThrow().completionTokens() > 0);
        assertTrue(chunks.get(chunks.size() - 2).choices().get(0).finishReason().isPresent());
    }

    @Test
    void toolsRoundTrip() {
        FunctionDefinition weather = FunctionDefinition.builder().name("get_weather").description("Weather of a city")
                .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city"))).build())
                .build();
        ChatCompletionCreateParams first = params("Please use get_weather for Bergen").addFunctionTool(weather).build();
        ChatCompletion c = client.chat().completions().create(first);
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, c.choices().get(0).finishReason());
        ChatCompletionMessageFunctionToolCall call = c.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
        assertEquals("get_weather", call.function().name());
        assertTrue(call.function().arguments().contains("Bergen"), call.function().arguments());

        // streamed: the same call assembled from the deltas
        StringBuilder name = new StringBuilder();
        StringBuilder args = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(first)) {
            s.stream().flatMap(ch -> ch.choices().stream()).flatMap(ch -> ch.delta().toolCalls().orElse(List.of()).stream())
                    .forEach(t -> {
                        assertEquals(0, t.index());
                        t.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name).ifPresent(name::append);
                        t.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::arguments).ifPresent(args::append);
                    });
        }
        assertEquals("get_weather", name.toString());
        assertEquals(call.function().arguments(), args.toString());

        ChatCompletion answer = client.chat().completions().create(first.toBuilder()
                .addMessage(c.choices().get(0).message())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("{\"temp_c\": 7}").build())
                .build());
        assertTrue(answer.choices().get(0).message().content().orElse("").contains("7"),
                "the answer uses the tool's result: " + answer.choices().get(0).message().content());
    }

    @Test
    void errorsAreTheSdksExceptions() {
        NotFoundException nf = assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(params("hi").model("no-such-model").build()));
        assertTrue(nf.getMessage().contains("no-such-model"), nf.getMessage());
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("wrong")
                .maxRetries(0).build();
        try {
            assertThrows(UnauthorizedException.class, () -> wrongKey.models().list());
        } finally {
            wrongKey.close();
        }
        assertEquals(Optional.of(TestServer.MODEL), Optional.of(client.models().list().data().get(0).id()));
    }
}
