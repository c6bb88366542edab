package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.Emulator;
import org.npu4j.llm.BatchEntry;
import org.npu4j.llm.BatchingLanguageModel;
import org.npu4j.llm.Capability;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.TokenListener;

/**
 * Batches through the LLM API on the emulated RKLLM runtime (speed 0): each entry gets the answer its
 * request gets alone on a model without batches, with its own limits, stops and usage, in one run.
 */
class RkllmBatchTest {
    static final String PROFILE = "rk3588-qwen3-0.6b-w8a8";
    static final String RUNS = "npu4j_emulator_run_count";
    static LanguageModel serial;
    static BatchingLanguageModel batched;

    @BeforeAll
    static void open() {
        serial = LanguageModel.openEmulator(PROFILE, LoadOptions.DEFAULTS);
        batched = (BatchingLanguageModel) LanguageModel.openEmulator(PROFILE, LoadOptions.DEFAULTS.withOption("batch", "4"));
    }

    @AfterAll
    static void close() {
        batched.close();
        serial.close();
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    static LlmRequest ask(String text) {
        return LlmRequest.builder().message(ChatMessage.system("You are terse.")).message(ChatMessage.user(text))
                .thinking(false).build();
    }

    static final List<String> PROMPTS = List.of("Tell me about rivers.", "Расскажи о горах.", "介绍一下这个城市。",
            "What is an NPU?");

    /** Collects an entry's streamed text. */
    static class Text implements TokenListener {
        final StringBuilder sb = new StringBuilder();
        int tokens;
        boolean finished;

        @Override
        public void onToken(String text, int tokenId) {
            sb.append(text);
            tokens++;
        }

        @Override
        public void onFinish(org.npu4j.llm.PerfStats perf) {
            finished = true;
        }
    }

    @Test
    void capabilitiesSayBatchWithoutKvReuse() {
        assertTrue(batched.info().capabilities().contains(Capability.BATCH));
        assertFalse(batched.info().capabilities().contains(Capability.KV_REUSE), "batches prefill everything");
        assertEquals(4, batched.maxBatch());
        assertFalse(serial.info().capabilities().contains(Capability.BATCH));
        assertTrue(serial.info().capabilities().contains(Capability.KV_REUSE));
        assertThrows(IllegalStateException.class, () -> ((BatchingLanguageModel) serial).generateBatch(
                List.of(new BatchEntry(ask("x"), TokenListener.NONE))));
    }

    @Test
    void everyEntryGetsItsOwnAnswerAsAloneInOneRun() {
        List<Completion> alone = new ArrayList<>();
        for (String p : PROMPTS) {
            alone.add(serial.generate(ask(p)));
        }
        List<BatchEntry> entries = new ArrayList<>();
        List<Text> streamed = new ArrayList<>();
        for (String p : PROMPTS) {
            Text t = new Text();
            streamed.add(t);
            entries.add(new BatchEntry(ask(p), t));
        }
        long runs = Emulator.counter(RUNS);
        List<Completion> got = batched.generateBatch(entries);
        assertEquals(runs + 1, Emulator.counter(RUNS), "four requests, one run");
        for (int i = 0; i < PROMPTS.size(); i++) {
            Completion a = alone.get(i);
            Completion b = got.get(i);
            assertEquals(a.text(), b.text(), "entry " + i);
            assertArrayEquals(a.tokenIds(), b.tokenIds(), "entry " + i);
            assertEquals(a.finishReason(), b.finishReason());
            assertEquals(a.promptTokens(), b.promptTokens(), "entry " + i + ": the prompt it prefilled");
            assertEquals(b.text(), streamed.get(i).sb.toString(), "streamed = returned");
            assertTrue(streamed.get(i).finished, "onFinish per entry");
            assertSame(b, entries.get(i).result().join());
            assertEquals(Outcome.FINISHED, b.outcome());
            assertTrue(b.timings().ttftNanos() > 0 && b.perf().generateTokens() == b.tokenCount());
        }
        // a batch of one (padded) answers like a model without batches
        assertEquals(alone.get(2).text(), batched.generate(ask(PROMPTS.get(2))).text());
    }

    @Test
    void limitsAndStopSequencesArePerEntry() {
        Completion free = serial.generate(ask(PROMPTS.get(0)));
        String stopAt = free.text().substring(10, 14);
        List<BatchEntry> entries = List.of(
                new BatchEntry(ask(PROMPTS.get(0)).toBuilder().maxNewTokens(5).build(), TokenListener.NONE),
                new BatchEntry(ask(PROMPTS.get(1)).toBuilder().maxNewTokens(9).build(), TokenListener.NONE),
                new BatchEntry(ask(PROMPTS.get(0)).toBuilder().stop(List.of(stopAt)).build(), TokenListener.NONE));
        List<Completion> got = batched.generateBatch(entries);
        assertEquals(5, got.get(0).tokenCount());
        assertEquals(FinishReason.LENGTH, got.get(0).finishReason());
        assertEquals(9, got.get(1).tokenCount());
        assertEquals(FinishReason.LENGTH, got.get(1).finishReason());
        assertEquals(free.text().substring(0, free.text().indexOf(stopAt)), got.get(2).text());
        assertEquals(FinishReason.STOP, got.get(2).finishReason());
    }

    @Test
    void stoppingOrFailingOneEntryLeavesTheOthersIntact() {
        Completion a0 = serial.generate(ask(PROMPTS.get(0)));
        Completion a2 = serial.generate(ask(PROMPTS.get(2)));
        BatchEntry[] stopped = new BatchEntry[1];
        Text t1 = new Text() {
            @Override
            public void onToken(String text, int tokenId) {
                super.onToken(text, tokenId);
                if (tokens == 3) {
                    stopped[0].stop(); // as a client that went away
                }
            }
        };
        IllegalStateException boom = new IllegalStateException("listener broke");
        TokenListener failing = new TokenListener() {
            int n;

            @Override
            public void onToken(String text, int tokenId) {
                if (++n == 4) {
                    throw boom;
                }
            }
        };
        List<BatchEntry> entries = List.of(new BatchEntry(ask(PROMPTS.get(0)), TokenListener.NONE),
                new BatchEntry(ask(PROMPTS.get(1)), t1), new BatchEntry(ask(PROMPTS.get(2)), TokenListener.NONE),
                new BatchEntry(ask(PROMPTS.get(3)), failing));
        stopped[0] = entries.get(1);
        List<Completion> got = batched.generateBatch(entries);
        assertEquals(a0.text(), got.get(0).text());
        assertEquals(a2.text(), got.get(2).text());
        assertEquals(Outcome.ABORTED, got.get(1).outcome());
        assertEquals(3, t1.tokens, "no token after stop()");
        assertEquals(Outcome.ABORTED, got.get(1).outcome());
        assertSame(boom, entries.get(3).failure());
        assertNull(entries.get(0).failure());
    }

    @Test
    void whenEveryEntryIsGoneTheRunEnds() {
        long runs = Emulator.counter(RUNS);
        BatchEntry e = new BatchEntry(ask(PROMPTS.get(0)), TokenListener.NONE);
        e.stop();
        List<Completion> got = batched.generateBatch(List.of(e));
        assertEquals(Outcome.ABORTED, got.get(0).outcome());
        assertEquals(runs, Emulator.counter(RUNS), "stopped before it started: nothing ran");

        BatchEntry[] both = new BatchEntry[2];
        TokenListener stopAll = new TokenListener() {
            @Override
            public void onToken(String text, int tokenId) {
                both[0].stop();
                both[1].stop();
            }
        };
        both[0] = new BatchEntry(ask(PROMPTS.get(0)).toBuilder().build(), stopAll);
        both[1] = new BatchEntry(ask(PROMPTS.get(1)), TokenListener.NONE);
        got = batched.generateBatch(List.of(both));
        assertEquals(runs + 1, Emulator.counter(RUNS));
        assertTrue(got.get(0).tokenCount() <= 1 && got.get(1).tokenCount() <= 1, got.toString());
        // the next batch runs normally (the aborted run left nothing behind)
        assertEquals(serial.generate(ask(PROMPTS.get(3))).text(), batched.generate(ask(PROMPTS.get(3))).text());
    }

    @Test
    void onlyRequestsThatShareTheRuntimeStateShareABatch() {
        LlmRequest a = ask("One.");
        LlmRequest other = LlmRequest.builder().message(ChatMessage.system("You are verbose.")).message(ChatMessage.user("Two."))
                .thinking(false).build();
        assertTrue(batched.batchable(a, ask("Three.")));
        assertFalse(batched.batchable(a, other));
        assertFalse(batched.batchable(a, a.toBuilder().thinking(true).build()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> batched.generateBatch(
                List.of(new BatchEntry(a, TokenListener.NONE), new BatchEntry(other, TokenListener.NONE))));
        assertTrue(e.getMessage().contains("not batchable"), e.getMessage());
        List<BatchEntry> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(new BatchEntry(a, TokenListener.NONE));
        }
        assertThrows(IllegalArgumentException.class, () -> batched.generateBatch(five));
        assertInstanceOf(IllegalStateException.class, assertThrows(RuntimeException.class,
                () -> batched.stream(a)));
    }
}
