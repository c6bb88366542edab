package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's own OpenAI and Ollama streaming clients pointed at the running server. */
class LangChain4jClientsTest {
    static NpuServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Streamed(ChatResponse response, String partials, String thinking) {}

    static Streamed chat(StreamingChatModel model, ChatRequest request) throws Exception {
        StringBuilder partials = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String s) {
                partials.append(s);
            }

            @Override
            public void onPartialThinking(dev.langchain4j.model.chat.response.PartialThinking t) {
                thinking.append(t.text());
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable e) {
                done.completeExceptionally(e);
            }
        });
        return new Streamed(done.get(60, TimeUnit.SECONDS), partials.toString(), thinking.toString());
    }

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather").description("Weather of a city")
            .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();

    @Test
    void openAiStreamingChatModel() throws Exception {
        StreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("none")
                .modelName(TestServer.MODEL).maxTokens(20).returnThinking(true).timeout(Duration.ofSeconds(60)).build();
        Streamed s = chat(model, ChatRequest.builder().messages(UserMessage.from("Tell me about NPUs")).build());
        assertFalse(s.partials.isEmpty() && s.thinking.isEmpty());
        assertEquals(s.partials, s.response.aiMessage().text() == null ? "" : s.response.aiMessage().text());
        assertTrue(s.response.tokenUsage().outputTokenCount() > 0, "usage from the include_usage chunk");

        StreamingChatModel unlimited = OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("none")
                .modelName(TestServer.MODEL).timeout(Duration.ofSeconds(60)).build();
        Streamed t = chat(unlimited, ChatRequest.builder().messages(UserMessage.from("Use get_weather for Rome"))
                .toolSpecifications(WEATHER).build());
        List<ToolExecutionRequest> calls = t.response.aiMessage().toolExecutionRequests();
        assertEquals(1, calls.size(), t.response.toString());
        assertEquals("get_weather", calls.get(0).name());
        assertTrue(calls.get(0).arguments().contains("Rome"), calls.get(0).arguments());
        assertEquals(FinishReason.TOOL_EXECUTION, t.response.finishReason());
    }

    @Test
    void ollamaStreamingChatModel() throws Exception {
        StreamingChatModel model = OllamaStreamingChatModel.builder().baseUrl(server.baseUrl()).modelName(TestServer.MODEL)
                .numPredict(20).think(true).returnThinking(true).timeout(Duration.ofSeconds(60)).build();
        Streamed s = chat(model, ChatRequest.builder().messages(UserMessage.from("Why is the sky blue?")).build());
        assertFalse(s.thinking.isEmpty(), "thinking streamed as Ollama's message.thinking");
        assertTrue(s.response.tokenUsage().outputTokenCount() > 0);

        StreamingChatModel plain = OllamaStreamingChatModel.builder().baseUrl(server.baseUrl()).modelName(TestServer.MODEL)
                .think(false).timeout(Duration.ofSeconds(60)).build();
        Streamed t = chat(plain, ChatRequest.builder().messages(UserMessage.from("Use get_weather for Lima"))
                .toolSpecifications(WEATHER).build());
        List<ToolExecutionRequest> calls = t.response.aiMessage().toolExecutionRequests();
        assertEquals(1, calls.size(), t.response.toString());
        assertTrue(calls.get(0).arguments().contains("Lima"), calls.get(0).arguments());
    }

    /**
     * The non-streaming clients read an answer that follows a space per token (64 here;
     * ServeJsonAnswerTest counts them on the wire).
     */
    @Test
    void nonStreamingChatModelsReadTheAnswerAfterItsSpaces() {
        ChatRequest ask = ChatRequest.builder().messages(UserMessage.from("Tell me a long story about rivers.")).build();
        ChatModel openAi = OpenAiChatModel.builder().baseUrl(server.baseUrl() + "/v1").apiKey("none")
                .modelName(TestServer.MODEL).maxTokens(64).reasoningEffort("none").timeout(Duration.ofSeconds(60)).build();
        ChatResponse r = openAi.chat(ask);
        assertEquals(64, r.tokenUsage().outputTokenCount(), r.toString());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertFalse(r.aiMessage().text().isBlank(), r.toString());

        ChatModel ollama = OllamaChatModel.builder().baseUrl(server.baseUrl()).modelName(TestServer.MODEL).numPredict(64)
                .think(false).timeout(Duration.ofSeconds(60)).build();
        ChatResponse o = ollama.chat(ask);
        assertEquals(64, o.tokenUsage().outputTokenCount(), o.toString());
        assertEquals(FinishReason.LENGTH, o.finishReason());
        assertFalse(o.aiMessage().text().isBlank(), o.toString());
    }
}
