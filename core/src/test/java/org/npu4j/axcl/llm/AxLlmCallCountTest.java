package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.EngineCalls;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;

/**
 * The AXCL calls a generation reports ({@link EngineCalls} in its {@code PerfStats}) are those the
 * emulated runtime counted on its side, and per decoded token they are the budget: L + 1
 * executes, 4 transfers plus 2 L device-to-device K/V copies with the default strategy.
 */
class AxLlmCallCountTest {

    private static LlmRequest request(String text, int maxNewTokens, boolean reuse) {
        return LlmRequest.builder().message(ChatMessage.user(text)).maxNewTokens(maxNewTokens).reuseCache(reuse).build();
    }

    @Test
    void reportedCallsAreTheEmulatorsAndMeetTheBudget() {
        for (String kv : new String[] {"copy", "bind"}) {
            try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny", LoadOptions.DEFAULTS.withOption("axcl.kv", kv))) {
                m.generate(request("warm the model up", 4, true));
                long[] before = EmuCounters.snapshot();
                Completion c = m.generate(request("Count every call of this answer, please.", 12, false));
                long[] after = EmuCounters.snapshot();
                EngineCalls calls = c.perf().engineCalls();
                assertTrue(calls.known(), calls.toString());
                long executes = after[0] - before[0];
                long transfers = after[1] - before[1] + after[2] - before[2] + after[3] - before[3] + after[4] - before[4];
                long binds = after[6] - before[6];
                assertEquals(executes, calls.prefillExecutes() + calls.decodeExecutes(), kv + ": executes " + calls);
                assertEquals(transfers, calls.prefillTransfers() + calls.decodeTransfers(), kv + ": transfers " + calls);
                assertEquals(binds, calls.prefillHostOnly() + calls.decodeHostOnly(), kv + ": binds " + calls);
                assertEquals(Math.max(0, c.tokenCount() - 1), calls.decodeSteps(), "one decode step per token but the last");
                assertTrue(calls.decodeSteps() > 0, "the tiny model answered at least two tokens: " + c);
                int layers = 4;
                assertEquals(layers + 1, calls.executesPerToken(), 1e-9, kv + ": " + calls);
                if (kv.equals("copy")) {
                    assertEquals(4 + 2 * layers, calls.transfersPerToken(), 1e-9, "embedding, indices, mask, logits, K/V");
                    // the post model's input bound back from the prefill to the decode hidden state, once
                    assertEquals(1, calls.decodeHostOnly(), calls.toString());
                } else {
                    assertEquals(4, calls.transfersPerToken(), 1e-9, "embedding, indices, mask, logits");
                    // 2 L K/V binds per token, and the post model's input bound back to the decode buffer once
                    assertEquals(2L * layers * calls.decodeSteps() + 1, calls.decodeHostOnly(), calls.toString());
                }
                int prompt = c.promptTokens();
                assertEquals((prompt + 15) / 16, calls.prefillSteps(), "chunks of P = 16 for " + prompt + " tokens");
                assertEquals(layers * calls.prefillSteps() + 1, calls.prefillExecutes(), "layers per chunk + post");
            }
        }
        assertEquals(0, EmuCounters.live("device_allocations"));
    }

    @Test
    void aColdRequestPrefillsTheWholePromptItsIdsSay() {
        try (LanguageModel m = LanguageModel.openEmulator("ax650n-tiny", LoadOptions.DEFAULTS)) {
            LlmRequest warm = request("The same system prompt opens both turns", 4, true);
            LlmRequest cold = request("and a second question follows it", 4, false);
            LlmRequest reuse = request("and a second question follows it", 4, true);
            int[] ids = m.promptTokenIds(cold).orElseThrow();
            assertArrayEquals(ids, m.promptTokenIds(reuse).orElseThrow(), "the same prompt either way");
            m.generate(warm);
            Completion reused = m.generate(reuse);
            assertTrue(reused.promptTokens() < ids.length, "the common prefix was reused: " + reused.promptTokens());
            Completion c = m.generate(cold);
            assertEquals(ids.length, c.promptTokens(), "cold: every prompt token prefilled");
            assertArrayEquals(reused.tokenIds(), c.tokenIds(), "and the same answer");
            assertFalse(cold.toString().isEmpty());
        }
    }
}
