package org.npu4j.serve;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server of {@code npu4j serve}: OpenAI routes under {@code /v1}, Ollama routes under
 * {@code /api}, {@code /health} and {@code /metrics}, over the JDK's {@code com.sun.net.httpserver}
 * with a kept platform thread per exchange (up to {@value #HANDLER_THREADS} at once, then virtual threads;
 * see {@link #handlerPool}). It listens while its models load (see {@link #start}).
 *
 * <p>TCP_NODELAY: the JDK server reads {@code sun.net.httpserver.nodelay} once, when its first server
 * class initialises; {@link #start} sets it to true before creating the server (the launcher also passes
 * it), since without it every flushed token meets Nagle's algorithm and the client's delayed ACK
 * (~40 ms per write, shared/facts/serving.md).
 *
 * <p>Thread-safe; {@link #close()} stops accepting, aborts running generations by closing the models
 * and joins the handler threads.
 */
public final class NpuServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NpuServer.class);

    /**
     * Settings. {@code apiKey} null: no authentication. {@code imageDir}: the directory OpenAI
     * {@code image_url} parts may name local files in ({@code file:} URLs or paths), or null: only inline
     * images (data URLs, Ollama base64); remote image URLs are always refused, never fetched.
     */
    public record Config(String host, int port, @Nullable String apiKey, long maxBodyBytes, int queueDepth,
            @Nullable Path imageDir) {
        public Config {
            Objects.requireNonNull(host);
            if (maxBodyBytes < 1) {
                throw new IllegalArgumentException("max body " + maxBodyBytes + " bytes: expected >= 1");
            }
            if (imageDir != null && !java.nio.file.Files.isDirectory(imageDir)) {
                throw new IllegalArgumentException("image directory " + imageDir + " is not a directory");
            }
        }

        /** Without local image files. */
        public Config(String host, int port, @Nullable String apiKey, long maxBodyBytes, int queueDepth) {
            this(host, port, apiKey, maxBodyBytes, queueDepth, null);
        }

        /** These settings with local image files allowed from {@code dir} (null: none). */
        public Config withImageDir(@Nullable Path dir) {
            return new Config(host, port, apiKey, maxBodyBytes, queueDepth, dir);
        }

        /** 127.0.0.1, an ephemeral port, no key, 4 MiB bodies, 8 waiting requests per model. */
        public static Config loopback() {
            return new Config("127.0.0.1", 0, null, 4 << 20, 8);
        }
    }

    private final Config config;
    private final Map<String, ServedModel> models;
    private final HttpServer http;
    /** Runs exchanges beyond {@link #HANDLER_THREADS} at once: a virtual thread each. */
    private final ExecutorService overflow = Executors.newVirtualThreadPerTaskExecutor();
    private final ThreadPoolExecutor executor;
    /**
     * Opens SSE streams while their runs prefill ({@link SseChunks#starting}): one platform thread,
     * made at first use.
     */
    private final java.util.concurrent.ScheduledExecutorService sseOpener =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("npu4j-sse-open").daemon().factory());
    private final Metrics metrics;
    private final long startedNanos = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final org.npu4j.llm.IssuedToolCalls issuedCalls = new org.npu4j.llm.IssuedToolCalls();

    private NpuServer(Config config, Map<String, ServedModel> models) throws IOException {
        this.config = config;
        this.models = models;
        this.metrics = new Metrics(this);
        this.executor = handlerPool(overflow);
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        http.setExecutor(executor);
        OpenAiApi openAi = new OpenAiApi(this);
        OllamaApi ollama = new OllamaApi(this);
        route("/v1/models", "GET", true, openAi::models);
        route("/v1/chat/completions", "POST", true, openAi::chatCompletions);
        route("/v1/completions", "POST", true, openAi::completions);
        route("/api/chat", "POST", false, ollama::chat);
        route("/api/generate", "POST", false, ollama::generate);
        route("/api/tags", "GET", false, ollama::tags);
        route("/api/ps", "GET", false, ollama::ps);
        route("/api/show", "POST", false, ollama::show);
        route("/api/version", "GET", false, ollama::version);
        route("/health", "GET", true, metrics::health);
        route("/metrics", "GET", true, metrics::prometheus);
        http.createContext("/", ex -> {
            try (ex) {
                Http.sendOpenAiError(ex, new ApiError(404, "invalid_request_error", null, "not_found",
                        "no route " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath()
                                + ": expected /v1/chat/completions, /v1/completions, /v1/models, /api/chat, /api/generate,"
                                + " /api/tags, /api/ps, /api/show, /api/version, /health or /metrics", -1));
            }
        });
    }

    /** Platform threads kept for exchanges; more exchanges at once run on virtual threads. */
    static final int HANDLER_THREADS = 32;

    /**
     * The exchanges' executor: an idle platform thread if there is one, a new one up to
     * {@value #HANDLER_THREADS} (each kept 60 s after its last exchange), else a virtual thread in
     * {@code overflow}. Platform threads because a handler holds its thread for the whole run, most of it
     * inside the runtime's native call, where a virtual thread would pin its carrier (the scheduler has one
     * per core, so two models generating at once on a two-core board would stall every other exchange);
     * and handing an exchange to a parked platform thread reached the handler sooner than starting a
     * virtual thread (ServeBench, see the README).
     */
    private static ThreadPoolExecutor handlerPool(ExecutorService overflow) {
        return new ThreadPoolExecutor(0, HANDLER_THREADS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                Thread.ofPlatform().name("npu4j-http-", 0).daemon().factory(), (r, pool) -> overflow.execute(r));
    }

    /**
     * Starts a server over {@code models} (name to model, in the order listed by /v1/models); the server
     * owns them and closes them with itself. Returns once it listens, which may be before the models have
     * loaded ({@link ServedModel} loads in the background): a request to a model still loading waits for
     * it, {@code /health} answers 503 {@code loading} until all are loaded, {@link #awaitLoaded} waits.
     */
    public static NpuServer start(Config config, Map<String, ServedModel> models) throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        NpuServer s = new NpuServer(config, new LinkedHashMap<>(models));
        // Jackson's first use loads and links some hundred classes (~0.1 s on an idle core, far more on a busy
        // one); every answer needs it, so it is done before the models' loads start and compete for the CPU
        Http.JSON.writeValueAsBytes(Http.JSON.createObjectNode().put("warm", true).putArray("up").addObject());
        s.http.start();
        LOG.info("listening on {}", s.address());
        for (ServedModel m : s.models.values()) {
            m.startLoading();
        }
        return s;
    }

    /**
     * Waits until every model's first load has ended.
     *
     * @return the models whose load failed, with the error (empty: all loaded)
     * @throws java.util.concurrent.TimeoutException if a load still runs after {@code timeout}
     */
    public Map<String, RuntimeException> awaitLoaded(java.time.Duration timeout)
            throws InterruptedException, java.util.concurrent.TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, RuntimeException> failed = new LinkedHashMap<>();
        for (ServedModel m : models.values()) {
            try {
                m.firstLoad().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause()); // firstLoad never fails
            } catch (java.util.concurrent.TimeoutException e) {
                throw new java.util.concurrent.TimeoutException("model " + m.name() + " still loading after " + timeout);
            }
            RuntimeException error = m.loadError();
            if (error != null) {
                failed.put(m.name(), error);
            }
        }
        return failed;
    }

    private interface Handler {
        void handle(HttpExchange ex) throws IOException, InterruptedException;
    }

    private void route(String path, String method, boolean openAiErrors, Handler h) {
        http.createContext(path, ex -> {
            try (ex) {
                try {
                    if (!ex.getRequestURI().getPath().equals(path)) {
                        throw new ApiError(404, "invalid_request_error", null, "not_found",
                                "no route " + ex.getRequestURI().getPath(), -1);
                    }
                    if (!ex.getRequestMethod().equals(method)) {
                        ex.getResponseHeaders().set("Allow", method);
                        throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                                ex.getRequestMethod() + " " + path + ": expected " + method, -1);
                    }
                    authorize(ex);
                    metrics.requests.increment();
                    h.handle(ex);
                } catch (ApiError e) {
                    metrics.errors.increment();
                    if (ex.getResponseCode() == -1) {
                        if (openAiErrors) {
                            Http.sendOpenAiError(ex, e);
                        } else {
                            Http.sendOllamaError(ex, e);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    LOG.debug("{} {}: {}", method, path, e.toString());
                } catch (RuntimeException e) {
                    metrics.errors.increment();
                    LOG.warn("{} {} failed", method, path, e);
                    if (ex.getResponseCode() == -1) {
                        ApiError err = new ApiError(500, "server_error", null, null, e.toString(), -1);
                        if (openAiErrors) {
                            Http.sendOpenAiError(ex, err);
                        } else {
                            Http.sendOllamaError(ex, err);
                        }
                    }
                }
            }
        });
    }

    private void authorize(HttpExchange ex) {
        if (config.apiKey() == null) {
            return;
        }
        String h = ex.getRequestHeaders().getFirst("Authorization");
        String expected = "Bearer " + config.apiKey();
        if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                    h == null ? "missing Authorization header: expected \"Bearer <key>\" (the server's --api-key)"
                            : "invalid API key in the Authorization header", -1);
        }
    }

    /** The bound address (the real port when 0 was asked). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** {@code http://host:port}. */
    public String baseUrl() {
        return "http://" + address().getHostString() + ":" + address().getPort();
    }

    org.npu4j.llm.IssuedToolCalls issuedCalls() {
        return issuedCalls;
    }

    /** A new OpenAI call id for {@code call}, remembered for the history of the next request. */
    String issue(org.npu4j.llm.ToolCall call) {
        String id = OpenAiApi.callId();
        issuedCalls.put(id, call);
        return id;
    }

    /** Where SSE streams open ahead of their first token (see {@link SseChunks#starting}). */
    java.util.concurrent.ScheduledExecutorService sseOpener() {
        return sseOpener;
    }

    /** The directory local image files may come from, or null: none. */
    @Nullable Path imageDir() {
        return config.imageDir();
    }

    long maxBodyBytes() {
        return config.maxBodyBytes();
    }

    long uptimeNanos() {
        return System.nanoTime() - startedNanos;
    }

    List<ServedModel> models() {
        return new ArrayList<>(models.values());
    }

    /** The model served as {@code name}; accepts Ollama's {@code :latest} tag on a name without one. */
    ServedModel model(String name) {
        ServedModel m = models.get(name);
        if (m == null && name.endsWith(":latest")) {
            m = models.get(name.substring(0, name.length() - ":latest".length()));
        }
        if (m == null) {
            throw ApiError.unknownModel(name, models.keySet());
        }
        return m;
    }

    /**
     * Stops accepting connections, stops running generations (closing each model aborts its run), and
     * waits for the handler threads to end (at most 5 s).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        http.stop(0);
        for (ServedModel m : models.values()) {
            m.close();
        }
        executor.shutdown();
        overflow.shutdown();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)
                    || !overflow.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.warn("handler threads still running 5 s after close");
                executor.shutdownNow();
                overflow.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sseOpener.shutdown(); // after the handlers: a handler's last opening has run (or is queued and still runs)
    }
}
