package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;

/**
 * Non-streaming answers on the wire: after the run's first token the status is 200 with chunked encoding
 * and a space per token precedes the JSON body; an error after that is the body, in the protocol's error
 * shape (a run that the emulator fails after a few tokens, {@code NPU4J_EMULATOR_DIE_AFTER_TOKENS}); an
 * error before the first token keeps its status.
 */
class ServeJsonAnswerTest {
    static NpuServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    @AfterEach
    void noFault() {
        EmulatorEnv.unset(EmulatorEnv.DIE_AFTER_TOKENS);
    }

    /** The number of leading spaces; the rest must be one JSON object. */
    static int spaces(String body) {
        int n = 0;
        while (n < body.length() && body.charAt(n) == ' ') {
            n++;
        }
        assertTrue(body.startsWith("{", n), body);
        return n;
    }

    @Test
    void aSpacePerTokenPrecedesTheBody() throws Exception {
        RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", ServeDisconnectTest.openAi(48, false));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.chunked(), r.head());
        assertTrue(r.head().toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), r.head());
        JsonNode n = Http.JSON.readTree(r.body());
        int tokens = n.path("usage").path("completion_tokens").asInt();
        assertEquals(48, tokens, r.body());
        assertEquals(tokens, spaces(r.body()), "one space per token");
        assertFalse(n.path("choices").path(0).path("message").path("content").asText().isEmpty());

        r = RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(48, false));
        assertEquals(200, r.status(), r.body());
        assertTrue(r.chunked(), r.head());
        n = Http.JSON.readTree(r.body());
        assertEquals(48, n.path("eval_count").asInt(), r.body());
        assertEquals(48, spaces(r.body()));
        assertTrue(n.path("done").asBoolean());

        r = RawHttp.exchange(server, "/api/generate", "{\"model\":\"" + TestServer.MODEL
                + "\",\"stream\":false,\"think\":false,\"prompt\":\"Tell me a story\",\"options\":{\"num_predict\":5}}");
        assertEquals(5, spaces(r.body()));
        assertEquals(5, Http.JSON.readTree(r.body()).path("eval_count").asInt());
    }

    @Test
    void anErrorAfterTheFirstTokenIsTheBodyInTheProtocolsShape() throws Exception {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "4");
        RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", ServeDisconnectTest.openAi(48, false));
        assertEquals(200, r.status(), "committed at the first token: " + r.body());
        assertEquals(4, spaces(r.body()), r.body());
        JsonNode err = Http.JSON.readTree(r.body()).get("error");
        assertTrue(err != null && err.isObject(), r.body());
        assertEquals("server_error", err.path("type").asText(), r.body());
        assertFalse(err.path("message").asText().isEmpty(), r.body());

        r = RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(48, false));
        assertEquals(200, r.status(), r.body());
        assertEquals(4, spaces(r.body()), r.body());
        assertTrue(Http.JSON.readTree(r.body()).path("error").isTextual(), r.body());

        // NDJSON, as Ollama streams it: the lines so far, then an error line
        r = RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(48, true));
        assertEquals(200, r.status(), r.body());
        List<JsonNode> ls = ServeDisconnectTest.lines(r.body());
        assertTrue(ls.size() >= 2, r.body());
        assertTrue(ls.get(ls.size() - 1).path("error").isTextual(), r.body());
        assertFalse(ls.get(0).has("error"), r.body());
    }

    @Test
    void anErrorBeforeTheFirstTokenKeepsItsStatus() throws Exception {
        EmulatorEnv.set(EmulatorEnv.DIE_AFTER_TOKENS, "0");
        RawHttp.Response r = RawHttp.exchange(server, "/v1/chat/completions", ServeDisconnectTest.openAi(48, false));
        assertEquals(500, r.status(), r.body());
        assertFalse(r.chunked(), r.head());
        assertEquals("server_error", Http.JSON.readTree(r.body()).path("error").path("type").asText(), r.body());

        r = RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(48, false));
        assertEquals(500, r.status(), r.body());
        assertTrue(Http.JSON.readTree(r.body()).path("error").isTextual(), r.body());

        r = RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(48, true));
        assertEquals(500, r.status(), "nothing was streamed yet: " + r.body());
        assertTrue(Http.JSON.readTree(r.body()).path("error").isTextual(), r.body());
        EmulatorEnv.unset(EmulatorEnv.DIE_AFTER_TOKENS);
        assertEquals(200, RawHttp.exchange(server, "/api/chat", ServeDisconnectTest.ollama(4, false)).status(),
                "the server keeps serving");
    }
}
