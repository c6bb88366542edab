package org.npu4j.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * LangChain4j's listener conformance suite for {@link StreamingChatModel}s against the emulated Qwen3 0.6B: the
 * listener sees the request's parameters, the response and errors. The failing model is one whose
 * LanguageModel was closed ({@link IllegalStateException}).
 */
class NpuStreamingChatModelListenerConformanceTest extends AbstractStreamingChatModelListenerIT {
    static final LanguageModel NPU = LanguageModel.openEmulator("rk3588-qwen3-0.6b-w8a8", LoadOptions.DEFAULTS.withName("qwen3"));
    static final LanguageModel CLOSED = LanguageModel.openEmulator("rk3588-qwen3-0.6b-w8a8", LoadOptions.DEFAULTS.withName("closed"));

    static {
        CLOSED.close();
    }

    @AfterAll
    static void close() {
        NPU.close();
    }

    @Override
    protected StreamingChatModel createModel(ChatModelListener listener) {
        return NpuStreamingChatModel.builder(NPU).thinking(false).listeners(List.of(listener)).defaultRequestParameters(
                ChatRequestParameters.builder().temperature(temperature()).topP(topP()).maxOutputTokens(maxTokens()).build())
                .build();
    }

    @Override
    protected String modelName() {
        return "qwen3";
    }

    @Override
    protected StreamingChatModel createFailingModel(ChatModelListener listener) {
        return NpuStreamingChatModel.builder(CLOSED).listeners(List.of(listener)).build();
    }

    @Override
    protected Class<? extends Exception> expectedExceptionClass() {
        return IllegalStateException.class;
    }
}
