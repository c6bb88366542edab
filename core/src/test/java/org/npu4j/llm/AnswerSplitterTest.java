package org.npu4j.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AnswerSplitterTest {
    /** Records the parts as "c:", "r:", "t:" and "m:" entries, merging consecutive pieces of one kind. */
    private static final class Rec implements AnswerSplitter.Sink {
        final List<String> parts = new ArrayList<>();

        private void add(String kind, String s) {
            if (!parts.isEmpty() && parts.get(parts.size() - 1).startsWith(kind)) {
                parts.set(parts.size() - 1, parts.get(parts.size() - 1) + s);
            } else {
                parts.add(kind + s);
            }
        }

        @Override
        public void content(String text) {
            add("c:", text);
        }

        @Override
        public void reasoning(String text) {
            add("r:", text);
        }

        @Override
        public void toolCall(int index, ToolCall call) {
            parts.add("t" + index + ":" + call.name() + call.arguments());
        }

        @Override
        public void malformedToolCall(String body) {
            parts.add("m:" + body);
        }
    }

    private static List<String> split(List<String> pieces, boolean startInThinking) {
        Rec r = new Rec();
        AnswerSplitter s = new AnswerSplitter(r, startInThinking);
        pieces.forEach(s::accept);
        s.finish();
        return r.parts;
    }

    /** Cuts {@code text} into pieces of 1 to 4 characters (seeded), as tokens would. */
    private static List<String> tokens(String text, long seed) {
        Random rnd = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int n = Math.min(text.length() - i, 1 + rnd.nextInt(4));
            out.add(text.substring(i, i + n));
            i += n;
        }
        return out;
    }

    @Test
    void thinkingAnswerAndToolCallsAreSeparatedWhateverTheTokenBoundaries() {
        String text = "<think>\nI should call it.\n</think>\n\nLet me look.<tool_call>\n{\"name\": \"get_weather\","
                + " \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>\n<tool_call>{\"name\": \"now\", \"arguments\": {}}"
                + "</tool_call>";
        List<String> expected = List.of("r:I should call it.\n", "c:Let me look.", "t0:get_weather{\"city\":\"Oslo\"}",
                "t1:now{}");
        for (long seed = 0; seed < 200; seed++) {
            assertEquals(expected, split(tokens(text, seed), false), "seed " + seed);
        }
        assertEquals(expected, split(List.of(text), false), "one piece");
    }

    @Test
    void heldBackTagPrefixesAreReleasedWhenTheyAreNotTags() {
        assertEquals(List.of("c:a <b and <thin> and <tool> x < y"),
                split(List.of("a <", "b and <thi", "n> and <tool", "> x <", " y"), false));
        assertEquals(List.of("c:ends with <thi"), split(List.of("ends with <thi"), false), "flushed at the end");
    }

    @Test
    void anUnclosedOrBrokenToolCallIsMalformedNotACall() {
        assertEquals(List.of("c:x", "m:{\"name\": \"f\", \"argu"), split(List.of("x<tool_call>{\"name\": \"f\", \"argu"), false));
        assertEquals(List.of("m:not json"), split(List.of("<tool_call>not json</tool_call>"), false));
    }

    @Test
    void aThoughtOpenedByThePromptEndsAtTheFirstClosingTag() {
        assertEquals(List.of("r:hmm", "c:Yes."), split(List.of("hm", "m</th", "ink>\n\nYes."), true));
        assertEquals(List.of("c:Yes."), split(List.of("<think>\n\n</think>\n\nYes."), false), "an empty thought");
    }
}
