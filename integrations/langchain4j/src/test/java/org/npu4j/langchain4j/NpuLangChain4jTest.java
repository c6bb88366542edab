package org.npu4j.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/** The adapters over the emulated Qwen3 0.6B (RK3588 profile), in-process. */
class NpuLangChain4jTest {
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

    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather").description("Weather of a city")
            .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();

    /** Collects every callback. */
    static final class Recorder implements StreamingChatResponseHandler {
        final StringBuilder partials = new StringBuilder();
        final StringBuilder thinking = new StringBuilder();
        final List<PartialToolCall> partialCalls = new ArrayList<>();
        final List<CompleteToolCall> completeCalls = new ArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        final AtomicInteger partialCount = new AtomicInteger();
        volatile int cancelAfter = -1;

        @Override
        public void onPartialResponse(PartialResponse r, PartialResponseContext ctx) {
            partials.append(r.text());
            if (partialCount.incrementAndGet() == cancelAfter) {
                ctx.streamingHandle().cancel();
            }
        }

        @Override
        public void onPartialThinking(PartialThinking t) {
            thinking.append(t.text());
        }

        @Override
        public void onPartialToolCall(PartialToolCall c) {
            partialCalls.add(c);
        }

        @Override
        public void onCompleteToolCall(CompleteToolCall c) {
            completeCalls.add(c);
        }

        @Override
        public void onCompleteResponse(ChatResponse r) {
            done.complete(r);
        }

        @Override
        public void onError(Throwable e) {
            done.completeExceptionally(e);
        }

        ChatResponse get() throws Exception {
            return done.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void chatModelAnswersWithUsageAndFinishReason() {
        ChatModel model = NpuChatModel.builder(npu).thinking(false).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("What is an NPU?")).maxOutputTokens(10).build());
        assertFalse(r.aiMessage().text().isEmpty());
        assertEquals(10, r.tokenUsage().outputTokenCount());
        assertTrue(r.tokenUsage().inputTokenCount() > 0);
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("qwen3", r.modelName());
        assertNotNull(r.id());
    }

    @Test
    void defaultParametersApplyAndRequestsOverrideThem() {
        ChatModel model = NpuChatModel.builder(npu).thinking(false)
                .defaultRequestParameters(ChatRequestParameters.builder().maxOutputTokens(4).build()).build();
        assertEquals(4, model.chat(ChatRequest.builder().messages(UserMessage.from("Hi")).build()).tokenUsage()
                .outputTokenCount());
        assertEquals(7, model.chat(ChatRequest.builder().messages(UserMessage.from("Hi")).maxOutputTokens(7).build())
                .tokenUsage().outputTokenCount());
    }

    @Test
    void streamingDeliversPartialThinkingAndPartialResponses() throws Exception {
        StreamingChatModel model = NpuStreamingChatModel.builder(npu).thinking(true).build();
        Recorder rec = new Recorder();
        model.chat(ChatRequest.builder().messages(UserMessage.from("Why is the sky blue?")).build(), rec);
        ChatResponse r = rec.get();
        assertFalse(rec.thinking.isEmpty());
        assertEquals(r.aiMessage().thinking(), rec.thinking.toString().strip());
        assertEquals(r.aiMessage().text(), rec.partials.toString().strip());
        assertFalse(rec.partials.toString().contains("<think>"));
    }

    @Test
    void toolSpecificationsReachTheModelAndCallsComeBackAsRequests() throws Exception {
        ChatModel model = NpuChatModel.builder(npu).thinking(false).build();
        UserMessage ask = UserMessage.from("Use get_weather for Oslo");
        ChatResponse r = model.chat(ChatRequest.builder().messages(ask).toolSpecifications(WEATHER).build());
        assertEquals(FinishReason.TOOL_EXECUTION, r.finishReason());
        ToolExecutionRequest call = r.aiMessage().toolExecutionRequests().get(0);
        assertEquals("get_weather", call.name());
        assertTrue(call.arguments().contains("\"Oslo\""), call.arguments());
        assertNull(r.aiMessage().text());

        ChatResponse answer = model.chat(ChatRequest.builder().messages(ask, r.aiMessage(),
                ToolExecutionResultMessage.from(call, "{\"temp_c\": 11}")).toolSpecifications(WEATHER).build());
        assertTrue(answer.aiMessage().text().contains("11"), answer.aiMessage().text());

        Recorder rec = new Recorder();
        NpuStreamingChatModel.builder(npu).thinking(false).build()
                .chat(ChatRequest.builder().messages(ask).toolSpecifications(WEATHER).build(), rec);
        ChatResponse streamed = rec.get();
        assertEquals(1, rec.partialCalls.size());
        assertEquals(1, rec.completeCalls.size());
        assertEquals(0, rec.partialCalls.get(0).index());
        assertEquals(rec.partialCalls.get(0).id(), streamed.aiMessage().toolExecutionRequests().get(0).id(),
                "the id streamed is the id of the final request");
        assertEquals(call.arguments(), rec.completeCalls.get(0).toolExecutionRequest().arguments());
    }

