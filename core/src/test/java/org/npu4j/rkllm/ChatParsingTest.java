package org.npu4j.rkllm;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.npu4j.llm.Completion;
import org.npu4j.llm.GenerationTimings;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.ToolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tool calls and thinking blocks taken apart; value checks (no native code). */
class ChatParsingTest {

    private static Completion completion(String text) {
        return Completion.of(Outcome.FINISHED, false, text, new int[0], 0, PerfStats.NONE,
                new GenerationTimings(0, 0, 0, 0, 0, 0, 0));
    }

    @Test
    void toolCallsAreParsedWithObjectOrStringArguments() {
        String text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\","
                + " \"days\": 2}}\n</tool_call>\n<tool_call>{\"name\": \"now\", \"arguments\": \"{\\\"tz\\\": \\\"UTC\\\"}\"}"
                + "</tool_call>";
        List<ToolCall> calls = ToolCall.parse(text);
        assertEquals(2, calls.size());
        assertEquals("get_weather", calls.get(0).name());
        assertEquals("Paris", calls.get(0).argument("city"));
        assertEquals(2, calls.get(0).arguments().get("days").asInt());
        assertEquals("now", calls.get(1).name());
        assertEquals("UTC", calls.get(1).argument("tz"));
        assertEquals("Let me check.", ToolCall.stripCalls(text));
        assertTrue(ToolCall.malformed(text).isEmpty());
    }

    @Test
    void malformedAndCutOffBlocksAreReportedNotParsed() {
        String text = "<tool_call>{not json}</tool_call><tool_call>{\"arguments\": {}}</tool_call>"
                + "<tool_call>{\"name\": \"x\", \"arguments\": {\"a\": 1";
        assertTrue(ToolCall.parse(text).isEmpty());
        assertEquals(List.of("{not json}", "{\"arguments\": {}}", "{\"name\": \"x\", \"arguments\": {\"a\": 1"),
                ToolCall.malformed(text));
    }

    @Test
    void replySeparatesThinkingAnswerAndCalls() {
        Completion r = completion("<think>\nThe user wants weather.\n</think>\n\nSure."
                + "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>");
        assertEquals("The user wants weather.", r.thinking());
        assertEquals("Sure.", r.answer());
        assertTrue(r.hasToolCalls());
        assertEquals("Oslo", r.toolCalls().get(0).argument("city"));

        Completion plain = completion("Just an answer.");
        assertEquals("", plain.thinking());
        assertEquals("Just an answer.", plain.answer());
        assertFalse(plain.hasToolCalls());

        Completion openedByTemplate = completion("reasoning here</think>\n\nThe answer.");
        assertEquals("reasoning here", openedByTemplate.thinking());
        assertEquals("The answer.", openedByTemplate.answer());
    }

    @Test
    void valuesAreCheckedWhereTheyAreMade() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SamplingParams(40, 1.5f, 0.8f, 1.1f, 0, 0, 0, 5, 0.1f).validate());
        assertTrue(e.getMessage().contains("topP") && e.getMessage().contains("(0, 1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1, 1, 0.8f, 1.1f, 0, 0, 0, 5, 0.1f)
                .validate());
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 1, 0.8f, 1.1f, 0, 0, 3, 5, 0.1f)
                .validate());
        assertThrows(IllegalArgumentException.class, () -> Input.prompt(""));
        assertThrows(IllegalArgumentException.class, () -> Input.tokens());
        assertThrows(IllegalArgumentException.class, () -> Input.tokens(1, -2));
        assertThrows(IllegalArgumentException.class, () -> Input.embeddings(new float[10], 3));
        assertThrows(IllegalArgumentException.class, () -> Input.embeddings(new float[0], 1));
        assertThrows(IllegalArgumentException.class, () -> ImageInput.of(new float[7], 2, 2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> VideoInput.of(new float[8], 1, 3, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new CrossAttention(new float[8], new float[8],
                new float[2], new int[3], 2));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder(Input.prompt("x")).role(" "));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.builder(Input.prompt("x")).maxNewTokens(-1));
        assertThrows(IllegalArgumentException.class, () -> LoraAdapter.of(java.nio.file.Path.of("x"), ""));
        assertEquals(new FloatMatrix(new float[] {1, 5, 2, 0, 0, 3}, 2, 3).argmax(1), 2);
    }

    @Test
    void cpuListsParse() {
        assertEquals("{0, 1, 2, 3, 6, 8, 9}", CpuDefaults.parseList("0-3,6,8-9\n").toString());
        assertEquals(null, CpuDefaults.parseList("garbage"));
        int mask = CpuDefaults.usableCpusMask();
        assertEquals(Math.min(32, Runtime.getRuntime().availableProcessors()), Integer.bitCount(mask),
                "the default mask names the CPUs this JVM may use");
    }
}
