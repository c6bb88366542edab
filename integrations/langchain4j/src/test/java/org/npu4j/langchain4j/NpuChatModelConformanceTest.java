package org.npu4j.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * LangChain4j's conformance suite for {@link ChatModel}s against the emulated Qwen3 0.6B. The capabilities
 * the models lack are declared through the suite's switches. The emulator's answers are not a real
 * model's (no "Berlin" for the capital of Germany): the tests whose assertions need one are disabled, with
 * the reason, by {@link EmulatorContentChecks}; run the suite against a real model on a board for those.
 * Part of the default build (fast with NPU4J_EMULATOR_SPEED=0).
 */
@ExtendWith(EmulatorContentChecks.class)
class NpuChatModelConformanceTest extends AbstractChatModelIT {
    static final LanguageModel NPU = LanguageModel.openEmulator("rk3588-qwen3-0.6b-w8a8", LoadOptions.DEFAULTS.withName("qwen3"));

    @AfterAll
    static void close() {
        NPU.close();
    }

    @Override
    protected List<ChatModel> models() {
        return List.of(NpuChatModel.builder(NPU).thinking(false).build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        return NpuChatModel.builder(NPU).thinking(false).defaultRequestParameters(parameters).build();
    }

    /** The adapter has no parameters class of its own: the common ones are what it takes. */
    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return ChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).build();
    }

    /** One adapter runs one loaded model: another model name is refused (UnsupportedFeatureException). */
    @Override
    protected boolean supportsModelNameParameter() {
        return false;
    }

    /** The backends have no constrained decoding: a tool call cannot be forced. */
    @Override
    protected boolean supportsToolChoiceRequired() {
        return false;
    }

    /** No constrained decoding: JSON output cannot be guaranteed, so the format is refused. */
    @Override
    protected boolean supportsJsonResponseFormat() {
        return false;
    }

    /** As supportsJsonResponseFormat. */
    @Override
    protected boolean supportsJsonResponseFormatWithSchema() {
        return false;
    }

    /** As supportsJsonResponseFormat. */
    @Override
    protected boolean supportsJsonResponseFormatWithRawSchema() {
        return false;
    }

    /** As supportsJsonResponseFormat. */
    @Override
    protected boolean supportsToolsAndJsonResponseFormatWithSchema() {
        return false;
    }

    /** The suite's model (Qwen3 0.6B) has no vision encoder (no Capability.IMAGES): images are refused. */
    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    /** As supportsSingleImageInputAsBase64EncodedString. */
    @Override
    protected boolean supportsMultipleImageInputsAsBase64EncodedStrings() {
        return false;
    }

    /** Remote image URLs are never fetched (the adapter takes base64 data and data URLs only). */
    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }

    /** As supportsSingleImageInputAsPublicURL. */
    @Override
    protected boolean supportsMultipleImageInputsAsPublicURLs() {
        return false;
    }
}
