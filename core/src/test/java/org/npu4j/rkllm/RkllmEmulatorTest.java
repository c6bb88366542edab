package org.npu4j.rkllm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.Emulator;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.FinishReason;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.Role;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.llm.ToolCall;
import org.npu4j.llm.ToolSpec;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RKLLM API against npu4j's emulated runtime, once per ABI (the subclasses). Surefire runs each
 * test class in its own JVM: a process holds one RKLLM runtime. Runs with {@code NPU4J_EMULATOR_SPEED=0}
 * (no board delays); fault injection sets the emulator's variables in the process environment with
 * {@code setenv} ({@link NativeEnv}). After every test all models are closed and the emulator must
 * own no heap block.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class RkllmEmulatorTest {
    static final String MODEL = "rk3588-qwen3-0.6b-w8a8.model";
    /** Qwen3-0.6B (descriptor: hidden_size, vocab_size, layers, KV heads, head dim). */
    static final int HIDDEN = 1024;
    static final int VOCAB = 151936;

    abstract RkllmAbi abi();

    RkllmRuntime runtime;
    final List<RkllmModel> opened = Collections.synchronizedList(new ArrayList<>());

    static Path library(RkllmAbi abi) {
        String dir = System.getProperty("npu4j.native.dir");
        if (dir == null) {
            throw new IllegalStateException("npu4j.native.dir is not set: run the tests through Maven");
        }
        return Path.of(dir, abi == RkllmAbi.V1_2 ? "rkllm-v1_2" : "rkllm-v1_3", "librkllmrt.so");
    }

    /** An emulated LoRA adapter shipped beside the models; a missing name gives a path that does not exist. */
    static Path lora(String file) {
        return Emulator.models("rkllm").contains(file) ? Emulator.model("rkllm", file)
                : Emulator.model("rkllm", MODEL).resolveSibling(file);
    }

    @BeforeEach
    void loadRuntime() {
        runtime = RkllmRuntime.load(library(abi()));
    }

    @AfterEach
    void closeEverythingAndCheckForLeaks() {
        for (String v : List.of(NativeEnv.FAIL_INIT, NativeEnv.FAIL_RUN, NativeEnv.DIE_AFTER_TOKENS,
                NativeEnv.STALL_MS)) {
            NativeEnv.unset(v);
        }
        NativeEnv.set(NativeEnv.SPEED, "0");
        synchronized (opened) {
            for (RkllmModel m : opened) {
                m.close();
            }
        }
        assertEquals(0, NativeEnv.emulatorLiveAllocations(), "heap blocks the emulator still owns after destroy");
    }

    RkllmModelBuilder builder() {
        return RkllmModel.builder(Emulator.model("rkllm", MODEL)).runtime(runtime).maxContextLen(1024);
    }

    RkllmModel open(UnaryOperator<RkllmModelBuilder> settings) {
        RkllmModel m = settings.apply(builder()).load();
        opened.add(m);
        return m;
    }

    RkllmModel open() {
        return open(b -> b.maxNewTokens(40));
    }

    /** Collects every callback. */
    static class Recorder implements GenerationListener {
        final List<String> texts = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> ids = Collections.synchronizedList(new ArrayList<>());
        final AtomicReference<PerfStats> finish = new AtomicReference<>();
        final AtomicReference<Thread> thread = new AtomicReference<>();

        @Override
        public void onToken(String text, int tokenId) {
            thread.set(Thread.currentThread());
            texts.add(text);
            ids.add(tokenId);
        }

        @Override
        public void onFinish(PerfStats perf) {
            finish.set(perf);
        }

        String text() {
            return String.join("", texts);
        }
    }

    /** Blocks the runtime's thread at the first token until released. */
    static class Blocker extends Recorder {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onToken(String text, int tokenId) {
            super.onToken(text, tokenId);
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitStarted() throws InterruptedException {
            assertTrue(started.await(30, TimeUnit.SECONDS), "the run did not start");
        }
    }

    // ------------------------------------------------------------------------------ runtime

    @Test
    void theRuntimeIsDetectedFromTheLibraryFile() {
        assertEquals(abi(), runtime.abi());
        assertTrue(runtime.abiDetected());
        assertTrue(runtime.isEmulator());
        assertEquals(abi() == RkllmAbi.V1_2 ? "1.2.3" : "1.3.0", runtime.version().orElseThrow());
        assertSame(runtime, RkllmRuntime.load(library(abi())), "loading the same file again");
        assertSame(runtime, RkllmRuntime.load());
        assertSame(runtime, RkllmRuntime.loaded().orElseThrow());
    }

    @Test
    void aSecondRuntimeInTheSameProcessIsRefused() {
        RkllmAbi other = abi() == RkllmAbi.V1_2 ? RkllmAbi.V1_3 : RkllmAbi.V1_2;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> RkllmRuntime.load(library(other)));
        assertTrue(e.getMessage().contains("one RKLLM runtime per process"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> RkllmRuntime.load(library(abi()), other));
    }

    // ----------------------------------------------------------------------------- generation

    @Test
    void generateStreamsTextTokensAndStatistics() {
        RkllmModel m = open();
        Recorder rec = new Recorder();
        GenerationResult r = m.generate(GenerationRequest.prompt("Why does an NPU need a big core?"), rec);
        assertEquals(Outcome.FINISHED, r.outcome());
        assertFalse(r.text().isBlank());
        assertEquals(rec.text(), r.text(), "the listener's pieces make up the result");
        assertEquals(rec.ids.size(), r.tokenCount());
        assertEquals(rec.ids, java.util.Arrays.stream(r.tokenIds()).boxed().toList());
        assertTrue(r.tokenCount() > 0 && r.tokenCount() <= 40, "maxNewTokens 40: " + r.tokenCount());
        assertEquals(r.tokenCount(), r.perf().generateTokens(), "the runtime counted the same tokens");
        assertTrue(r.perf().prefillTokens() > 5, "prompt tokens: " + r.perf());
        assertEquals(r.perf(), rec.finish.get(), "onFinish got the runtime's statistics");
        assertTrue(r.perf().memoryUsageMb() > 700, "the profile's memory: " + r.perf());
        assertTrue(r.timings().ttftNanos() > 0 && r.timings().ttftNanos() <= r.timings().durationNanos());
        assertEquals(r.tokenCount(), r.timings().tokens());
        assertTrue(r.timings().interTokenP50Nanos() > 0 && r.timings().interTokenP99Nanos()
                >= r.timings().interTokenP50Nanos());
        assertNotEquals(Thread.currentThread(), rec.thread.get(), "callbacks come from the runtime's own thread");
        assertNull(r.hiddenStates());
        assertNull(r.logits());
    }

    @Test
    void sameRequestSameAnswerAndHistoryIsNotKeptByDefault() {
        RkllmModel m = open();
        GenerationResult a = m.generate("Tell me about rivers.");
        assertEquals(0, m.kvCacheSize(), "without keepHistory the KV cache is back to the (empty) system prompt");
        GenerationResult b = m.generate("Tell me about rivers.");
        assertEquals(a.text(), b.text());
        assertArrayEquals(a.tokenIds(), b.tokenIds());
    }

    @Test
    void everyRunIsMeasuredAndCommitsAJfrEvent(@TempDir Path tmp) throws IOException {
        RkllmModel m = open();
        LatencySnapshot before = m.latency().snapshot();
        assertEquals(0, before.count(Stage.GENERATION));
        List<RecordedEvent> events;
        int tokens = 0;
        try (Recording rec = new Recording()) {
            rec.enable("org.npu4j.Generation");
            rec.start();
            for (int i = 0; i < 3; i++) {
                tokens += m.generate("Question number " + i).tokenCount();
            }
            rec.stop();
            Path f = tmp.resolve("run.jfr");
            rec.dump(f);
            events = RecordingFile.readAllEvents(f);
        }
        LatencySnapshot s = m.latency().snapshot();
        assertEquals(3, s.count(Stage.GENERATION));
        assertEquals(3, s.count(Stage.TTFT));
        assertEquals(3, s.count(Stage.PREFILL));
        assertEquals(tokens - 3, s.count(Stage.INTER_TOKEN), "one gap between consecutive tokens");
        assertTrue(s.percentileTable().contains("inter_token"));
        assertEquals(3, events.size(), events.toString());
        RecordedEvent e = events.get(0);
        assertEquals(MODEL, e.getString("model"));
        assertEquals("finished", e.getString("outcome"));
        assertTrue(e.getInt("generatedTokens") > 0);
        assertTrue(e.getInt("promptTokens") > 0);
    }

    @Test
    void charactersSplitAcrossTokensAreReassembled() {
        RkllmModel m = open(b -> b.maxNewTokens(120));
        for (String prompt : List.of("请用中文介绍一下神经网络处理器", "Расскажи про нейронные процессоры")) {
            Recorder rec = new Recorder();
            GenerationResult r = m.generate(GenerationRequest.prompt(prompt), rec);
            assertEquals(rec.text(), r.text());
            assertFalse(r.text().contains("\uFFFD"), "no broken character: " + r.text());
            assertTrue(rec.texts.stream().anyMatch(String::isEmpty),
                    "some token ended inside a character (RKLLM_RUN_WAITING): " + rec.texts);
            assertTrue(r.text().codePoints().anyMatch(c -> c > 0x3ff), "non-Latin text: " + r.text());
        }
    }

    @Test
    void maxNewTokensPerModelAndPerRequest() {
        RkllmModel m = open(b -> b.maxNewTokens(5));
        assertEquals(5, m.generate("Say a lot.").tokenCount());
        GenerationRequest perRun = GenerationRequest.builder(Input.prompt("Say a lot.")).maxNewTokens(3).build();
        GenerationRequest sampled = GenerationRequest.builder(Input.prompt("Say a lot."))
                .sampling(m.sampling().withTemperature(0.1f).withTopK(5)).build();
        if (abi() == RkllmAbi.V1_2) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(perRun,
                    GenerationListener.NONE));
            assertTrue(e.getMessage().contains("needs RKLLM ABI 1.3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.generate(sampled, GenerationListener.NONE));
        } else {
            assertEquals(3, m.generate(perRun, GenerationListener.NONE).tokenCount());
            GenerationResult plain = m.generate("Say a lot.");
            GenerationResult other = m.generate(sampled, GenerationListener.NONE);
            assertNotEquals(plain.text(), other.text(), "per-run sampling reached the runtime");
        }
    }

    @Test
    void ignoreEosTokenExistsOnlyInAbi13() {
        if (abi() == RkllmAbi.V1_2) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> open(b -> b.ignoreEosToken(true)));
            assertTrue(e.getMessage().contains("ignore_eos_token"), e.getMessage());
        } else {
            RkllmModel m = open(b -> b.ignoreEosToken(true).maxNewTokens(300));
            assertEquals(300, m.generate("Hi").tokenCount(), "no end of sequence: runs to max_new_tokens");
        }
    }

    @Test
    void builderChecksRangesAndNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder().topP(1.5f));
        assertTrue(e.getMessage().startsWith("topP (top_p) = 1.5") && e.getMessage().contains("(0, 1]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> builder().maxContextLen(0));
        assertTrue(e.getMessage().contains("max_context_len"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder().maxNewTokens(0));
        assertThrows(IllegalArgumentException.class, () -> builder().temperature(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> builder().mirostat(3, 5, 0.1f));
        assertThrows(IllegalArgumentException.class, () -> builder().nBatch(256));
        assertThrows(IllegalArgumentException.class, () -> builder().cpuMask(0));
        e = assertThrows(IllegalArgumentException.class, () -> builder().maxContextLen(64).nKeep(64).load());
        assertTrue(e.getMessage().contains("n_keep"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> builder().cpuMask(1 << 31).load());
        assertTrue(e.getMessage().contains("enabled_cpus_mask"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> builder().cpuMask(1).cpuCount(2).load());
        assertTrue(e.getMessage().contains("enabled_cpus_num"), e.getMessage());
        if (abi() == RkllmAbi.V1_3) {
            e = assertThrows(IllegalArgumentException.class, () -> builder().imageTags("<img>", "</img>", "<p>").load());
            assertTrue(e.getMessage().contains("ABI 1.2 only"), e.getMessage());
        }
    }

    @Test
    void everyParameterReachesTheRuntime() {
        int cpu0 = Integer.lowestOneBit(CpuDefaults.usableCpusMask());
        RkllmModel m = open(b -> {
            b.maxContextLen(2048).maxNewTokens(16).nKeep(8).topK(10).topP(0.8f).temperature(0.5f).repeatPenalty(1.2f)
                    .frequencyPenalty(0.1f).presencePenalty(0.2f).mirostat(2, 4f, 0.2f).skipSpecialToken(false)
                    .baseDomainId(1).embedFlash(true).cpuMask(cpu0).cpuCount(1).name("configured");
            if (abi() == RkllmAbi.V1_2) {
                b.imageTags("<img>", "</img>", "<image>");
            } else {
                b.ignoreEosToken(false);
            }
            return b;
        });
        assertEquals(2048, m.maxContextLen());
        assertEquals(16, m.maxNewTokens());
        assertEquals(new SamplingParams(10, 0.8f, 0.5f, 1.2f, 0.1f, 0.2f, 2, 4f, 0.2f), m.sampling());
        assertEquals(cpu0, m.cpuMask());
        assertEquals("configured", m.name());
        GenerationResult r = m.generate("Check the parameters.");
        assertTrue(r.tokenCount() > 0 && r.tokenCount() <= 16);
        // The default: the big cores this JVM may use (all of them where all cores are equal)
        int big = (int) org.npu4j.tuning.CpuTopology.system().bigCoreMask() & CpuDefaults.usableCpusMask();
        int expected = big != 0 ? big : CpuDefaults.usableCpusMask();
        RkllmModel byDefault = open();
        assertEquals(expected, byDefault.cpuMask());
        assertEquals(expected, expected & CpuDefaults.usableCpusMask(), "only CPUs this process may use");
    }

    @Test
    void modelFilesThatAreMissingOrNotModelsFail(@TempDir Path tmp) throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RkllmModel.builder(tmp.resolve("nope.rkllm")).runtime(runtime).load());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path garbage = tmp.resolve("garbage.rkllm");
        byte[] bytes = new byte[64 * 1024];
        new Random(1).nextBytes(bytes);
        Files.write(garbage, bytes);
        RkllmException re = assertThrows(RkllmException.class,
                () -> RkllmModel.builder(garbage).runtime(runtime).load());
        assertEquals("rkllm_init", re.function());
        assertNotEquals(0, re.code());
        // a context larger than the model supports (descriptor: max_context_limit 4096)
        re = assertThrows(RkllmException.class, () -> builder().maxContextLen(8192).load());
        assertEquals("rkllm_init", re.function());
    }

    @Test
    void emptyAndBadInputsAreRefusedBeforeTheRuntime() {
        RkllmModel m = open();
        assertThrows(IllegalArgumentException.class, () -> m.generate(""));
        assertThrows(IllegalArgumentException.class, () -> GenerationRequest.prompt("a\0b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(
                GenerationRequest.builder(Input.prompt("x")).lora("nope").build(), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("not loaded"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> m.generate(GenerationRequest.batch(
                List.of(Input.prompt("a"), Input.prompt("b"))).build(), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("nBatch 1"), e.getMessage());
    }

    @Test
    void tokenInputAndEmbeddingInputWithShapesCheckedAgainstTheHiddenSize() {
        RkllmModel m = open();
        GenerationResult t = m.generate(GenerationRequest.builder(Input.tokens(9707, 11, 1246, 525, 498)).build(),
                GenerationListener.NONE);
        assertTrue(t.tokenCount() > 0);
        assertEquals(5, t.perf().prefillTokens(), "token input goes in without a template");

        // A request that cannot be checked against the model does not fit it: IllegalArgumentException, as
        // generate's Javadoc promises for shapes (issue 12; it was an IllegalStateException).
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> m.generate(
                GenerationRequest.builder(Input.embeddings(new float[2 * HIDDEN], 2)).build(), GenerationListener.NONE));
        assertTrue(unknown.getMessage().contains("hidden size"), unknown.getMessage());

        RkllmModel sized = open(b -> b.hiddenSize(HIDDEN).maxNewTokens(10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sized.generate(
                GenerationRequest.builder(Input.embeddings(new float[2 * 1000], 2)).build(), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("hidden size 1024") && e.getMessage().contains("2048"), e.getMessage());
        float[] emb = new float[3 * HIDDEN];
        for (int i = 0; i < emb.length; i++) {
            emb[i] = (float) Math.sin(i);
        }
        GenerationResult r = sized.generate(GenerationRequest.builder(Input.embeddings(emb, 3)).build(),
                GenerationListener.NONE);
        assertTrue(r.tokenCount() > 0);
        assertEquals(3, r.perf().prefillTokens());
    }

    @Test
    void multimodalInputInTheLayoutOfEachAbi() {
        RkllmModel m = open(b -> b.hiddenSize(HIDDEN).maxNewTokens(10));
        float[] img = new float[2 * 4 * HIDDEN];
        java.util.Arrays.fill(img, 0.25f);
        ImageInput image = ImageInput.of(img, 2, 4, 448, 448);
        GenerationResult r = m.generate(GenerationRequest.builder(
                Input.multimodal("<image><image>Describe both pictures.", image, null)).build(), GenerationListener.NONE);
        assertTrue(r.tokenCount() > 0);
        assertTrue(r.perf().prefillTokens() >= 8, "the 8 image tokens were prefilled: " + r.perf());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.generate(
                GenerationRequest.builder(Input.multimodal("<image>", ImageInput.of(new float[3 * 4 * 1000], 3, 4, 0, 0),
                        null)).build(), GenerationListener.NONE));
        assertTrue(e.getMessage().contains("1024"), e.getMessage());
        VideoInput video = VideoInput.of(new float[2 * 3 * HIDDEN], 1, 2, 3, 224, 224);
        GenerationRequest withVideo = GenerationRequest.builder(Input.multimodal("<video>What happens?", null, video))
                .build();
        GenerationRequest tagged = GenerationRequest.builder(Input.multimodal("<image>What is it?",
                ImageInput.of(new float[4 * HIDDEN], 1, 4, 0, 0).withTags("<img>", "</img>", "<image>"), null)).build();
        if (abi() == RkllmAbi.V1_2) {
            e = assertThrows(IllegalArgumentException.class, () -> m.generate(withVideo, GenerationListener.NONE));
            assertTrue(e.getMessage().contains("video input needs RKLLM ABI 1.3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.generate(tagged, GenerationListener.NONE));
        } else {
            assertTrue(m.generate(withVideo, GenerationListener.NONE).perf().prefillTokens() >= 6);
            assertTrue(m.generate(tagged, GenerationListener.NONE).tokenCount() > 0);
        }
    }

    @Test
    void hiddenStatesAreCopiedOutAndTheViewDiesWithTheCallback() {
        RkllmModel m = open();
        assertTrue(m.hiddenSize().isEmpty());
        AtomicReference<MemorySegment> kept = new AtomicReference<>();
        AtomicReference<Float> firstValue = new AtomicReference<>();
        GenerationResult r = m.generate(GenerationRequest.builder(Input.prompt("Embed this sentence."))
                .mode(InferMode.LAST_HIDDEN_LAYER).build(), new GenerationListener() {
                    @Override
                    public void onHiddenStates(MemorySegment states, int numTokens, int embdSize) {
                        assertTrue(states.isReadOnly());
                        assertEquals((long) numTokens * embdSize * Float.BYTES, states.byteSize());
                        firstValue.set(states.get(ValueLayout.JAVA_FLOAT, 0));
                        kept.set(states);
                    }
                });
        FloatMatrix h = r.hiddenStates();
        assertNotNull(h);
        assertEquals(HIDDEN, h.columns());
        assertEquals(r.perf().prefillTokens(), h.rows());
        assertEquals(firstValue.get(), h.get(0, 0));
        assertEquals(0, r.tokenCount(), "no text in hidden-state mode");
        assertEquals(HIDDEN, m.hiddenSize().orElseThrow(), "learnt from the result");
        assertThrows(IllegalStateException.class, () -> kept.get().get(ValueLayout.JAVA_FLOAT, 0),
                "the view is closed once the callback returned");
    }

    @Test
    void logitsPredictTheFirstGeneratedToken() {
        RkllmModel m = open(b -> b.maxNewTokens(4));
        AtomicInteger logitCalls = new AtomicInteger();
        GenerationResult r = m.generate(GenerationRequest.builder(Input.prompt("Predict me.")).mode(InferMode.LOGITS)
                .build(), new GenerationListener() {
                    @Override
                    public void onLogits(MemorySegment logits, int numTokens, int vocabSize) {
                        assertEquals(VOCAB, vocabSize);
                        logitCalls.incrementAndGet();
                    }
                });
        FloatMatrix l = r.logits();
        assertNotNull(l);
        assertEquals(VOCAB, l.columns());
        assertEquals(r.perf().prefillTokens(), l.rows());
        assertTrue(r.tokenCount() > 0);
        assertEquals(r.tokenIds()[0], l.argmax(l.rows() - 1), "the prompt's last row predicts the first token");
        assertEquals(1 + r.tokenCount(), logitCalls.get(), "the prompt's rows, then one row per token");
        assertEquals(VOCAB, m.vocabSize().orElseThrow());
        assertThrows(IllegalArgumentException.class, () -> m.generate(GenerationRequest.builder(
                Input.tokens(VOCAB)).build(), GenerationListener.NONE), "token ids are checked once the vocabulary is known");
    }

    // ------------------------------------------------------------------ stopping and failing

    @Test
    void abortFromAnotherThreadStopsTheRun() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(200));
        Blocker blocker = new Blocker();
        CompletableFuture<GenerationResult> f = CompletableFuture.supplyAsync(() -> m.generate(
                GenerationRequest.prompt("A long story please."), blocker));
        blocker.awaitStarted();
        assertTrue(m.isRunning(), "rkllm_is_running during the run (ABI " + abi() + " return convention)");
        assertTrue(m.abort());
        blocker.release.countDown();
        GenerationResult r = f.get(30, TimeUnit.SECONDS);
        assertEquals(Outcome.ABORTED, r.outcome());
        assertEquals(1, r.tokenCount(), "nothing after the abort");
        assertFalse(m.isRunning());
        assertFalse(m.abort(), "nothing to abort");
        assertEquals(0, m.kvCacheSize());
        assertEquals(Outcome.FINISHED, m.generate("Again.").outcome(), "the model works after an abort");
    }

    @Test
    void abortFromTheListenerStopsTheRun() {
        RkllmModel m = open(b -> b.maxNewTokens(200));
        Recorder rec = new Recorder() {
            @Override
            public void onToken(String text, int tokenId) {
                super.onToken(text, tokenId);
                if (ids.size() == 3) {
                    m.abort();
                }
            }
        };
        GenerationResult r = m.generate(GenerationRequest.prompt("A long story please."), rec);
        assertEquals(Outcome.ABORTED, r.outcome());
        assertEquals(3, r.tokenCount());
        assertEquals(0, m.kvCacheSize(), "a stopped run without history leaves no history");
    }

    @Test
    void aThrowingListenerStopsTheRunAndTheCallerGetsItsException() {
        RkllmModel m = open(b -> b.maxNewTokens(200));
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> m.generate(
                GenerationRequest.prompt("Tell me everything."), new GenerationListener() {
                    @Override
                    public void onToken(String text, int tokenId) {
                        if (calls.incrementAndGet() == 3) {
                            throw boom;
                        }
                    }
                }));
        assertSame(boom, thrown);
        assertEquals(3, calls.get(), "nothing is delivered after the exception");
        assertEquals(0, m.kvCacheSize());
        Error error = new AssertionError("an Error too");
        assertSame(error, assertThrows(AssertionError.class, () -> m.generate(GenerationRequest.prompt("x"),
                new GenerationListener() {
                    @Override
                    public void onFinish(PerfStats perf) {
                        throw error;
                    }
                })));
        assertEquals(Outcome.FINISHED, m.generate("Still alive?").outcome());
    }

    @Test
    void contextOverflowIsARunError() {
        RkllmModel m = open(b -> b.maxContextLen(32).maxNewTokens(8));
        RkllmException e = assertThrows(RkllmException.class, () -> m.generate(
                "word ".repeat(80) + "- a prompt far longer than the context of thirty-two tokens"));
        assertEquals("rkllm_run", e.function());
        assertTrue(e.getMessage().contains("RKLLM_RUN_ERROR"), e.getMessage());
        assertTrue(m.generate("Short.").tokenCount() > 0, "a prompt that fits still works");
    }

    @Test
    void injectedRuntimeFailures() {
        NativeEnv.set(NativeEnv.FAIL_INIT, "1");
        RkllmException init = assertThrows(RkllmException.class, () -> open());
        assertEquals("rkllm_init", init.function());
        NativeEnv.unset(NativeEnv.FAIL_INIT);

        RkllmModel m = open(b -> b.maxNewTokens(50));
        NativeEnv.set(NativeEnv.FAIL_RUN, "1"); // the first run of the handle fails
        RkllmException run = assertThrows(RkllmException.class, () -> m.generate("Fail please."));
        assertEquals("rkllm_run", run.function());
        assertTrue(m.generate("Now it works.").tokenCount() > 0);
        NativeEnv.unset(NativeEnv.FAIL_RUN);

        NativeEnv.set(NativeEnv.DIE_AFTER_TOKENS, "4");
        Recorder rec = new Recorder();
        assertThrows(RkllmException.class, () -> m.generate(GenerationRequest.prompt("Die midway."), rec));
        assertEquals(4, rec.ids.size(), "the tokens before the failure were delivered");
        NativeEnv.unset(NativeEnv.DIE_AFTER_TOKENS);
        assertTrue(m.generate("Recovered.").tokenCount() > 0);
    }

    // ------------------------------------------------------------------------ concurrency

    @Test
    void concurrentCallsWaitInOrder() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(5));
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        Blocker first = new Blocker() {
            @Override
            public void onFinish(PerfStats perf) {
                super.onFinish(perf);
                order.add("a");
            }
        };
        Thread a = Thread.ofPlatform().start(() -> m.generate(GenerationRequest.prompt("first"), first));
        first.awaitStarted();
        List<Thread> waiters = new ArrayList<>();
        for (String name : List.of("b", "c", "d")) {
            // recorded from the run itself (FINISH comes while the run holds the handle), not after
            // generate() returns: threads may return in any order once their runs are done
            Thread t = Thread.ofPlatform().start(() -> m.generate(GenerationRequest.prompt("queued " + name),
                    new GenerationListener() {
                        @Override
                        public void onFinish(PerfStats perf) {
                            order.add(name);
                        }
                    }));
            waitUntilParked(t);
            waiters.add(t);
        }
        first.release.countDown();
        a.join(30_000);
        for (Thread t : waiters) {
            t.join(30_000);
        }
        assertEquals(List.of("a", "b", "c", "d"), order, "fair lock: runs in the order the calls came");
    }

    @Test
    void aWaitTimeoutGivesUpClearly() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(5).runWaitTimeout(Duration.ofMillis(100)));
        Blocker blocker = new Blocker();
        CompletableFuture<GenerationResult> f = CompletableFuture.supplyAsync(
                () -> m.generate(GenerationRequest.prompt("hold"), blocker));
        blocker.awaitStarted();
        RkllmBusyException e = assertThrows(RkllmBusyException.class, () -> m.generate("me too"));
        assertTrue(e.getMessage().contains("busy"), e.getMessage());
        assertThrows(RkllmBusyException.class, () -> m.clearKvCache(true), "state changes wait the same way");
        blocker.release.countDown();
        assertEquals(Outcome.FINISHED, f.get(30, TimeUnit.SECONDS).outcome());
    }

    private static void waitUntilParked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(Thread.State.WAITING, t.getState());
    }

    // ---------------------------------------------------------------------- asynchronous

    @Test
    void generateAsyncCompletesAndCancelAborts() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(200));
        GenerationResult sync = m.generate("Async please.");
        GenerationResult async = m.generateAsync(GenerationRequest.prompt("Async please."), GenerationListener.NONE)
                .get(30, TimeUnit.SECONDS);
        assertEquals(sync.text(), async.text());

        Blocker blocker = new Blocker();
        CompletableFuture<GenerationResult> f = m.generateAsync(GenerationRequest.prompt("Cancel me."), blocker);
        blocker.awaitStarted();
        assertTrue(f.cancel(true));
        blocker.release.countDown();
        assertThrows(CancellationException.class, f::join);
        // the run ended, the model is free, nothing was kept
        assertEquals(Outcome.FINISHED, m.generate("Next.").outcome());
        assertEquals(1, blocker.ids.size(), "the cancelled run delivered nothing after the cancel");

        IllegalStateException boom = new IllegalStateException("async boom");
        ExecutionException ee = assertThrows(ExecutionException.class, () -> m.generateAsync(
                GenerationRequest.prompt("x"), new GenerationListener() {
                    @Override
                    public void onToken(String text, int tokenId) {
                        throw boom;
                    }
                }).get(30, TimeUnit.SECONDS));
        assertSame(boom, ee.getCause());
    }

    @Test
    void asyncRuntimeModeBlocksGenerateUntilFinish() throws Exception {
        RkllmModel m = open(b -> b.async(true).maxNewTokens(30));
        Recorder rec = new Recorder();
        GenerationResult r = m.generate(GenerationRequest.prompt("Through rkllm_run_async."), rec);
        assertEquals(Outcome.FINISHED, r.outcome());
        assertNotNull(rec.finish.get(), "generate returned after FINISH");
        assertEquals(rec.text(), r.text());
        Blocker blocker = new Blocker();
        CompletableFuture<GenerationResult> f = CompletableFuture.supplyAsync(() -> m.generate(
                GenerationRequest.prompt("abort me"), blocker));
        blocker.awaitStarted();
        m.abort();
        blocker.release.countDown();
        assertEquals(Outcome.ABORTED, f.get(30, TimeUnit.SECONDS).outcome());
    }

    /** A subscriber that requests one token at a time. */
    static class OneByOne implements Flow.Subscriber<Token> {
        final List<Token> tokens = Collections.synchronizedList(new ArrayList<>());
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final int cancelAfter;
        final CountDownLatch cancelled = new CountDownLatch(1);
        Flow.Subscription subscription;

        OneByOne(int cancelAfter) {
            this.cancelAfter = cancelAfter;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(Token t) {
            tokens.add(t);
            if (tokens.size() == cancelAfter) {
                subscription.cancel();
                cancelled.countDown();
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }

        String text() {
            StringBuilder sb = new StringBuilder();
            for (Token t : tokens) {
                sb.append(t.text());
            }
            return sb.toString();
        }
    }

    @Test
    void thePublisherStreamsWithBackpressureAndCancelAborts() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(60));
        GenerationResult expected = m.generate("Stream it.");
        OneByOne all = new OneByOne(Integer.MAX_VALUE);
        Flow.Publisher<Token> p = m.stream(GenerationRequest.prompt("Stream it."));
        p.subscribe(all);
        all.done.get(30, TimeUnit.SECONDS);
        assertEquals(expected.text(), all.text());
        assertEquals(expected.tokenCount(), all.tokens.size());

        OneByOne again = new OneByOne(Integer.MAX_VALUE);
        p.subscribe(again); // cold: a second subscription runs the request again
        again.done.get(30, TimeUnit.SECONDS);
        assertEquals(expected.text(), again.text());

        OneByOne cancelling = new OneByOne(2);
        m.stream(GenerationRequest.prompt("Stream it.")).subscribe(cancelling);
        assertTrue(cancelling.cancelled.await(30, TimeUnit.SECONDS));
        assertEquals(Outcome.FINISHED, m.generate("after the cancel").outcome(), "the run ended and freed the model");
        assertEquals(2, cancelling.tokens.size());
        assertFalse(cancelling.done.isDone(), "no terminal signal after cancel");

        CompletableFuture<Throwable> error = new CompletableFuture<>();
        m.stream(GenerationRequest.prompt("x")).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(0);
            }

            @Override
            public void onNext(Token item) {
                error.completeExceptionally(new AssertionError("onNext after request(0)"));
            }

            @Override
            public void onError(Throwable t) {
                error.complete(t);
            }

            @Override
            public void onComplete() {
                error.completeExceptionally(new AssertionError("onComplete after request(0)"));
            }
        });
        assertTrue(error.get(30, TimeUnit.SECONDS) instanceof IllegalArgumentException);
        assertEquals(Outcome.FINISHED, m.generate("still fine").outcome());
    }

    @Test
    void aSubscriberWithoutDemandDoesNotKeepAbortOrCloseWaiting() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(200));
        CountDownLatch first = new CountDownLatch(1);
        List<Token> got = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = new CompletableFuture<>();
        m.stream(GenerationRequest.prompt("One token, then silence.")).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(1); // and never again
            }

            @Override
            public void onNext(Token t) {
                got.add(t);
                first.countDown();
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        assertTrue(first.await(30, TimeUnit.SECONDS));
        assertTrue(m.isRunning(), "the run waits for demand");
        assertTrue(m.abort());
        done.get(30, TimeUnit.SECONDS); // the aborted run completes the stream
        assertEquals(1, got.size());
        assertEquals(Outcome.FINISHED, m.generate("free again").outcome());

        OneByOne silent = new OneByOne(Integer.MAX_VALUE) {
            @Override
            public void onNext(Token t) {
                tokens.add(t); // requests nothing more
            }
        };
        m.stream(GenerationRequest.prompt("Then close.")).subscribe(silent);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (silent.tokens.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, silent.tokens.size());
        CompletableFuture<Void> closing = CompletableFuture.runAsync(m::close);
        closing.get(30, TimeUnit.SECONDS);
        assertTrue(m.isClosed());
    }

    // -------------------------------------------------------------------------- lifetime

    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() {
        RkllmModel m = open();
        m.generate("once");
        m.close();
        m.close();
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, () -> m.generate("twice"));
        assertThrows(IllegalStateException.class, m::abort);
        assertThrows(IllegalStateException.class, m::kvCacheSize);
        assertThrows(IllegalStateException.class, m::isRunning);
        assertThrows(IllegalStateException.class, () -> m.clearKvCache(false));
        assertThrows(IllegalStateException.class, () -> m.generateAsync(GenerationRequest.prompt("x"),
                GenerationListener.NONE));
        assertThrows(IllegalStateException.class, m::chat);
    }

    @Test
    void closeAbortsARunningGeneration() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(500));
        Blocker blocker = new Blocker();
        CompletableFuture<GenerationResult> f = CompletableFuture.supplyAsync(() -> m.generate(
                GenerationRequest.prompt("Run until closed."), blocker));
        blocker.awaitStarted();
        Thread closer = Thread.ofPlatform().start(m::close);
        waitUntilParked(closer); // close waits for the run to end
        blocker.release.countDown();
        closer.join(30_000);
        assertEquals(Outcome.ABORTED, f.get(30, TimeUnit.SECONDS).outcome());
        assertTrue(m.isClosed());
        assertEquals(0, NativeEnv.emulatorLiveAllocations(), "destroyed");
    }

    @Test
    void closeFromTheListenerDestroysWhenTheRunEnds() {
        RkllmModel m = open(b -> b.maxNewTokens(500));
        GenerationResult r = m.generate(GenerationRequest.prompt("Close me from inside."), new GenerationListener() {
            int n;

            @Override
            public void onToken(String text, int tokenId) {
                if (++n == 2) {
                    m.close();
                }
            }
        });
        assertEquals(Outcome.ABORTED, r.outcome());
        assertTrue(m.isClosed());
        assertThrows(IllegalStateException.class, () -> m.generate("x"));
    }

    // ------------------------------------------------------------- model state: chat, tools

    @Test
    void chatSessionKeepsHistoryInTheKvCacheAndResets() {
        RkllmModel m = open(b -> b.maxNewTokens(30));
        Completion thought = m.chat().send("Think about NPUs.");
        assertFalse(thought.thinking().isEmpty(), "a thinking model thinks by default: " + thought.text());
        assertFalse(thought.answer().contains("<think>"));
        assertTrue(thought.text().startsWith("<think>"));
        ChatSession chat = m.chat().thinking(false);
        Completion first = chat.send("Hello, who are you?");
        int afterFirst = m.kvCacheSize();
        assertTrue(afterFirst > first.tokenCount(), "prompt and answer are in the KV cache");
        assertEquals("", first.thinking(), "thinking off");
        Completion second = chat.send("And what can you do?");
        assertTrue(m.kvCacheSize() > afterFirst, "the second turn adds to the history");
        assertTrue(second.promptTokens() < afterFirst, "only the new message was prefilled: "
                + second.promptTokens() + " vs " + afterFirst);
        assertEquals(4, chat.messages().size());
        chat.reset();
        assertNull(chat.lastReply());
        assertTrue(chat.messages().isEmpty());

        chat.systemPrompt("You are a terse assistant.");
        Completion hi = chat.send("Hi");
        assertTrue(hi.promptTokens() > first.promptTokens(), "a new conversation prefills the system prompt too");
        Completion noThought = chat.send("Answer without thinking.");
        assertEquals("", noThought.thinking(), "a custom template with thinking off: " + noThought.text());
        assertFalse(noThought.answer().isBlank());
    }

    @Test
    void aConversationThatDoesNotExtendTheCacheStartsOverAndNeverSeesAnotherOne() {
        RkllmModel m = open(b -> b.maxNewTokens(24));
        ChatSession a = m.chat().thinking(false);
        a.send("Tell me about NPUs.");
        Completion a2 = a.send("And about GPUs?");
        LlmRequest again = LlmRequest.builder().messages(a.messages().subList(0, 3)).thinking(false).build();
        // Another conversation in between resets the KV cache to itself...
        m.chat().thinking(false).systemPrompt("You are a pirate.").send("Greet me.");
        Completion replayed = m.generate(again);
        assertTrue(replayed.promptTokens() > a2.promptTokens() + 10,
                "the whole history was prefilled again: " + replayed.promptTokens() + " vs " + a2.promptTokens());
        // ...and what a request gets does not depend on what ran before it.
        m.chat().thinking(false).send("Something else entirely, at length, to fill the cache.");
        Completion replayedAgain = m.generate(again);
        assertEquals(replayed.text(), replayedAgain.text());
        assertEquals(replayed.promptTokens(), replayedAgain.promptTokens());
        assertEquals(replayed.promptTokens() + replayed.tokenCount(), m.kvCacheSize(), "only this conversation is cached");
    }

    @Test
    void aColdRequestPrefillsTheWholeConversationEvenWhenItExtendsTheCache() {
        RkllmModel m = open(b -> b.maxNewTokens(16));
        ChatSession a = m.chat().thinking(false);
        a.send("Tell me about NPUs.");
        LlmRequest next = LlmRequest.builder().messages(a.messages()).message(ChatMessage.user("And about GPUs?"))
                .thinking(false).build();
        Completion reused = m.generate(next);
        ChatSession b = m.chat().thinking(false);
        b.send("Tell me about NPUs."); // the cache holds this first turn again
        LlmRequest again = LlmRequest.builder().messages(b.messages()).message(ChatMessage.user("And about GPUs?"))
                .thinking(false).reuseCache(false).build();
        Completion cold = m.generate(again);
        assertTrue(cold.promptTokens() > reused.promptTokens() + 10,
                "reuseCache(false): the whole conversation prefilled: " + cold.promptTokens() + " vs " + reused.promptTokens());
        assertEquals(cold.promptTokens() + cold.tokenCount(), m.kvCacheSize(), "the cache was cleared first");
    }

    @Test
    void stopSequencesEndTheAnswerBeforeTheMatch() {
        RkllmModel m = open(b -> b.maxNewTokens(60));
        LlmRequest plain = LlmRequest.builder().message(ChatMessage.user("Tell me about NPUs.")).thinking(false).build();
        String full = m.generate(plain).text();
        assertTrue(full.length() > 20, full);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        StringBuilder streamed = new StringBuilder();
        Completion c = m.generate(plain.toBuilder().stop(List.of(stop)).build(), TokenListener.onText(streamed::append));
        assertEquals(full.substring(0, full.indexOf(stop)), c.text());
        assertEquals(c.text(), streamed.toString(), "the listener saw exactly the answer");
        assertEquals(Outcome.FINISHED, c.outcome());
        assertEquals(FinishReason.STOP, c.finishReason());
        Completion limited = m.generate(plain.toBuilder().maxNewTokens(5).build());
        assertEquals(FinishReason.LENGTH, limited.finishReason());
        assertEquals(5, limited.tokenCount());
    }

    @Test
    void theLlmApiStreamsAndCancels() throws Exception {
        RkllmModel m = open(b -> b.maxNewTokens(40));
        LanguageModel lm = m;
        assertEquals("rkllm", lm.info().backend());
        assertTrue(lm.info().emulator());
        assertTrue(lm.info().runtimeVersion().contains("emulator"), lm.info().runtimeVersion());
        LlmRequest r = LlmRequest.prompt("Tell me about NPUs.");
        List<Token> tokens = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        lm.stream(r).subscribe(new java.util.concurrent.Flow.Subscriber<>() {
            @Override
            public void onSubscribe(java.util.concurrent.Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Token t) {
                tokens.add(t);
            }

            @Override
            public void onError(Throwable t) {
                done.countDown();
            }

            @Override
            public void onComplete() {
                done.countDown();
            }
        });
        assertTrue(done.await(30, java.util.concurrent.TimeUnit.SECONDS));
        String streamed = tokens.stream().map(Token::text).collect(java.util.stream.Collectors.joining());
        assertEquals(lm.generate(r).text(), streamed);

        java.util.concurrent.CountDownLatch firstToken = new java.util.concurrent.CountDownLatch(1);
        var future = lm.generateAsync(r, new TokenListener() {
            @Override
            public void onToken(String text, int tokenId) {
                firstToken.countDown();
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertTrue(firstToken.await(30, java.util.concurrent.TimeUnit.SECONDS));
        assertTrue(future.cancel(true));
        assertThrows(java.util.concurrent.CancellationException.class, future::join);
        Completion after = lm.generate(r);
        assertEquals(Outcome.FINISHED, after.outcome(), "the model serves the next request");
    }

    @Test
    void functionToolsProduceParsedCallsAndToolResultsGoBackWithRoleTool() {
        RkllmModel m = open(b -> b.maxNewTokens(120));
        ToolSpec weather = new ToolSpec("get_weather", "Weather of a city", json("""
                {"type": "object", "properties": {"city": {"type": "string"},
                  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city", "unit"]}
                """));
        ChatSession chat = m.chat().thinking(false).systemPrompt("You are a helpful assistant.").tools(List.of(weather));
        Completion call = chat.send("What is the get_weather for Paris today?");
        assertTrue(call.hasToolCalls(), call.text());
        assertEquals(FinishReason.TOOL_CALLS, call.finishReason());
        ToolCall tc = call.toolCalls().get(0);
        assertEquals("get_weather", tc.name());
        assertEquals("celsius", tc.argument("unit"), "the first enum value");
        assertNotNull(tc.argument("city"));
        Completion answer = chat.sendToolResult("{\"temperature\": 21, \"sky\": \"clear\"}", "get_weather",
                TokenListener.NONE);
        assertFalse(answer.hasToolCalls());
        assertTrue(answer.answer().contains("21"), "the model used the tool's result: " + answer.answer());
        List<ChatMessage> two = new java.util.ArrayList<>(chat.messages());
        two.add(ChatMessage.user("What is the get_weather for Oslo?"));
        Completion second = m.generate(LlmRequest.builder().messages(two).tools(List.of(weather)).thinking(false).build());
        assertTrue(second.hasToolCalls());
        List<ChatMessage> results = new java.util.ArrayList<>(two);
        results.add(ChatMessage.assistant(second));
        results.add(ChatMessage.tool("{\"a\": 1}", null, "get_weather"));
        results.add(ChatMessage.tool("not json", null, "get_weather"));
        Completion both = m.generate(LlmRequest.builder().messages(results).tools(List.of(weather)).thinking(false)
                .build());
        assertFalse(both.answer().isBlank());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.setFunctionTools("s", "{\"not\": \"an array\"}", "tool_response"));
        assertTrue(e.getMessage().contains("JSON array"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.setFunctionTools("s", "[oops", "tool_response"));
    }

    @Test
    void aToolCallSentBackReserializedStillExtendsTheCachedConversation() {
        RkllmModel m = open(b -> b.maxNewTokens(120));
        ToolSpec weather = new ToolSpec("get_weather", "Weather of a city", json("""
                {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"""));
        List<ChatMessage> ms = new java.util.ArrayList<>(List.of(ChatMessage.user("What is the get_weather for Paris?")));
        Completion call = m.generate(LlmRequest.builder().messages(ms).tools(List.of(weather)).thinking(false).build());
        assertTrue(call.hasToolCalls(), call.text());
        // an HTTP client sends the call back as it re-serialized it: other JSON text, same name and arguments
        ToolCall c = call.toolCalls().get(0);
        ToolCall resent = new ToolCall(c.name(), c.arguments(), "{ \"name\" : \"" + c.name() + "\", \"arguments\" : "
                + c.arguments().toPrettyString() + " }");
        assertEquals(c, resent, "calls compare by name and arguments");
        ms.add(new ChatMessage(Role.ASSISTANT, call.answer(), null, List.of(resent), null, null));
        ms.add(ChatMessage.tool("{\"temperature\": 21}", null, "get_weather"));
        LlmRequest next = LlmRequest.builder().messages(ms).tools(List.of(weather)).thinking(false).build();
        Completion reused = m.generate(next);
        int tail = reused.promptTokens();
        assertTrue(reused.cachedPromptTokens() > 0, "the cached conversation counts as cached prompt tokens");
        m.generate(LlmRequest.builder().message(ChatMessage.user("Something else entirely.")).thinking(false).build());
        Completion full = m.generate(next);
        int replay = full.promptTokens();
        assertEquals(0, full.cachedPromptTokens(), "a replay reuses nothing");
        assertTrue(tail < replay, "only the tool result is prefilled when the conversation extends the cache: "
                + tail + " tokens, against " + replay + " for a full replay");
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String text) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void loraAdaptersAreLoadedAndChosenPerRequest() {
        RkllmModel m = open(b -> b.maxNewTokens(20));
        m.loadLora(LoraAdapter.of(lora("qwen3-0.6b-pirate.lora"), "pirate"));
        m.loadLora(new LoraAdapter(lora("qwen3-0.6b-formal.lora"), "formal", 0.5f));
        assertEquals(List.of("formal", "pirate"), m.loadedLoras());
        String base = m.generate("Greet me.").text();
        String pirate = m.generate(GenerationRequest.builder(Input.prompt("Greet me.")).lora("pirate").build(),
                GenerationListener.NONE).text();
        String formal = m.generate(GenerationRequest.builder(Input.prompt("Greet me.")).lora("formal").build(),
                GenerationListener.NONE).text();
        assertNotEquals(base, pirate);
        assertNotEquals(pirate, formal);
        assertThrows(IllegalArgumentException.class, () -> m.loadLora(LoraAdapter.of(lora("missing.lora"), "x")));
        RkllmException e = assertThrows(RkllmException.class,
                () -> m.loadLora(LoraAdapter.of(Emulator.model("rkllm", MODEL), "notalora")));
        assertEquals("rkllm_load_lora", e.function());
    }

    @Test
    void promptCacheSavesPrefill(@TempDir Path tmp) throws IOException {
        RkllmModel m = open(b -> b.maxNewTokens(10));
        Path cache = tmp.resolve("prompt_cache.bin");
        String longPrompt = "You are reviewing the following design document carefully. ".repeat(10);
        GenerationResult saved = m.generate(GenerationRequest.builder(Input.prompt(longPrompt + "First question?"))
                .savePromptCache(cache).build(), GenerationListener.NONE);
        assertTrue(Files.size(cache) > 0, "the cache was written");
        m.loadPromptCache(cache);
        GenerationResult reused = m.generate(longPrompt + "Second question?");
        assertTrue(reused.perf().prefillTokens() < saved.perf().prefillTokens() / 2,
                "the common prefix was not prefilled again: " + saved.perf() + " vs " + reused.perf());
        m.releasePromptCache();
        GenerationResult released = m.generate(longPrompt + "Second question?");
        assertTrue(released.perf().prefillTokens() > reused.perf().prefillTokens());
        assertThrows(IllegalArgumentException.class, () -> m.loadPromptCache(tmp.resolve("none.bin")));
        Path junk = Files.writeString(tmp.resolve("junk.bin"), "not a cache");
        assertEquals("rkllm_load_prompt_cache", assertThrows(RkllmException.class,
                () -> m.loadPromptCache(junk)).function());
    }

    @Test
    void kvCacheRangesAndSizes() {
        RkllmModel m = open(b -> b.maxNewTokens(10));
        m.generate(GenerationRequest.builder(Input.prompt("Keep this.")).keepHistory(true).build(),
                GenerationListener.NONE);
        int size = m.kvCacheSize();
        assertTrue(size > 10);
        assertArrayEquals(new int[] {size}, m.kvCacheSizes());
        m.clearKvCache(new int[] {2}, new int[] {6});
        assertEquals(size - 4, m.kvCacheSize());
        assertThrows(IllegalArgumentException.class, () -> m.clearKvCache(new int[] {0, 1}, new int[] {2, 3}));
        assertThrows(IllegalArgumentException.class, () -> m.clearKvCache(new int[] {-1}, new int[] {3}));
        m.clearKvCache(true);
        assertEquals(0, m.kvCacheSize());
    }

    @Test
    void batchedRunsGiveOneResultPerEntry() {
        RkllmModel m = open(b -> b.nBatch(2).maxNewTokens(12));
        assertEquals(2, m.nBatch());
        assertThrows(IllegalStateException.class, () -> m.generate("single"));
        Recorder r0 = new Recorder();
        Recorder r1 = new Recorder();
        List<GenerationResult> results = m.generateBatch(GenerationRequest.batch(List.of(Input.prompt("About cats."),
                Input.prompt("О собаках."))).keepHistory(true).build(), List.of(r0, r1));
        assertEquals(2, results.size());
        assertEquals(r0.text(), results.get(0).text());
        assertEquals(r1.text(), results.get(1).text());
        assertNotEquals(results.get(0).text(), results.get(1).text());
        assertEquals(2, m.kvCacheSizes().length);
        assertTrue(m.kvCacheSizes()[1] > 0);
        assertThrows(IllegalArgumentException.class, () -> m.generateBatch(GenerationRequest.batch(
                List.of(Input.prompt("a"))).build(), List.of(GenerationListener.NONE)));
    }

    @Test
    void crossAttentionNeedsTheFlagAndTakesEncoderOutputs() {
        RkllmModel plain = open();
        CrossAttention ca = encoderOutputs(4);
        assertThrows(IllegalStateException.class, () -> plain.setCrossAttention(ca));
        RkllmModel m = open(b -> b.crossAttention(true).maxNewTokens(8));
        m.setCrossAttention(ca);
        String withFirst = m.generate("Decode.").text();
        m.setCrossAttention(encoderOutputs(6));
        assertNotEquals(withFirst, m.generate("Decode.").text(), "the encoder outputs reached the runtime");
    }

    /** Qwen3-0.6B geometry: 28 layers, 8 KV heads, head dim 128. */
    private static CrossAttention encoderOutputs(int tokens) {
        int n = 28 * tokens * 8 * 128;
        float[] k = new float[n];
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            k[i] = (float) Math.cos(i * 0.01 * tokens);
            v[i] = (float) Math.sin(i * 0.01 * tokens);
        }
        float[] mask = new float[tokens];
        int[] pos = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            pos[i] = i;
        }
        return new CrossAttention(k, v, mask, pos, tokens);
    }
}
