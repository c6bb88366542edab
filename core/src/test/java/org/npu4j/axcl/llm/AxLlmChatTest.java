package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatMl;
import org.npu4j.llm.JinjaChatTemplate;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.ToolSpec;

/** Chat on the emulated tiny package: thinking on and off, a tool call, a prompt beyond the context. */
class AxLlmChatTest {

    @Test
    void thinkingOnAndOff() {
        try (AxLlmModel m = AxLlmModelTest.open("copy")) {
            Completion on = m.generate(LlmRequest.builder().message(ChatMessage.user("Why caches?")).thinking(true).build());
            assertFalse(on.thinking().isEmpty(), on.text());
            assertFalse(on.answer().isEmpty(), on.text());
            assertEquals(FinishReason.STOP, on.finishReason());
            Completion off = m.generate(LlmRequest.builder().message(ChatMessage.user("Why caches?")).thinking(false).build());
            assertTrue(off.thinking().isEmpty(), off.text());
            assertFalse(off.text().contains("<think>"), off.text());
            assertFalse(off.answer().isEmpty(), off.text());
        }
    }

    @Test
    void toolCallIsParsed() throws Exception {
        ToolSpec weather = new ToolSpec("get_weather", "The weather of a city",
                new ObjectMapper().readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
        try (AxLlmModel m = AxLlmModelTest.open("copy")) {
            Completion c = m.generate(LlmRequest.builder().message(ChatMessage.user("Weather in Oslo?"))
                    .tools(List.of(weather)).build());
            assertTrue(c.hasToolCalls(), c.text());
            assertEquals("get_weather", c.toolCalls().get(0).name());
            assertEquals(FinishReason.TOOL_CALLS, c.finishReason());
        }
    }

    @Test
    void thePackagesOwnChatTemplateRendersThePrompt() throws Exception {
        ToolSpec weather = new ToolSpec("get_weather", "The weather of a city",
                new ObjectMapper().readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
        LlmRequest r = LlmRequest.builder().message(ChatMessage.system("Be brief."))
                .message(ChatMessage.user("Weather in Oslo?")).tools(List.of(weather)).thinking(false).build();
        try (AxLlmModel m = AxLlmModelTest.open("copy")) {
            assertTrue(m.info().description().contains("chat template tokenizer_config.json"), m.info().description());
            JinjaChatTemplate own = JinjaChatTemplate.fromTokenizerConfig(
                    AxLlmModelTest.tiny().resolve("tokenizer_config.json"));
            assertEquals(own.render(r.messages(), r.tools(), false, true), m.render(r));
            // the emulator's template words the tool preamble its own way: the prompt is not ChatMl's
            assertNotEquals(ChatMl.render(r.messages(), r.tools(), false), m.render(r));
        }
    }

    @Test
    void aReusedConversationCountsItsCachedPromptTokens() {
        try (AxLlmModel m = AxLlmModelTest.open("copy")) {
            List<ChatMessage> ms = new java.util.ArrayList<>(List.of(ChatMessage.user("Why caches?")));
            Completion first = m.generate(LlmRequest.builder().messages(ms).thinking(false).maxNewTokens(8).build());
            assertEquals(0, first.cachedPromptTokens());
            ms.add(ChatMessage.assistant(first));
            ms.add(ChatMessage.user("And then?"));
            LlmRequest second = LlmRequest.builder().messages(ms).thinking(false).maxNewTokens(8).build();
            Completion reused = m.generate(second);
            assertTrue(reused.cachedPromptTokens() > 0, "the first turn stayed in the KV cache");
            int whole = m.promptTokenIds(second).orElseThrow().length;
            assertEquals(whole, reused.promptTokens() + reused.cachedPromptTokens(), "prefilled + cached = the prompt");
        }
    }

    @Test
    void promptBeyondTheContextIsAClearError() {
        try (AxLlmModel m = AxLlmModelTest.open("copy")) {
            String longText = "word ".repeat(400);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.generate(LlmRequest.prompt(longText)));
            assertTrue(e.getMessage().contains("context") && e.getMessage().contains("255"), e.getMessage());
            // the model still works afterwards
            assertTrue(m.generate(LlmRequest.builder().message(ChatMessage.user("hi")).maxNewTokens(5).build())
                    .tokenCount() > 0);
        }
    }

    @Test
    void imagesAreRefusedNotIgnored() {
        try (AxLlmModel m = AxLlmModelTest.open("copy")) {
            org.npu4j.llm.ImageData red = new org.npu4j.llm.ImageData(2, 2, new byte[] {
                    (byte) 255, 0, 0, (byte) 255, 0, 0, (byte) 255, 0, 0, (byte) 255, 0, 0});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(
                    LlmRequest.builder().message(ChatMessage.user("What is this?", java.util.List.of(red))).build()));
            assertTrue(e.getMessage().contains("image"), e.getMessage());
            assertFalse(m.info().has(org.npu4j.llm.Capability.IMAGES));
        }
    }
}
