package org.npu4j.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * LangChain4j's conformance suite for {@link StreamingChatModel}s against the emulated Qwen3 0.6B. The capabilities
 * the models lack are declared through the suite's switches. The emulator's answers are not a real
 * model's (no "Berlin" for the capital of Germany), so the suite's content checks fail on it by design:
 * run it against a real model on a board. Not part of the default build ({@code -Dtest='*ConformanceIT'}).
 */
class NpuStreamingChatModelConformanceIT extends AbstractStreamingChatModelIT {
    static final LanguageModel NPU = LanguageModel.openEmulator("rk3588-qwen3-0.6b-w8a8", LoadOptions.DEFAULTS.withName("qwen3"));

    @AfterAll
    static void close() {
        NPU.close();
    }

    @Override
    protected List<StreamingChatModel> models() {
        return List.of(NpuStreamingChatModel.builder(NPU).thinking(false).build());
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return NpuStreamingChatModel.builder(NPU).thinking(false).defaultRequestParameters(parameters).build();
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return NpuStreamingChatModel.builder(NPU).thinking(false).listeners(List.of(listener)).build();
    }

    /** The adapter has no parameters class of its own: the common ones are what it takes. */
    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return ChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false;
    }

    @Override
    protected boolean supportsToolChoiceRequired() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormat() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithSchema() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithRawSchema() {
        return false;
    }

    @Override
    protected boolean supportsToolsAndJsonResponseFormatWithSchema() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    @Override
    protected boolean supportsMultipleImageInputsAsBase64EncodedStrings() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }

    @Override
    protected boolean supportsMultipleImageInputsAsPublicURLs() {
        return false;
    }
}
