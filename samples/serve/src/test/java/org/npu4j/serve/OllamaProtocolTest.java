package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The wire format of the Ollama routes, read raw. */
class OllamaProtocolTest {
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
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static List<JsonNode> lines(String ndjson) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : ndjson.split("\n")) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    @Test
    void discoveryRoutesAsOpenWebUiReadsThem() throws Exception {
        assertFalse(get("/api/version").get("version").asText().isEmpty());
        JsonNode tag = get("/api/tags").get("models").get(0);
        assertEquals(TestServer.MODEL, tag.get("model").asText());
        assertEquals(TestServer.MODEL, tag.get("name").asText());
        JsonNode ps = get("/api/ps").get("models").get(0);
        OffsetDateTime.parse(ps.get("expires_at").asText()); // RFC 3339
        JsonNode show = JSON.readTree(post("/api/show", "{\"model\":\"qwen3-emu\"}").body());
        List<String> caps = new ArrayList<>();
        show.get("capabilities").forEach(c -> caps.add(c.asText()));
        assertTrue(caps.contains("completion") && caps.contains("tools") && caps.contains("thinking"), caps.toString());
        assertTrue(show.get("model_info").get("npu4j.emulator").asBoolean());
        JsonNode health = get("/health");
        assertTrue(health.get("emulator").asBoolean());
        assertTrue(health.get("models").get(0).get("runtime_version").asText().contains("emulator"), health.toString());
    }

    @Test
    void chatStreamsNdjsonWithThinkingAndNanosecondDurations() throws Exception {
        HttpResponse<String> r = post("/api/chat", "{\"model\":\"qwen3-emu\",\"think\":true,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Why is the sky blue?\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElseThrow());
        List<JsonNode> ls = lines(r.body());
        StringBuilder thinking = new StringBuilder();
        StringBuilder content = new StringBuilder();
        for (int i = 0; i < ls.size() - 1; i++) {
            assertFalse(ls.get(i).get("done").asBoolean());
            thinking.append(ls.get(i).get("message").path("thinking").asText(""));
            content.append(ls.get(i).get("message").get("content").asText());
        }
        assertFalse(thinking.isEmpty(), r.body());
        assertFalse(content.isEmpty(), r.body());
        JsonNode last = ls.get(ls.size() - 1);
        assertTrue(last.get("done").asBoolean());
        assertEquals("stop", last.get("done_reason").asText());
        assertTrue(last.get("eval_count").asInt() > 0);
        assertTrue(last.get("total_duration").asLong() >= last.get("eval_duration").asLong());
        assertTrue(last.get("prompt_eval_count").asInt() > 0);
    }

    @Test
    void toolCallArgumentsAreObjectsAndOptionsApply() throws Exception {
        HttpResponse<String> r = post("/api/chat", "{\"model\":\"qwen3-emu\",\"stream\":false,\"think\":false,"
                + "\"tools\":[" + OpenAiProtocolTest.WEATHER_TOOL + "],\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Use get_weather for Paris\"}]}");
        JsonNode call = JSON.readTree(r.body()).get("message").get("tool_calls").get(0).get("function");
        assertEquals("get_weather", call.get("name").asText());
        assertEquals("Paris", call.get("arguments").get("city").asText(), "an object: " + r.body());

        JsonNode g = JSON.readTree(post("/api/generate", "{\"model\":\"qwen3-emu\",\"stream\":false,\"think\":false,"
                + "\"prompt\":\"Tell me a story\",\"options\":{\"num_predict\":5,\"temperature\":0}}").body());
        assertEquals(5, g.get("eval_count").asInt());
        assertEquals("length", g.get("done_reason").asText());
    }

    @Test
    void keepAliveZeroUnloadsAndTheNextRequestLoadsAgain() throws Exception {
        JsonNode r = JSON.readTree(post("/api/generate", "{\"model\":\"qwen3-emu\",\"keep_alive\":0}").body());
        assertEquals("unload", r.get("done_reason").asText());
        assertEquals(0, get("/api/ps").get("models").size());
        JsonNode g = JSON.readTree(post("/api/generate", "{\"model\":\"qwen3-emu\",\"stream\":false,\"think\":false,"
                + "\"prompt\":\"Hi\",\"keep_alive\":\"5m\",\"options\":{\"num_predict\":3}}").body());
        assertTrue(g.get("done").asBoolean(), g.toString());
        JsonNode ps = get("/api/ps").get("models");
        assertEquals(1, ps.size());
        assertTrue(OffsetDateTime.parse(ps.get(0).get("expires_at").asText()).isAfter(OffsetDateTime.now().plusMinutes(4)));
    }

    @Test
    void badInputGetsAnOllamaError() throws Exception {
        for (String[] c : new String[][] {
                {"{\"model\":\"qwen3-emu\",\"messages\":[{", "malformed JSON"},
                {"{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", "nope"},
                {"{\"model\":\"qwen3-emu\",\"messages\":[{\"role\":\"wizard\",\"content\":\"a\"}]}", "wizard"},
                {"{\"model\":\"qwen3-emu\",\"options\":{\"num_predict\":0},\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                    "num_predict"},
                {"{\"model\":\"qwen3-emu\",\"keep_alive\":\"soon\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                    "keep_alive"},
                {"{\"model\":\"qwen3-emu\",\"format\":\"json\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
                    "not supported"}}) {
            HttpResponse<String> r = post("/api/chat", c[0]);
            assertTrue(r.statusCode() == 400 || r.statusCode() == 404, r.statusCode() + " " + r.body());
            String err = JSON.readTree(r.body()).get("error").asText();
            assertTrue(err.contains(c[1]), c[1] + " in " + err);
        }
    }
}
