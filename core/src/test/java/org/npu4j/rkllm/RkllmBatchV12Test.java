package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.llm.BatchEntry;
import org.npu4j.llm.BatchingLanguageModel;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.TokenListener;

/**
 * Batches on the emulated RKLLM 1.2.3 runtime (its own JVM: one RKLLM runtime per process). 1.2 has no
 * per-run {@code max_new_tokens} or sampling: the entries' limits are applied on the host.
 */
class RkllmBatchV12Test {

    static LlmRequest ask(String text) {
        return LlmRequest.builder().message(ChatMessage.user(text)).thinking(false).build();
    }

    @Test
    void entriesAnswerAsAloneWithTheirOwnLimits() {
        LoadOptions v12 = LoadOptions.DEFAULTS.withOption("rkllm.abi", "1.2");
        try (LanguageModel one = LanguageModel.openEmulator(RkllmBatchTest.PROFILE, v12);
                BatchingLanguageModel two = (BatchingLanguageModel) LanguageModel.openEmulator(RkllmBatchTest.PROFILE,
                        v12.withOption("batch", "2"))) {
            LlmRequest free = ask("Tell me about rivers.");
            LlmRequest limited = ask("Расскажи о горах.").toBuilder().maxNewTokens(7).build();
            Completion a = one.generate(free);
            Completion b = one.generate(limited);
            List<Completion> got = two.generateBatch(List.of(new BatchEntry(free, TokenListener.NONE),
                    new BatchEntry(limited, TokenListener.NONE)));
            assertEquals(a.text(), got.get(0).text());
            assertEquals(a.finishReason(), got.get(0).finishReason());
            assertEquals(b.text(), got.get(1).text());
            assertEquals(7, got.get(1).tokenCount());
            assertEquals(FinishReason.LENGTH, got.get(1).finishReason());
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }
}
