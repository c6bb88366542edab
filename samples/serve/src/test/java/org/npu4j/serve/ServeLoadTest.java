package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.npu4j.Emulator;

/**
 * A bounded load test on 127.0.0.1: 16 concurrent streaming clients, every third one disconnecting
 * after a few tokens, against each backend's emulated Qwen3 0.6B at a fifth of the board's timing.
 */
class ServeLoadTest {
    static final int CLIENTS = 16;
    static final int MAX_TOKENS = 40;
    static final int READ_BEFORE_DISCONNECT = 3;
    /**
     * What a disconnecting client asks for: far more than it reads, so that its run is still going when it
     * closes however slowly the client thread gets to read (with MAX_TOKENS a client scheduled late on a
     * loaded machine could close after the server had written the whole answer: nothing left to abort).
     * Below both models' context.
     */
    static final int DISCONNECT_MAX_TOKENS = 2000;

    @AfterEach
    void noDelays() {
        Emulator.speed(0);
    }

    enum Result { COMPLETED, DISCONNECTED, REFUSED }

    @ParameterizedTest
    @CsvSource({"rk3588-qwen3-0.6b-w8a8, npu4j_emulator_live_allocations",
        "ax650n-qwen3-0.6b-w8a16, npu4j_emulator_axcl_live_allocations"})
    @Timeout(120)
    void everyRequestIsAnsweredOrRefusedAndEveryDisconnectStopsItsRun(String profile, String liveCounter) throws Exception {
        Set<String> threadsBefore = platformThreads();
        Emulator.speed(0.2);
        NpuServer.Config lo = NpuServer.Config.loopback();
        NpuServer server = TestServer.start(new NpuServer.Config(lo.host(), 0, null, lo.maxBodyBytes(), 8), profile);
        ServedModel model = server.model(TestServer.MODEL);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Result>> results = new ArrayList<>();
        int[] readByDisconnected = new int[1];
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < CLIENTS; i++) {
                boolean disconnect = i % 3 == 0;
                results.add(clients.submit(() -> {
                    go.await();
                    HttpRequest req = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
                            .timeout(Duration.ofSeconds(60))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"qwen3-emu\",\"stream\":true,"
                                    + "\"reasoning_effort\":\"none\",\"max_tokens\":"
                                    + (disconnect ? DISCONNECT_MAX_TOKENS : MAX_TOKENS)
                                    + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}]}"))
                            .build();
                    HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                    if (r.statusCode() == 429) {
                        assertTrue(r.headers().firstValue("Retry-After").isPresent(), "429 with Retry-After");
                        r.body().close();
                        return Result.REFUSED;
                    }
                    assertEquals(200, r.statusCode());
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                        int contentEvents = 0;
                        String line;
                        while ((line = in.readLine()) != null) {
                            if (line.equals("data: [DONE]")) {
                                return Result.COMPLETED;
                            }
                            if (line.contains("\"content\":\"") && !line.contains("\"role\"")) {
                                contentEvents++;
                                if (disconnect && contentEvents == READ_BEFORE_DISCONNECT) {
                                    synchronized (readByDisconnected) {
                                        readByDisconnected[0] += contentEvents;
                                    }
                                    return Result.DISCONNECTED; // closing the stream closes the connection
                                }
                            }
                        }
                    }
                    throw new AssertionError("stream ended without [DONE]");
                }));
            }
            go.countDown();
        }
        List<Result> got = new ArrayList<>();
        for (Future<Result> f : results) {
            got.add(f.get());
        }
        long completed = got.stream().filter(r -> r == Result.COMPLETED).count();
        long disconnected = got.stream().filter(r -> r == Result.DISCONNECTED).count();
        long refused = got.stream().filter(r -> r == Result.REFUSED).count();
        assertEquals(CLIENTS, completed + disconnected + refused);
        assertTrue(refused > 0 && completed > 0 && disconnected > 0, got.toString());
        assertEquals(refused, model.refused.sum());
        // the server sees the failed write a token or two after the close: wait for the runs to end
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (model.aborted.sum() < disconnected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(disconnected, model.aborted.sum(), "every disconnect stopped its run: " + got);
        long tokens = model.generatedTokens.sum();
        // a stopped run is not counted by generatedTokens; completed ones generated at most MAX_TOKENS each
        assertTrue(tokens <= completed * MAX_TOKENS, tokens + " tokens for " + completed + " completed runs");
        http.close();
        server.close();
        assertEquals(0, Emulator.liveAllocations(liveCounter), "no emulator allocation left after close");
        Thread.sleep(200);
        Set<String> left = platformThreads();
        left.removeAll(threadsBefore);
        left.removeIf(n -> n.startsWith("HttpClient") || n.startsWith("ForkJoinPool") || n.equals("Attach Listener")
                || n.startsWith("process reaper") || n.startsWith("InnocuousThread")
                || n.equals("VirtualThread-unblocker") // JDK threads that serve all virtual threads
                || n.equals("MasterPoller") || n.endsWith("-Poller")); // the JDK's virtual-thread I/O pollers (sun.nio.ch.Poller), started once per JVM by the first blocking socket call
        assertEquals(Set.of(), left, "threads left behind");
    }

    private static Set<String> platformThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .collect(Collectors.toSet());
    }
}
