package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.npu4j.Emulator;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.metrics.LatencyRecorder;

/**
 * A queued request whose client went away is dropped before its run starts: the model's one place is
 * held by a run stopped at its first token (a gate in the listener), a second client is admitted,
 * gets its SSE headers and role chunk, and closes its socket while it waits; a third waits behind it.
 * The second must be counted as dropped while the first still runs, its run must never start, and the
 * third must run once the first ends.
 */
class ServeQueueTest {
    static final String BODY = "{\"model\":\"" + TestServer.MODEL + "\",\"stream\":true,\"reasoning_effort\":\"none\","
            + "\"max_tokens\":8,\"seed\":7,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}]}";

    @Test
    @Timeout(60)
    void aQueuedClientThatLeavesIsDroppedBeforeItsRunStarts() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put(TestServer.MODEL, new ServedModel(TestServer.MODEL, () -> new GatedModel(LanguageModel.openEmulator(
                TestServer.PROFILE, LoadOptions.DEFAULTS.withName(TestServer.MODEL)), runs, holding, release), 4));
        NpuServer server = NpuServer.start(NpuServer.Config.loopback(), models);
        try {
            assertTrue(server.awaitLoaded(java.time.Duration.ofSeconds(30)).isEmpty());
            ServedModel model = server.model(TestServer.MODEL);
            try (Socket a = post(server)) {
                // a holds the place (its run waits at its first token); then b and c are admitted, in that order
                assertTrue(holding.await(20, TimeUnit.SECONDS), "the first run reached its first token");
                Socket b = post(server);
                readUntil(b.getInputStream(), "\"role\":\"assistant\"");
                Socket c = post(server);
                readUntil(c.getInputStream(), "\"role\":\"assistant\"");
                assertEquals(3, model.inFlight(), "one running, two queued");
                b.close();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (model.droppedQueued.sum() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(1, model.droppedQueued.sum(), "the queued request of the closed client was dropped");
                assertTrue(metrics(server).contains("npu4j_queue_dropped_total{model=\"" + TestServer.MODEL
                        + "\",emulator=\"true\"} 1"), "counted in /metrics");
                assertEquals(1, runs.get(), "only the first run started while it holds the place");
                release.countDown();
                String answerC = readAll(c.getInputStream());
                assertTrue(answerC.contains("data: [DONE]"), answerC);
                assertTrue(readAll(a.getInputStream()).contains("data: [DONE]"));
                c.close();
            }
            assertEquals(2, runs.get(), "the first and the third request ran; the dropped one never did");
            assertEquals(0, model.aborted.sum(), "no run was aborted: the dropped one never started");
        } finally {
            release.countDown();
            server.close();
        }
        assertEquals(0, Emulator.liveAllocations("npu4j_emulator_live_allocations"), "no emulator allocation left");
    }

    private static Socket post(NpuServer server) throws IOException {
        Socket s = new Socket(server.address().getAddress(), server.address().getPort());
        s.setSoTimeout(20_000);
        byte[] b = BODY.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return s;
    }

    private static void readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("stream ended before " + marker + ": " + seen);
            }
            seen.write(c);
        }
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static String metrics(NpuServer server) throws IOException {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            return readAll(s.getInputStream());
        }
    }

    /** Counts runs; the first run's first token waits for {@code release}. */
    private static final class GatedModel implements LanguageModel {
        private final LanguageModel m;
        private final AtomicInteger runs;
        private final CountDownLatch holding;
        private final CountDownLatch release;

        GatedModel(LanguageModel m, AtomicInteger runs, CountDownLatch holding, CountDownLatch release) {
            this.m = m;
            this.runs = runs;
            this.holding = holding;
            this.release = release;
        }

        private TokenListener gate(TokenListener l, boolean first) {
            return new TokenListener() {
                @Override
                public void onToken(String text, int tokenId) {
                    if (first && holding.getCount() > 0) {
                        holding.countDown();
                        try {
                            release.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
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
            return m.generate(request, gate(listener, runs.incrementAndGet() == 1));
        }

        @Override
        public CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
            return m.generateAsync(request, gate(listener, runs.incrementAndGet() == 1));
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
            m.close();
        }
    }
}
