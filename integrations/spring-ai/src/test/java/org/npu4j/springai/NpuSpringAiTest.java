package org.npu4j.springai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.Media;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.support.ToolCallbacks;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.util.MimeTypeUtils;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The Spring AI adapter over the emulated Qwen3 0.6B (RK3588 profile), in-process. */
class NpuSpringAiTest {
    static LanguageModel npu;

    @BeforeAll
    static void open() {
        npu = LanguageModel.openEmulator("rk3588-qwen3-0.6b-w8a8", LoadOptions.DEFAULTS.withName("qwen3"));
    }

    @AfterAll
    static void close() {
        Emulator.speed(0);
        npu.close();
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    static NpuChatModel model() {
        return NpuChatModel.builder(npu).thinking(false).build();
    }

    /** A real @Tool method, run by Spring AI's tool-execution loop. */
    static final class WeatherTools {
        final List<String> cities = new CopyOnWriteArrayList<>();

        @Tool(description = "The weather of a city")
        String get_weather(@ToolParam(description = "the city") String city) {
            cities.add(city);
            return "{\"temp_c\": 11, \"sky\": \"cloudy\"}";
        }
    }

    @Test
    void callMapsMessagesAndOptionsAndReportsUsage() {
        ChatResponse r = model().call(new Prompt(List.of(new SystemMessage("You are terse."), new UserMessage("What is an NPU?")),
                ChatOptions.builder().maxTokens(10).temperature(0.7).topP(0.9).build()));
        assertFalse(r.getResult().getOutput().getText().isEmpty());
        assertEquals("LENGTH", r.getResult().getMetadata().getFinishReason());
        assertEquals(10, r.getMetadata().getUsage().getCompletionTokens());
        assertTrue(r.getMetadata().getUsage().getPromptTokens() > 0);
        assertEquals(r.getMetadata().getUsage().getPromptTokens() + 10, r.getMetadata().getUsage().getTotalTokens());
        assertEquals("qwen3", r.getMetadata().getModel());
        assertNotNull(r.getMetadata().getId());
        assertFalse(r.hasToolCalls());
    }

    @Test
    void defaultOptionsApplyAndThePromptOverridesThem() {
        NpuChatModel m = NpuChatModel.builder(npu).thinking(false).defaultOptions(ChatOptions.builder().maxTokens(4).build())
                .build();
        assertEquals(4, m.call(new Prompt("Hi")).getMetadata().getUsage().getCompletionTokens());
        assertEquals(7, m.call(new Prompt("Hi", ChatOptions.builder().maxTokens(7).build())).getMetadata().getUsage()
                .getCompletionTokens());
        assertEquals("qwen3", m.getOptions().getModel());
    }

    @Test
    void stopSequencesCutTheAnswer() {
        String full = model().call(new Prompt("Tell me a story")).getResult().getOutput().getText();
        String[] words = full.split(" ");
        String stop = " " + words[words.length / 2];
        ChatResponse cut = model().call(new Prompt("Tell me a story", ChatOptions.builder().stopSequences(List.of(stop)).build()));
        assertEquals(full.substring(0, full.indexOf(stop)), cut.getResult().getOutput().getText());
        assertEquals("STOP", cut.getResult().getMetadata().getFinishReason());
    }

    @Test
    void streamEmitsPiecesThenTheFinishReasonAndUsage() {
        String whole = model().call(new Prompt("Why is the sky blue?")).getResult().getOutput().getText();
        List<ChatResponse> items = model().stream(new Prompt("Why is the sky blue?")).collectList().block(Duration.ofSeconds(60));
        assertNotNull(items);
        assertTrue(items.size() > 2, "streamed in pieces: " + items.size());
        StringBuilder text = new StringBuilder();
        items.forEach(i -> text.append(i.getResult().getOutput().getText()));
        assertEquals(whole, text.toString());
        ChatResponse last = items.getLast();
        assertEquals("STOP", last.getResult().getMetadata().getFinishReason());
        assertTrue(last.getMetadata().getUsage().getCompletionTokens() > 0);
        assertEquals(1, items.stream().map(i -> i.getMetadata().getId()).distinct().count(), "one id per stream");
    }

    @Test
    void thinkingIsTheReasoningContentMetadata() {
        NpuChatModel m = NpuChatModel.builder(npu).thinking(true).build();
        AssistantMessage a = m.call(new Prompt("Why is the sky blue?")).getResult().getOutput();
        assertFalse(((String) a.getMetadata().get("reasoningContent")).isBlank());
        assertFalse(a.getText().contains("<think>"), a.getText());
        StringBuilder thinking = new StringBuilder();
        StringBuilder answer = new StringBuilder();
        for (ChatResponse r : m.stream(new Prompt("Why is the sky blue?")).toIterable()) {
            AssistantMessage o = r.getResult().getOutput();
            if (o.getMetadata().get("reasoningContent") instanceof String s) {
                thinking.append(s);
            }
            answer.append(o.getText());
        }
        assertEquals(a.getMetadata().get("reasoningContent"), thinking.toString().strip());
        assertEquals(a.getText(), answer.toString().strip());
    }

    @Test
    void toolCallsComeBackAsAssistantToolCallsAndResultsGoIn() {
        WeatherTools tools = new WeatherTools();
        ToolCallingChatOptions opts = ToolCallingChatOptions.builder().toolCallbacks(ToolCallbacks.from(tools)).build();
        UserMessage ask = new UserMessage("Use get_weather for Oslo");
        ChatResponse r = model().call(new Prompt(List.of(ask), opts));
        assertTrue(r.hasToolCalls());
        assertEquals("TOOL_CALLS", r.getResult().getMetadata().getFinishReason());
        AssistantMessage.ToolCall call = r.getResult().getOutput().getToolCalls().getFirst();
        assertEquals("get_weather", call.name());
        assertEquals("function", call.type());
        assertTrue(call.arguments().contains("\"Oslo\""), call.arguments());
        List<Message> history = new ArrayList<>(List.of(ask, r.getResult().getOutput(), ToolResponseMessage.builder()
                .responses(List.of(new ToolResponseMessage.ToolResponse(call.id(), call.name(), "{\"temp_c\": 11}"))).build()));
        ChatResponse answer = model().call(new Prompt(history, opts));
        assertTrue(answer.getResult().getOutput().getText().contains("11"), answer.getResult().getOutput().getText());
        assertTrue(tools.cities.isEmpty(), "the model only asks; running the tool is Spring AI's part");
    }

    @Test
    void springAisToolLoopRunsARealToolMethod() {
        WeatherTools tools = new WeatherTools();
        ChatClient client = ChatClient.builder(model()).build();
        String content = client.prompt().user("Use get_weather for Oslo").tools(tools).call().content();
        assertEquals(List.of("Oslo"), tools.cities, "Spring AI ran the @Tool method with the model's argument");
        assertNotNull(content);
        assertTrue(content.contains("11") && content.contains("cloudy"), content);

        WeatherTools streamed = new WeatherTools();
        String text = String.join("", client.prompt().user("Use get_weather for Bergen").tools(streamed).stream().content()
                .collectList().block(Duration.ofSeconds(60)));
        assertEquals(List.of("Bergen"), streamed.cities);
        assertTrue(text.contains("11"), text);
    }

    @Test
    void cancellingTheSubscriptionStopsTheRunPromptly() {
        Emulator.speed(1); // board timing: 32.9 tok/s, so 300 tokens would take ~9 s
        try {
            AtomicInteger seen = new AtomicInteger();
            Flux<ChatResponse> f = model().stream(new Prompt("Tell me a long story", ChatOptions.builder().maxTokens(300).build()));
            List<ChatResponse> first = f.doOnNext(x -> seen.incrementAndGet()).take(3).collectList().block(Duration.ofSeconds(30));
            assertEquals(3, first.size());
            long t0 = System.nanoTime();
            ChatResponse next = model().call(new Prompt("Hi", ChatOptions.builder().maxTokens(2).build()));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(2, next.getMetadata().getUsage().getCompletionTokens());
            assertTrue(ms < 3000, "the cancelled run freed the model at once: the next call took " + ms + " ms");
            assertTrue(seen.get() <= 4, "nothing emitted after the cancel: " + seen.get());
        } finally {
            Emulator.speed(0);
        }
    }

    @Test
    void errorsAreMappedAndSignalled() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> model().call(new Prompt("Hi", ChatOptions.builder().model("gpt-4o").build())));
        assertTrue(e.getMessage().contains("gpt-4o") && e.getMessage().contains("not supported"), e.getMessage());
        assertThrows(UnsupportedOperationException.class,
                () -> NpuChatModel.builder(npu).defaultOptions(ChatOptions.builder().model("gpt-4o").build()));
        StepVerifier.create(model().stream(new Prompt("Hi", ChatOptions.builder().model("gpt-4o").build())))
                .expectError(UnsupportedOperationException.class).verify(Duration.ofSeconds(10));
        IllegalArgumentException last = assertThrows(IllegalArgumentException.class,
                () -> model().call(new Prompt(new AssistantMessage("I speak first"))));
        assertTrue(last.getMessage().contains("last message"), last.getMessage());
        StepVerifier.create(model().stream(new Prompt(new AssistantMessage("I speak first"))))
                .expectError(IllegalArgumentException.class).verify(Duration.ofSeconds(10));
        // the model keeps serving
        assertFalse(model().call(new Prompt("Hi", ChatOptions.builder().maxTokens(2).build())).getResult().getOutput()
                .getText().isEmpty());
    }

    @Test
    void imagesToAModelWithoutAVisionEncoderAreRefused() throws IOException {
        UserMessage withImage = UserMessage.builder().text("What is this?")
                .media(new Media(MimeTypeUtils.IMAGE_PNG, new org.springframework.core.io.ByteArrayResource(png(0xff0000))))
                .build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> model().call(new Prompt(withImage)));
        assertTrue(e.getMessage().contains("images are not supported") && e.getMessage().contains("IMAGES"), e.getMessage());
    }

    @Test
    void twoImagesGiveTwoAnswersOnTheVisionModel() throws IOException {
        try (LanguageModel vl = LanguageModel.openEmulator("rk3588-qwen3-vl-2b-w8a8", LoadOptions.DEFAULTS)) {
            NpuChatModel m = NpuChatModel.builder(vl).build();
            String red = m.call(new Prompt(image(png(0xc02020)))).getResult().getOutput().getText();
            String blue = m.call(new Prompt(image(png(0x2020c0)))).getResult().getOutput().getText();
            String red2 = m.call(new Prompt(image(png(0xc02020)))).getResult().getOutput().getText();
            assertNotEquals(red, blue, "two images, two answers");
            assertEquals(red, red2, "the same image, the same answer");
            UserMessage remote = UserMessage.builder().text("What is this?")
                    .media(new Media(MimeTypeUtils.IMAGE_PNG, URI.create("https://example.com/cat.png"))).build();
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> m.call(new Prompt(remote)));
            assertTrue(e.getMessage().contains("remote image URLs are not supported"), e.getMessage());
        }
    }

    static UserMessage image(byte[] png) {
        return UserMessage.builder().text("What is in the picture?")
                .media(new Media(MimeTypeUtils.IMAGE_PNG, new org.springframework.core.io.ByteArrayResource(png))).build();
    }

    /** A 64x48 PNG of one colour with a green square in its top-left quarter. */
    static byte[] png(int rgb) throws IOException {
        BufferedImage img = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, x < 16 && y < 12 ? 0x20c020 : rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
