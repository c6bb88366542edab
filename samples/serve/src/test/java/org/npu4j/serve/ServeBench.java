package org.npu4j.serve;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import org.npu4j.Emulator;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.ModelInfo;
import org.npu4j.llm.Token;
import org.npu4j.llm.TokenListener;
import org.npu4j.metrics.LatencyRecorder;
import picocli.CommandLine;

/**
 * Benchmark (not a test) of the server's own costs, each against a reference measured in the same run
 * on the same machine, with the load average printed beside the figures:
 * <ul>
 * <li><b>start</b>: in this fresh JVM, from creating the served model (its load starts in the background)
 * and the server to the first {@code /v1/models} answer over a plain socket; the model's load time
 * beside it. With {@code launch}: {@code npu4j serve --emulator} (ServeCommand in a child JVM) from the
 * process launch to its first {@code /v1/models} answer, against a child JVM that only starts a bare
 * JDK HttpServer (the same JVM options), the median of {@code launches} alternating pairs.</li>
 * <li><b>per token</b> (emulator without delays): over loopback SSE, from the first content byte the
 * client reads to the end of the stream, over the run's tokens minus one; against the in-process API's
 * {@code generate} with a no-op listener, from its first token to its end, same division (the model's
 * own {@code GenerationTimings}). Runs alternate; medians.</li>
 * <li><b>first byte</b> (emulator at board timing): from the client's connect (a new connection each run)
 * to the first content byte it reads, minus the TTFT the model measured for that very run (a recording
 * wrapper around the served model); the same on a connection kept open from run to run (HTTP/1.1
 * keep-alive, as client libraries pool connections), from the request's write; and the in-process API's
 * wall time to its first token minus its own TTFT.</li>
 * </ul>
 * The plain-socket client writes a request's headers and body in one write, as a buffering client
 * (OkHttp, under openai-java) sends a small request; the JDK HttpClient writes them separately.
 * The clients are plain sockets (no HTTP client library) so that the figures are the server's; the JDK
 * HttpClient's figures are printed beside them for comparison.
 * Run: {@code java --enable-native-access=ALL-UNNAMED -cp <test classpath> org.npu4j.serve.ServeBench
 * [runs] [launch [launches]]}.
 */
public final class ServeBench {
    private static final String BODY = "{\"model\":\"m\",\"stream\":true,\"reasoning_effort\":\"none\",\"max_tokens\":%d,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}]}";

