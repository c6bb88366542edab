package org.npu4j.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend-neutral pieces: requests, stop sequences, ChatML, opening by path (no native code). */
class LlmApiTest {

    @Test
    void stopSequencesHoldBackPossibleStartsAndCutAtTheFirstMatch() {
        StringBuilder out = new StringBuilder();
        AtomicInteger matches = new AtomicInteger();
        StopSequences s = new StopSequences(List.of("END", "##"), TokenListener.onText(out::append),
                matches::incrementAndGet);
        for (String piece : List.of("Hello E", "N", "d? #", "x E", "NDING")) {
            s.onToken(piece, 1);
        }
        assertEquals("Hello ENd? #x ", out.toString(), "a held-back 'E' and '#' went on once they could not match");
        assertEquals(1, matches.get());
        assertTrue(s.matched());
        s.onToken("more", 2);
        assertEquals("Hello ENd? #x ", s.text(), "nothing after the match");

        StringBuilder out2 = new StringBuilder();
        StopSequences t = new StopSequences(List.of("STOP"), TokenListener.onText(out2::append), () -> {});
        t.onToken("ends with ST", 1);
        assertEquals("ends with ", out2.toString());
        t.onFinish(PerfStats.NONE);
        assertEquals("ends with ST", out2.toString(), "held-back text is delivered at the end");
        assertFalse(t.matched());
    }

    @Test
    void requestsAreCheckedWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> LlmRequest.builder().build(), "no messages");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LlmRequest.chat(List.of(ChatMessage.user("a"), ChatMessage.assistant("b"))));
        assertTrue(e.getMessage().contains("last message"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> LlmRequest.chat(List.of(ChatMessage.user("a"), ChatMessage.system("late"), ChatMessage.user("b"))));
        assertThrows(IllegalArgumentException.class, () -> LlmRequest.builder().maxNewTokens(-1));
        assertThrows(IllegalArgumentException.class, () -> LlmRequest.builder().stop(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(-1f, null, null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Sampling(null, 1.5f, null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> Role.of("robot"));
        assertEquals(Role.TOOL, Role.of("Tool"));
        assertThrows(IllegalArgumentException.class,
                () -> new ToolSpec("bad name", "", new ObjectMapper().createObjectNode()));
    }

    @Test
    void chatMlRendersToolsCallsResultsAndDropsOldThinking() throws Exception {
        ToolSpec weather = new ToolSpec("get_weather", "Weather of a city",
                new ObjectMapper().readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
        ToolCall call = ToolCall.parse("<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}"
                + "</tool_call>").get(0);
        List<ChatMessage> msgs = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Weather in Oslo?"),
                new ChatMessage(Role.ASSISTANT, "", "I should call the tool.", List.of(call), null, null),
                ChatMessage.tool("{\"temp\": 3}", "call_1", "get_weather"));
        String text = ChatMl.render(msgs, List.of(weather), false);
        assertTrue(text.startsWith("<|im_start|>system\nBe brief.\n\n# Tools"), text);
        // JSON laid out as the templates' tojson (Python's json.dumps) lays it out
        assertTrue(text.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\""), text);
        assertTrue(text.contains("<|im_start|>user\nWeather in Oslo?<|im_end|>\n"), text);
        // inside the current tool loop (after the last user query) the assistant keeps its thinking
        assertTrue(text.contains("<|im_start|>assistant\n<think>\nI should call the tool.\n</think>\n\n<tool_call>\n"
                + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call><|im_end|>\n"), text);
        assertTrue(text.contains("<|im_start|>user\n<tool_response>\n{\"temp\": 3}\n</tool_response><|im_end|>\n"), text);
        // once the user asks again, that turn's thinking is dropped
        List<ChatMessage> later = new java.util.ArrayList<>(msgs);
        later.add(ChatMessage.assistant("3 degrees."));
        later.add(ChatMessage.user("And Bergen?"));
        assertFalse(ChatMl.render(later, List.of(weather), false).contains("I should call"), "earlier thinking is dropped");
        assertTrue(text.endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"), text);
    }

    @Test
    void completionsTakeTheAnswerApart() {
        Completion c = Completion.of(Outcome.FINISHED, true, "<think>hm</think>\nYes.", new int[] {1, 2}, 7,
                PerfStats.NONE, new GenerationTimings(0, 0, 0, 0, 0, 0, 0));
        assertEquals("hm", c.thinking());
        assertEquals("Yes.", c.answer());
        assertEquals(FinishReason.LENGTH, c.finishReason());
        Completion aborted = Completion.of(Outcome.ABORTED, false, "Ye", new int[] {1}, 7, PerfStats.NONE,
                new GenerationTimings(0, 0, 0, 0, 0, 0, 0));
        assertEquals(FinishReason.ABORTED, aborted.finishReason());
        assertEquals("Yes.", ChatMessage.assistant(c).content());
        assertEquals("hm", ChatMessage.assistant(c).thinking());
    }

    @Test
    void openNamesWhatEachBackendExpects(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("model.gguf"), "not a model");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LanguageModel.open(file));
        assertTrue(e.getMessage().contains(".rkllm") && e.getMessage().contains("config.json"), e.getMessage());
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> LanguageModel.openEmulator("no-such-profile", LoadOptions.DEFAULTS));
        assertTrue(p.getMessage().contains("rk3588-qwen3-0.6b-w8a8"), "lists the known profiles: " + p.getMessage());
        List<String> profiles = new ArrayList<>(LanguageModel.emulatorProfiles());
        assertTrue(profiles.contains("rk3588-qwen3-0.6b-w8a8"), profiles.toString());
    }
}