    @Test
    void cancelFromAPartialResponseStopsTheRun() throws Exception {
        Emulator.speed(0.2);
        try {
            StreamingChatModel model = NpuStreamingChatModel.builder(npu).thinking(false).build();
            Recorder rec = new Recorder();
            rec.cancelAfter = 3;
            model.chat(ChatRequest.builder().messages(UserMessage.from("Tell me a long story")).maxOutputTokens(200).build(), rec);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (rec.partialCount.get() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // the model is free again at once: the next run starts and finishes
            ChatResponse next = NpuChatModel.builder(npu).thinking(false).build()
                    .chat(ChatRequest.builder().messages(UserMessage.from("Hi")).maxOutputTokens(3).build());
            assertEquals(3, next.tokenUsage().outputTokenCount());
            assertTrue(rec.partialCount.get() <= 4, "at most one token after the cancel: " + rec.partialCount.get());
            assertFalse(rec.done.isDone(), "no callback after a cancel");
        } finally {
            Emulator.speed(0);
        }
    }

    @Test
    void listenersSeeRequestAndResponse() {
        CountDownLatch seen = new CountDownLatch(2);
        ChatModelListener l = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext ctx) {
                seen.countDown();
            }

            @Override
            public void onResponse(ChatModelResponseContext ctx) {
                assertEquals(FinishReason.LENGTH, ctx.chatResponse().finishReason());
                seen.countDown();
            }
        };
        NpuChatModel.builder(npu).thinking(false).listeners(List.of(l)).build()
                .chat(ChatRequest.builder().messages(UserMessage.from("Hi")).maxOutputTokens(2).build());
        assertEquals(0, seen.getCount());
    }

    @Test
    void whatTheModelCannotDoIsRefused() {
        ChatModel model = NpuChatModel.builder(npu).build();
        assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("Hi")).toolSpecifications(WEATHER).toolChoice(ToolChoice.REQUIRED).build()));
        assertThrows(UnsupportedFeatureException.class, () -> model.chat(ChatRequest.builder()
                .messages(UserMessage.from("Hi")).modelName("gpt-4o").build()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.chat(ChatRequest.builder()
                .messages(AiMessage.from("I speak first")).build()));
        assertTrue(e.getMessage().contains("last message"), e.getMessage());
    }

    @Test
    void streamingCallbacksRunOnOneThreadThatIsNotTheCallers() throws Exception {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        StringBuilder text = new StringBuilder();
        AtomicInteger partials = new AtomicInteger();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        NpuStreamingChatModel.builder(npu).thinking(false).build().chat("What is the capital of Germany?",
                new StreamingChatResponseHandler() {
                    @Override
                    public void onPartialResponse(String s) {
                        threads.add(Thread.currentThread());
                        partials.incrementAndGet();
                        text.append(s);
                    }

                    @Override
                    public void onCompleteResponse(ChatResponse r) {
                        threads.add(Thread.currentThread());
                        done.complete(r);
                    }

                    @Override
                    public void onError(Throwable e) {
                        done.completeExceptionally(e);
                    }
                });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(1, threads.size(), "one callback thread: " + threads);
        assertNotEquals(Thread.currentThread(), threads.iterator().next());
        assertTrue(partials.get() > 1, "streamed in pieces: " + partials.get());
        assertEquals(r.aiMessage().text(), text.toString());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertFalse(r.aiMessage().hasToolExecutionRequests());
        assertTrue(r.tokenUsage().inputTokenCount() > 0 && r.tokenUsage().outputTokenCount() > 0);
        assertEquals(r.tokenUsage().inputTokenCount() + r.tokenUsage().outputTokenCount(),
                r.tokenUsage().totalTokenCount());
    }

    /** As the suite's should_propagate_user_exceptions_* and should_ignore_user_exceptions_thrown_from_onError. */
    @Test
    void handlerExceptionsGoToOnErrorAndTheStreamGoesOn() throws Exception {
        RuntimeException boom = new RuntimeException("something wrong happened in user code");
        AtomicInteger partials = new AtomicInteger();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        CountDownLatch errorAfterComplete = new CountDownLatch(1);
        NpuStreamingChatModel.builder(npu).thinking(false).build().chat("Hi", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String s) {
                partials.incrementAndGet();
                throw boom;
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
                throw boom;
            }

            @Override
            public void onError(Throwable e) {
                errors.add(e);
                if (done.isDone()) {
                    errorAfterComplete.countDown();
                }
                throw new IllegalStateException("onError throws too: logged and ignored");
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertTrue(errorAfterComplete.await(10, TimeUnit.SECONDS), "onCompleteResponse's exception reaches onError");
        assertTrue(partials.get() > 1);
        assertEquals(partials.get() + 1, errors.size(), "one onError per throwing callback: " + errors);
        errors.forEach(e -> assertEquals(boom, e));
        assertFalse(r.aiMessage().text().isEmpty(), "the stream went on to its end");
    }

    @Test
    void stopSequencesCutTheAnswer() {
        ChatModel model = NpuChatModel.builder(npu).thinking(false).build();
        ChatRequest.Builder ask = ChatRequest.builder().messages(UserMessage.from("Tell me a story"));
        String full = model.chat(ask.build()).aiMessage().text();
        String[] words = full.split(" ");
        String stop = " " + words[words.length / 2];
        int at = full.indexOf(stop);
        assertTrue(at > 0, full);
        for (ChatModel m : List.of(model, NpuChatModel.builder(npu).thinking(false)
                .defaultRequestParameters(ChatRequestParameters.builder().stopSequences(List.of(stop)).build()).build())) {
            ChatRequest req = m == model ? ask.stopSequences(List.of(stop)).build()
                    : ChatRequest.builder().messages(UserMessage.from("Tell me a story")).build();
            ChatResponse cut = m.chat(req);
            assertEquals(full.substring(0, at), cut.aiMessage().text(), "cut before the stop sequence " + stop);
            assertEquals(FinishReason.STOP, cut.finishReason());
        }
    }

    @Test
    void anotherModelNameIsRefusedInTheDefaultsToo() {
        ChatRequestParameters other = ChatRequestParameters.builder().modelName("gpt-4o").build();
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> NpuChatModel.builder(npu).defaultRequestParameters(other));
        assertTrue(e.getMessage().contains("modelName") && e.getMessage().contains("not supported"), e.getMessage());
        assertThrows(UnsupportedFeatureException.class,
                () -> NpuStreamingChatModel.builder(npu).defaultRequestParameters(other));
    }

    /** A 64x48 PNG of one colour with a green square in its top-left quarter, as base64. */
    static String png(int rgb) throws java.io.IOException {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, x < 16 && y < 12 ? 0x20c020 : rgb);
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return java.util.Base64.getEncoder().encodeToString(out.toByteArray());
    }

    @Test
    void imagesReachTheVisionModelAndTwoImagesGiveTwoAnswers() throws Exception {
        try (LanguageModel vl = LanguageModel.openEmulator("rk3588-qwen3-vl-2b-w8a8", LoadOptions.DEFAULTS)) {
            ChatModel model = NpuChatModel.builder(vl).build();
            String red = png(0xc02020);
            String blue = png(0x2020c0);
            String a = model.chat(UserMessage.from(TextContent.from("What is in the picture?"),
                    ImageContent.from(red, "image/png"))).aiMessage().text();
            String b = model.chat(UserMessage.from(TextContent.from("What is in the picture?"),
                    ImageContent.from(blue, "image/png"))).aiMessage().text();
            String a2 = model.chat(UserMessage.from(TextContent.from("What is in the picture?"),
                    ImageContent.from(java.net.URI.create("data:image/png;base64," + red)))).aiMessage().text();
            assertNotEquals(a, b, "two images, two answers");
            assertEquals(a, a2, "the same image as base64 data or as a data URL, the same answer");

            Recorder rec = new Recorder();
            NpuStreamingChatModel.builder(vl).build().chat(ChatRequest.builder().messages(UserMessage.from(
                    TextContent.from("What is in the picture?"), ImageContent.from(blue, "image/png"))).build(), rec);
            assertEquals(b, rec.get().aiMessage().text());

            UnsupportedFeatureException remote = assertThrows(UnsupportedFeatureException.class, () -> model.chat(
                    UserMessage.from(TextContent.from("What is this?"),
                            ImageContent.from(java.net.URI.create("https://example.com/cat.png")))));
            assertTrue(remote.getMessage().contains("remote image URLs are not supported"), remote.getMessage());
        }
    }

    @Test
    void imagesReachTheAx650nQwen3VlPackage() throws Exception {
        try (LanguageModel vl = LanguageModel.openEmulator("ax650n-tiny-qwen3-vl", LoadOptions.DEFAULTS)) {
            ChatModel model = NpuChatModel.builder(vl).build();
            String red = png(0xc02020);
            String a = model.chat(UserMessage.from(TextContent.from("What is in the picture?"),
                    ImageContent.from(red, "image/png"))).aiMessage().text();
            String b = model.chat(UserMessage.from(TextContent.from("What is in the picture?"),
                    ImageContent.from(png(0x2020c0), "image/png"))).aiMessage().text();
            String a2 = model.chat(UserMessage.from(TextContent.from("What is in the picture?"),
                    ImageContent.from(java.net.URI.create("data:image/png;base64," + red)))).aiMessage().text();
            assertNotEquals(a, b, "two images, two answers");
            assertEquals(a, a2, "the same image as base64 data or as a data URL, the same answer");
        }
    }

    @Test
    void imagesToAModelWithoutAVisionEncoderAreRefused() throws Exception {
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> NpuChatModel.builder(npu)
                .build().chat(UserMessage.from(TextContent.from("What is this?"), ImageContent.from(png(0), "image/png"))));
        assertTrue(e.getMessage().contains("image inputs are not supported") && e.getMessage().contains("IMAGES"),
                e.getMessage());
    }
}