    private ServeBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child-serve")) {
            System.exit(new CommandLine(new ServeCommand()).execute("--emulator=m=" + TestServer.PROFILE, "--port", args[1]));
        }
        if (args.length > 0 && args[0].equals("child-bare")) {
            bareServer(Integer.parseInt(args[1]));
            return;
        }
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        System.out.println("load average at start: " + loadAverage());
        Emulator.speed(0); // before the clock: ServeCommand does not touch the emulator on the server's thread
        long t0 = System.nanoTime();
        ConcurrentLinkedQueue<Completion> served = new ConcurrentLinkedQueue<>();
        Map<String, ServedModel> models = new LinkedHashMap<>();
        // as npu4j serve: the load starts once the server listens
        models.put("m", new ServedModel("m", () -> new Recording(LanguageModel.openEmulator(TestServer.PROFILE,
                LoadOptions.DEFAULTS.withName("m")), served), 8, false));
        try (NpuServer server = NpuServer.start(NpuServer.Config.loopback(), models)) {
            long started = System.nanoTime();
            String first = get(server, "/v1/models");
            long answered = System.nanoTime();
            server.awaitLoaded(java.time.Duration.ofMinutes(5));
            long loaded = System.nanoTime();
            System.out.printf(Locale.ROOT, "start: server start (model loading in the background) to the first /v1/models"
                    + " answer %.1f ms (%s; NpuServer.start returned after %.1f ms); model loaded after %.1f ms%n",
                    (answered - t0) / 1e6, first.substring(0, first.indexOf('\r')), (started - t0) / 1e6,
                    (loaded - t0) / 1e6);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long h = System.nanoTime();
            http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            System.out.printf(Locale.ROOT, "  for comparison, the JDK HttpClient's first /v1/models answer (client creation"
                    + " and first use) %.1f ms%n", (System.nanoTime() - h) / 1e6);
            LanguageModel lm = models.get("m").loadedModel();
            perToken(server, lm, served, http, runs);
            firstByte(server, lm, served, http, Math.max(7, runs / 3));
            http.close();
        } finally {
            Emulator.speed(0);
        }
        int at = Arrays.asList(args).indexOf("launch");
        if (at >= 0) {
            launch(at + 1 < args.length ? Integer.parseInt(args[at + 1]) : 5);
        }
        System.out.println("load average at the end: " + loadAverage());
    }

    private static void perToken(NpuServer server, LanguageModel lm, ConcurrentLinkedQueue<Completion> served,
            HttpClient http, int runs) throws Exception {
        int maxTokens = 256;
        LlmRequest req = LlmRequest.builder().message(ChatMessage.user("Tell me a long story.")).thinking(false)
                .maxNewTokens(maxTokens).build();
        String body = String.format(Locale.ROOT, BODY, maxTokens);
        double[] api = new double[runs];
        double[] sse = new double[runs];
        double[] sseServerSide = new double[runs];
        double[] client = new double[runs];
        int tokens = 0;
        for (int i = -5; i < runs; i++) { // 5 warm-up rounds
            Completion c = lm.generate(req, TokenListener.NONE);
            double a = perToken(c);
            served.clear();
            long[] t = rawStream(server, body);
            Completion s = next(served);
            double b = (t[2] - t[1]) / 1e3 / (s.tokenCount() - 1);
            long[] u = clientStream(http, server, body);
            Completion s2 = next(served);
            if (i >= 0) {
                api[i] = a;
                sse[i] = b;
                sseServerSide[i] = perToken(s);
                client[i] = (u[2] - u[1]) / 1e3 / (s2.tokenCount() - 1);
                tokens += s.tokenCount();
            }
        }
        double apiM = median(api);
        System.out.printf(Locale.ROOT, "per token (emulator speed 0, up to %d tokens, %d tokens a run on average, median"
                + " of %d, load %s):%n  in-process API %.1f us; SSE over loopback, plain socket client %.1f us:"
                + " streaming cost %+.1f us (the model's own inter-token time in those runs %.1f us); JDK HttpClient"
                + " %.1f us (%+.1f us)%n", maxTokens, tokens / runs, runs, loadAverage(), apiM, median(sse),
                median(sse) - apiM, median(sseServerSide), median(client), median(client) - apiM);
    }

    private static void firstByte(NpuServer server, LanguageModel lm, ConcurrentLinkedQueue<Completion> served,
            HttpClient http, int n) throws Exception {
        Map<Completion, Recording.Times> times = Recording.TIMES;
        Emulator.speed(1);
        try {
            LlmRequest req = LlmRequest.builder().message(ChatMessage.user("Tell me a long story.")).thinking(false)
                    .maxNewTokens(4).build();
            String body = String.format(Locale.ROOT, BODY, 4);
            double[] ttft = new double[n];
            double[] apiOver = new double[n];
            double[] over = new double[n];
            double[] clientOver = new double[n];
            double[] before = new double[n];
            double[] after = new double[n];
            double[] keptOver = new double[n];
            double[] keptBefore = new double[n];
            KeptConnection kept = new KeptConnection(server);
            for (int i = -1; i < n; i++) { // 1 warm-up round
                long[] firstToken = new long[1];
                long a = System.nanoTime();
                Completion c = lm.generate(req, new TokenListener() {
                    @Override
                    public void onToken(String text, int tokenId) {
                        if (firstToken[0] == 0) {
                            firstToken[0] = System.nanoTime();
                        }
                    }
                });
                served.clear();
                long[] t = rawStream(server, body);
                Completion s = next(served);
                long[] u = clientStream(http, server, body);
                Completion s2 = next(served);
                long[] k = kept.stream(body);
                Completion s3 = next(served);
                if (i >= 0) {
                    keptOver[i] = (k[1] - k[0] - s3.timings().ttftNanos()) / 1e6;
                    keptBefore[i] = (times.get(s3).started() - k[0]) / 1e6;
                    ttft[i] = c.timings().ttftNanos() / 1e6;
                    apiOver[i] = (firstToken[0] - a - c.timings().ttftNanos()) / 1e6;
                    over[i] = (t[1] - t[0] - s.timings().ttftNanos()) / 1e6;
                    Recording.Times rt = times.get(s);
                    before[i] = (rt.started() - t[0]) / 1e6;
                    after[i] = (t[1] - rt.firstToken()) / 1e6;
                    clientOver[i] = (u[1] - u[0] - s2.timings().ttftNanos()) / 1e6;
                }
            }
            System.out.printf(Locale.ROOT, "first token (emulator speed 1, median of %d, load %s): model TTFT %.2f ms;"
                    + " first content byte over HTTP, plain socket client: TTFT %+.2f ms (the in-process API's first"
                    + " token: TTFT %+.2f ms); JDK HttpClient: TTFT %+.2f ms%n  plain socket: connect to the run handed to"
                    + " the model %.2f ms, the model's first token to the client's first content byte %.2f ms%n", n,
                    loadAverage(), median(ttft), median(over), median(apiOver), median(clientOver), median(before),
                    median(after));
            kept.close();
            System.out.printf(Locale.ROOT, "  keep-alive connection (plain socket, the request written on a connection"
                    + " kept from the runs before, as HTTP client libraries pool them): TTFT %+.2f ms, of which from the"
                    + " request's write to the run handed to the model %.2f ms%n", median(keptOver), median(keptBefore));
        } finally {
            Emulator.speed(0);
        }
    }

    /** {@code npu4j serve} (ServeCommand) against a bare JDK HttpServer, each in a new JVM, launch to first answer. */
    private static void launch(int n) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String cp = System.getProperty("java.class.path");
        double[] serve = new double[n];
        double[] bare = new double[n];
        for (int i = 0; i < n; i++) {
            bare[i] = launchToAnswer(java, cp, "child-bare");
            serve[i] = launchToAnswer(java, cp, "child-serve");
        }
        System.out.printf(Locale.ROOT, "launch (new JVM, -XX:+UseSerialGC as the launcher, median of %d, load %s): bare"
                + " JDK HttpServer to its first answer %.0f ms; npu4j serve --emulator to its first /v1/models answer"
                + " %.0f ms (%+.0f ms)%n", n, loadAverage(), median(bare), median(serve), median(serve) - median(bare));
    }

    private static double launchToAnswer(Path java, String cp, String mode) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("serve-bench-", ".log");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                "-Dsun.net.httpserver.nodelay=true", "-cp", cp, ServeBench.class.getName(), mode, Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            while (true) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    s.getOutputStream().write("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    if (s.getInputStream().read() >= 0) {
                        return (System.nanoTime() - t0) / 1e6;
                    }
                } catch (IOException notYet) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException(mode + " exited: " + Files.readString(log));
                    }
                    Thread.sleep(1);
                }
            }
        } finally {
            p.destroy();
            p.waitFor();
            Files.deleteIfExists(log);
        }
    }

    /** The reference of {@link #launch}: a JDK HttpServer answering 200 to everything. */
    private static void bareServer(int port) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        s.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        s.createContext("/", ex -> {
            byte[] b = "ok".getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        s.start();
    }

    /** The completion of the run the client just read (recorded as its future completed). */
    private static Completion next(ConcurrentLinkedQueue<Completion> served) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Completion c;
        while ((c = served.poll()) == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no completion recorded for the last request");
            }
            Thread.sleep(1);
        }
        return c;
    }

    private static double perToken(Completion c) {
        return (c.timings().durationNanos() - c.timings().ttftNanos()) / 1e3 / (c.tokenCount() - 1);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String get(NpuServer server, String path) throws IOException {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * POSTs {@code body} over a new plain socket (headers and body in one write) and reads the stream to its end.
     *
     * @return nanoTime before connecting, at the first content delta byte read, at the end
     */
    private static long[] rawStream(NpuServer server, String body) throws IOException {
        long[] t = new long[3];
        byte[] request = request(body, true);
        t[0] = System.nanoTime();
        try (Socket sock = new Socket(server.address().getAddress(), server.address().getPort())) {
            sock.setTcpNoDelay(true);
            sock.getOutputStream().write(request);
            InputStream in = sock.getInputStream();
            byte[] buf = new byte[65536];
            Matcher content = new Matcher("\"delta\":{\"content\":\"");
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (t[1] == 0 && content.feed(buf, n)) {
                    t[1] = System.nanoTime();
                }
            }
            t[2] = System.nanoTime(); // the server closes after [DONE] (Connection: close)
        }
        return t;
    }

    /** The same through the JDK HttpClient, line by line. */
    private static long[] clientStream(HttpClient http, NpuServer server, String body) throws Exception {
        long[] t = new long[3];
        t[0] = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(
                URI.create(server.baseUrl() + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofLines());
        try (var lines = r.body()) {
            lines.forEach(line -> {
                if (t[1] == 0 && line.contains("\"delta\":{\"content\":\"")) {
                    t[1] = System.nanoTime();
                }
            });
        }
        t[2] = System.nanoTime();
        return t;
    }

    /** One connection kept open (HTTP/1.1 keep-alive) for a request after another, each read to its end. */
    private static final class KeptConnection implements AutoCloseable {
        private final Socket sock;
        private final byte[] buf = new byte[65536];

        KeptConnection(NpuServer server) throws IOException {
            sock = new Socket(server.address().getAddress(), server.address().getPort());
            sock.setTcpNoDelay(true);
        }

        /**
         * POSTs {@code body} (headers and body in one write) and reads the response to its last chunk.
         *
         * @return nanoTime before the write, at the first content delta byte read, at the last chunk
         */
        long[] stream(String body) throws IOException {
            long[] t = new long[3];
            byte[] request = request(body, false);
            t[0] = System.nanoTime();
            sock.getOutputStream().write(request);
            InputStream in = sock.getInputStream();
            Matcher content = new Matcher("\"delta\":{\"content\":\"");
            Matcher end = new Matcher("\r\n0\r\n\r\n"); // the chunked body's last chunk (JSON escapes CR in content)
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (t[1] == 0 && content.feed(buf, n)) {
                    t[1] = System.nanoTime();
                }
                if (end.feed(buf, n)) {
                    t[2] = System.nanoTime();
                    return t;
                }
            }
            throw new IOException("the server closed the kept connection");
        }

        @Override
        public void close() throws IOException {
            sock.close();
        }
    }

    /** A chat completion POST, headers and body as one buffer (one write: as a buffering client sends a small request). */
    private static byte[] request(String body, boolean close) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        byte[] h = ("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + b.length + (close ? "\r\nConnection: close" : "") + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(h, h.length + b.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }

    /** Finds a byte pattern across reads. */
    private static final class Matcher {
        private final byte[] p;
        private int at;

        Matcher(String pattern) {
            p = pattern.getBytes(StandardCharsets.US_ASCII);
        }

        boolean feed(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                at = b[i] == p[at] ? at + 1 : b[i] == p[0] ? 1 : 0;
                if (at == p.length) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Passes everything to the model and keeps each completion, so a run over HTTP has its own timings. */
    private static final class Recording implements LanguageModel {
        private final LanguageModel m;
        private final ConcurrentLinkedQueue<Completion> done;

        Recording(LanguageModel m, ConcurrentLinkedQueue<Completion> done) {
            this.m = m;
            this.done = done;
        }

        @Override
        public ModelInfo info() {
            return m.info();
        }

        @Override
        public Completion generate(LlmRequest request, TokenListener listener) {
            long started = System.nanoTime();
            long[] first = new long[1];
            Completion c = m.generate(request, timed(listener, first));
            TIMES.put(c, new Times(started, first[0]));
            done.add(c);
            return c;
        }

        private static TokenListener timed(TokenListener listener, long[] first) {
            return new TokenListener() {
                @Override
                public void onToken(String text, int tokenId) {
                    if (first[0] == 0) {
                        first[0] = System.nanoTime();
                    }
                    listener.onToken(text, tokenId);
                }

                @Override
                public void onFinish(org.npu4j.llm.PerfStats perf) {
                    listener.onFinish(perf);
                }
            };
        }

        /** When a run was handed to the model and when its first token came back (nanoTime). */
        record Times(long started, long firstToken) {}

        static final Map<Completion, Times> TIMES = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public CompletableFuture<Completion> generateAsync(LlmRequest request, TokenListener listener) {
            long started = System.nanoTime();
            long[] first = new long[1];
            CompletableFuture<Completion> f = m.generateAsync(request, timed(listener, first));
            f.whenComplete((c, e) -> {
                if (c != null) {
                    TIMES.put(c, new Times(started, first[0]));
                    done.add(c);
                }
            });
            return f; // not the dependent: cancelling must reach the run
        }

        @Override
        public Flow.Publisher<Token> stream(LlmRequest request) {
            return m.stream(request);
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
