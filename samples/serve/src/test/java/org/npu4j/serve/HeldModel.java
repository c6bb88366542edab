package org.npu4j.serve;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.npu4j.llm.BatchEntry;
import org.npu4j.llm.BatchingLanguageModel;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.metrics.LatencyRecorder;

/**
 * An emulated model whose runs are counted and one of them held: run number {@code held} (1-based; a
 * batch is one run) waits for {@link #release} before it reaches the emulator, after counting down
 * {@link #holding}, so that the model's place (or the batch worker) stays taken while a test queues and
 * disconnects clients. Counts the tokens each serial run delivered to the server's listener. Serves
 * batches if the emulated model does ({@link #load} with {@code batch=N}).
 */
final class HeldModel implements BatchingLanguageModel {
    private final Supplier<LanguageModel> opener;
    private final int held;
    private LanguageModel m;
    final AtomicInteger runs = new AtomicInteger();
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    /** Tokens delivered to each serial run's listener, by run (index 0: run 1); a batch gets an unused 0. */
    final List<AtomicInteger> tokens = new CopyOnWriteArrayList<>();

    HeldModel(Supplier<LanguageModel> opener, int held) {
        this.opener = opener;
        this.held = held;
    }

    /** The loader of a {@link ServedModel}: opens the emulated model (once) and returns this. */
    synchronized LanguageModel load() {
        if (m == null) {
            m = opener.get();
        }
        return this;
    }

    private AtomicInteger enter() {
        AtomicInteger count = new AtomicInteger();
        tokens.add(count);
        if (runs.incrementAndGet() == held) {
            holding.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return count;
    }

    private static TokenListener counting(TokenListener l, AtomicInteger count) {
        return new TokenListener() {
            @Override
            public void onToken(String text, int tokenId) {
                count.incrementAndGet();
                l.onToken(text, tokenId);
            }

            @Override
            public void onFinish(PerfStats perf) {
                l.onFinish(perf);
            }
        };
    }

    @Override
    public ModelInfo info() {
        return m.info();
    }

    @Override
    public Completion generate(LlmRequest request, TokenListener listener) {
        return m.generate(request, counting(listener, enter()));
    }

    @Override
    public CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
        throw new UnsupportedOperationException("not used by the server");
    }

    @Override
    public int maxBatch() {
        return m instanceof BatchingLanguageModel b ? b.maxBatch() : 1;
    }

    @Override
    public boolean batchable(LlmRequest a, LlmRequest b) {
        return m instanceof BatchingLanguageModel bm && bm.batchable(a, b);
    }

    @Override
    public List<Completion> generateBatch(List<BatchEntry> entries) {
        enter();
        return ((BatchingLanguageModel) m).generateBatch(entries);
    }

    @Override
    public Flow.Publisher<Token> stream(LlmRequest request) {
        throw new UnsupportedOperationException("not used by the server");
    }

    @Override
    public boolean abort() {
        return m.abort();
    }

    @Override
    public LatencyRecorder latency() {
        return m.latency();
    }

    @Override
    public void close() {
        release.countDown();
        m.close();
    }
}
