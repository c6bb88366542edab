package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The wire format of the OpenAI routes, read raw (no SDK): what every client relies on. */
class OpenAiProtocolTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static NpuServer server;
    static HttpClient http;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The JSON of each {@code data:} event before {@code [DONE]}; asserts [DONE] ends the stream. */
    static List<JsonNode> events(String sse) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        String[] blocks = sse.split("\n\n");
        for (int i = 0; i < blocks.length; i++) {
            assertTrue(blocks[i].startsWith("data: "), blocks[i]);
            String data = blocks[i].substring(6);
            if (data.equals("[DONE]")) {
                assertEquals(blocks.length - 1, i, "[DONE] is last");
                return out;
            }
            out.add(JSON.readTree(data));
        }
        throw new AssertionError("no [DONE] in " + sse);
    }

    @Test
    void modelsListsTheServedNames() throws Exception {
        HttpResponse<String> r = get("/v1/models");
        assertEquals(200, r.statusCode());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("list", n.get("object").asText());
        assertEquals(TestServer.MODEL, n.get("data").get(0).get("id").asText());
        assertTrue(n.get("data").get(0).get("owned_by").asText().contains("emulator"), r.body());
    }

    @Test
    void chatAnswersWithUsage() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"max_tokens\":12,\"reasoning_effort\":\"none\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"What is an NPU?\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("chat.completion", n.get("object").asText());
        JsonNode choice = n.get("choices").get(0);
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertFalse(choice.get("message").get("content").asText().isEmpty(), r.body());
        assertTrue(Set.of("stop", "length").contains(choice.get("finish_reason").asText()), r.body());
        JsonNode u = n.get("usage");
        assertTrue(u.get("prompt_tokens").asInt() > 0 && u.get("completion_tokens").asInt() > 0, r.body());
        assertTrue(u.get("completion_tokens").asInt() <= 12, r.body());
        assertEquals(u.get("prompt_tokens").asInt() + u.get("completion_tokens").asInt(), u.get("total_tokens").asInt());
    }

    @Test
    void aFollowUpCountsTheWholePromptWithTheCachedPartAsCachedTokens() throws Exception {
        String turn1 = "{\"role\":\"user\",\"content\":\"What is an NPU?\"}";
        HttpResponse<String> r1 = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"max_tokens\":12,"
                + "\"reasoning_effort\":\"none\",\"messages\":[" + turn1 + "]}");
        assertEquals(200, r1.statusCode(), r1.body());
        JsonNode n1 = JSON.readTree(r1.body());
        String answer = n1.get("choices").get(0).get("message").get("content").asText();
        HttpResponse<String> r2 = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"max_tokens\":12,"
                + "\"reasoning_effort\":\"none\",\"messages\":[" + turn1 + ",{\"role\":\"assistant\",\"content\":"
                + JSON.writeValueAsString(answer) + "},{\"role\":\"user\",\"content\":\"And a GPU?\"}]}");
        assertEquals(200, r2.statusCode(), r2.body());
        JsonNode u2 = JSON.readTree(r2.body()).get("usage");
        int cached = u2.get("prompt_tokens_details").get("cached_tokens").asInt();
        assertTrue(cached > 0, "the first turn came from the KV cache: " + u2);
        assertTrue(u2.get("prompt_tokens").asInt() > cached, "prompt_tokens counts the cached part and the new turn: " + u2);
        assertTrue(u2.get("prompt_tokens").asInt() > n1.get("usage").get("prompt_tokens").asInt(), u2.toString());
        assertEquals(u2.get("prompt_tokens").asInt() + u2.get("completion_tokens").asInt(), u2.get("total_tokens").asInt());
    }

    @Test
    void streamHasOneIdRoleFirstContentDeltasFinishReasonAndDone() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"stream\":true,\"max_tokens\":16,\"reasoning_effort\":\"none\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Count to five.\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElseThrow());
        List<JsonNode> ev = events(r.body());
        Set<String> ids = new HashSet<>();
        ev.forEach(e -> ids.add(e.get("id").asText()));
        assertEquals(1, ids.size(), "one id for the whole stream");
        assertEquals("assistant", ev.get(0).get("choices").get(0).get("delta").get("role").asText());
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < ev.size() - 1; i++) {
            JsonNode c = ev.get(i).get("choices").get(0);
            assertEquals("chat.completion.chunk", ev.get(i).get("object").asText());
            assertTrue(c.get("finish_reason").isNull());
            text.append(c.get("delta").path("content").asText(""));
        }
        assertFalse(text.isEmpty(), r.body());
        JsonNode last = ev.get(ev.size() - 1).get("choices").get(0);
        assertTrue(Set.of("stop", "length").contains(last.get("finish_reason").asText()), r.body());
        ev.forEach(e -> assertFalse(e.has("usage"), "no usage without include_usage"));
    }

    @Test
    void includeUsageAddsOneUsageChunkBeforeDone() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"stream\":true,\"max_tokens\":8,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        List<JsonNode> ev = events(r.body());
        JsonNode u = ev.get(ev.size() - 1);
        assertEquals(0, u.get("choices").size());
        assertTrue(u.get("usage").get("completion_tokens").asInt() > 0, r.body());
        for (int i = 0; i < ev.size() - 1; i++) {
            assertTrue(ev.get(i).get("usage").isNull(), "other chunks carry usage: null");
        }
    }

    @Test
    void thinkingStreamsAsReasoningContentApartFromTheAnswer() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"stream\":true,"
                + "\"chat_template_kwargs\":{\"enable_thinking\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Why?\"}]}");
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        for (JsonNode e : events(r.body())) {
            JsonNode d = e.get("choices").get(0).get("delta");
            reasoning.append(d.path("reasoning_content").asText(""));
            content.append(d.path("content").asText(""));
        }
        assertFalse(reasoning.isEmpty(), r.body());
        assertFalse(content.isEmpty(), "the model answered after thinking: " + r.body());
        assertFalse(content.toString().contains("think>") || reasoning.toString().contains("think>"), r.body());
    }

    static final String WEATHER_TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"Weather of a city\",\"parameters\":{\"type\":\"object\",\"properties\":"
            + "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}";

    @Test
    void toolCallsStreamAsIndexedDeltasWithArgumentsAsAJsonString() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"stream\":true,"
                + "\"reasoning_effort\":\"none\",\"tools\":[" + WEATHER_TOOL + "],\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Use get_weather for Oslo\"}]}");
        List<JsonNode> ev = events(r.body());
        JsonNode call = null;
        for (JsonNode e : ev) {
            JsonNode tc = e.get("choices").get(0).get("delta").get("tool_calls");
            if (tc != null) {
                assertEquals(null, call, "one call: " + r.body());
                call = tc.get(0);
            }
        }
        assertNotNull(call, r.body());
        assertEquals(0, call.get("index").asInt());
        assertTrue(call.get("id").asText().startsWith("call_"));
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertTrue(call.get("function").get("arguments").isTextual(), "arguments as a JSON string");
        assertEquals("Oslo", JSON.readTree(call.get("function").get("arguments").asText()).get("city").asText());
        assertEquals("tool_calls", ev.get(ev.size() - 1).get("choices").get(0).get("finish_reason").asText());

        // the result goes back as a role "tool" message, with the assistant's call in the history
        String id = call.get("id").asText();
        HttpResponse<String> r2 = post("/v1/chat/completions", "{\"model\":\"qwen3-emu\",\"reasoning_effort\":\"none\","
                + "\"tools\":[" + WEATHER_TOOL + "],\"messages\":[{\"role\":\"user\",\"content\":\"Use get_weather for Oslo\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"" + id + "\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":" + JSON.writeValueAsString(call.get("function")
                .get("arguments").asText()) + "}}]},{\"role\":\"tool\",\"tool_call_id\":\"" + id + "\","
                + "\"content\":\"{\\\"temp_c\\\": 3}\"}]}");
        assertEquals(200, r2.statusCode(), r2.body());
        JsonNode msg = JSON.readTree(r2.body()).get("choices").get(0).get("message");
        assertTrue(msg.get("content").asText().contains("3"), "the answer quotes the tool result: " + r2.body());
    }

    @Test
    void completionsAnswerAPrompt() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"model\":\"qwen3-emu\",\"prompt\":\"Say hi\",\"max_tokens\":6}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("text_completion", n.get("object").asText());
        assertNotNull(n.get("choices").get(0).get("text").asText());
    }

    /** Bad input: the status, OpenAI's error shape, a message naming the field; the server keeps serving. */
    @Test
    void badInputGetsAClearErrorAndTheServerKeepsServing() throws Exception {
        record Case(String body, int status, String mentions) {}
        List<Case> cases = List.of(
                new Case("{\"model\":\"qwen3-emu\",\"messages\":[", 400, "malformed JSON"),
                new Case("[1,2]", 400, "expected a JSON object"),
                new Case("{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", 404, "qwen3-emu"),
                new Case("{\"model\":\"qwen3-emu\",\"messages\":[]}", 400, "messages"),
                new Case("{\"model\":\"qwen3-emu\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                        400, "max_tokens"),
                new Case("{\"model\":\"qwen3-emu\",\"max_tokens\":-3,\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                        400, "max_tokens"),
                new Case("{\"model\":\"qwen3-emu\",\"messages\":[{\"role\":\"robot\",\"content\":\"a\"}]}", 400, "robot"),
                new Case("{\"model\":\"qwen3-emu\",\"temperature\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                        400, "temperature"),
                new Case("{\"model\":\"qwen3-emu\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
                        + "\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\","
                        + "\"arguments\":\"{not json\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"1\"}]}",
                        400, "arguments"),
                new Case("{\"model\":\"qwen3-emu\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                        + "{\"role\":\"assistant\",\"content\":\"b\"}]}", 400, "last message"),
                new Case("{\"model\":\"qwen3-emu\",\"response_format\":{\"type\":\"json_object\"},\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"a\"}]}", 400, "not supported"),
                new Case("{\"model\":\"qwen3-emu\",\"tool_choice\":\"required\",\"tools\":[" + WEATHER_TOOL + "],"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", 400, "tool_choice"));
        for (Case c : cases) {
            HttpResponse<String> r = post("/v1/chat/completions", c.body);
            assertEquals(c.status, r.statusCode(), c.body + " -> " + r.body());
            JsonNode err = JSON.readTree(r.body()).get("error");
            assertNotNull(err, r.body());
            assertTrue(err.get("message").asText().contains(c.mentions), c.mentions + " in " + r.body());
            assertTrue(err.has("type") && err.has("param") && err.has("code"), r.body());
        }
        String big = "{\"model\":\"qwen3-emu\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(5 << 20) + "\"}]}";
        HttpResponse<String> r = post("/v1/chat/completions", big);
        assertEquals(413, r.statusCode(), "oversize body");
        assertEquals(405, get("/v1/chat/completions").statusCode());
        assertEquals(404, get("/v1/nothing").statusCode());
        chatAnswersWithUsage();
    }
}
