package org.npu4j.serve;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.ModelInfo;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.TuningSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code npu4j serve}: serves models over the OpenAI and Ollama HTTP APIs until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve language models over the OpenAI (/v1) and Ollama (/api) HTTP APIs.",
            "Binds 127.0.0.1 unless --host says otherwise."})
public final class ServeCommand implements Callable<Integer> {
    /** The emulator profile of {@code --emulator} without a value. */
    public static final String DEFAULT_PROFILE = "rk3588-qwen3-0.6b-w8a8";

    @Option(names = "--model", paramLabel = "NAME=PATH",
            description = "A model to serve as NAME: an .rkllm file or an ax-llm package directory. Repeatable.")
    List<String> models = new ArrayList<>();

    @Option(names = "--emulator", paramLabel = "PROFILE", arity = "0..1", fallbackValue = DEFAULT_PROFILE,
            description = "Serve an emulator profile (default ${FALLBACK-VALUE}) under its profile name, or NAME=PROFILE. Repeatable.")
    List<String> emulators = new ArrayList<>();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--port", defaultValue = "11434", description = "Port (Ollama's default). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:NPU4J_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' (default: $NPU4J_API_KEY; unset: no key).")
    @Nullable String apiKey;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "4194304",
            description = "Largest request body accepted (413 above). Default: ${DEFAULT-VALUE}")
    long maxBody;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "8",
            description = "Requests that may wait per model behind the running one (429 beyond). Default: ${DEFAULT-VALUE}")
    int queue;

    @Option(names = "--context", paramLabel = "TOKENS", defaultValue = "0",
            description = "Context window per model (0: the backend's default).")
    int context;

    @Option(names = "--tune",
            description = "Tune the host for the server's life (org.npu4j.tuning.HostTuning, as `npu4j tune`: the"
                    + " accelerator's IRQ on a big core, performance governor on the big cores), restored at exit."
                    + " Without root it changes nothing and prints what it would change.")
    boolean tune;

    @Option(names = "--image-dir", paramLabel = "DIR",
            description = "Allow OpenAI image_url parts to name image files inside DIR (file: URLs or paths). Without it"
                    + " only inline images (data: URLs, Ollama base64) are taken; remote URLs are never fetched.")
    @Nullable Path imageDir;

    @Option(names = "--aot-training", hidden = true,
            description = "The build's AOT training run: once the models are loaded, send every route one request"
                    + " over loopback (TrainingRun) and stop.")
    boolean aotTraining;

    @Option(names = "--host-root", paramLabel = "DIR", hidden = true,
            description = "Root of the host files --tune reads and writes (default /; tests give a fixture tree).")
    @Nullable Path hostRoot;

    @Override
    public Integer call() throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        if (models.isEmpty() && emulators.isEmpty()) {
            throw new IllegalArgumentException("no model to serve: expected --model NAME=PATH or --emulator[=PROFILE]");
        }
        if (hostRoot != null && !tune) {
            throw new IllegalArgumentException("--host-root is the root of the files --tune changes: give --tune too");
        }
        // One plan for the whole server (not one per model): applied before the models load, restored when the
        // server stops, and by HostTuning's shutdown hook if the JVM exits otherwise; a dry run without rights.
        TuningSession tuning = tune ? HostTuning.on(hostRoot != null ? HostFiles.at(hostRoot) : HostFiles.system()).apply()
                : null;
        try {
            return serve(tuning);
        } finally {
            if (tuning != null) {
                tuning.close();
            }
        }
    }

    private int serve(@Nullable TuningSession tuning) throws Exception {
        // The server listens first and the models load in the background once it does (ServedModel): /v1/models
        // answers at once, /health says "loading", and requests wait for their model; a failed load stops the server.
        Map<String, ServedModel> served = new LinkedHashMap<>();
        try {
            LoadOptions opts = LoadOptions.DEFAULTS.withContextLength(context);
            for (String spec : models) {
                int eq = spec.indexOf('=');
                if (eq <= 0 || eq == spec.length() - 1) {
                    throw new IllegalArgumentException("--model " + spec + ": expected NAME=PATH");
                }
                String name = unique(served, spec.substring(0, eq));
                Path path = Path.of(spec.substring(eq + 1));
                served.put(name, new ServedModel(name, () -> LanguageModel.open(path, opts.withName(name)), queue, false));
            }
            for (String spec : emulators) {
                int eq = spec.indexOf('=');
                String name = unique(served, eq > 0 ? spec.substring(0, eq) : spec);
                String profile = eq > 0 ? spec.substring(eq + 1) : spec;
                served.put(name, new ServedModel(name, () -> LanguageModel.openEmulator(profile, opts.withName(name)), queue,
                        false));
            }
        } catch (RuntimeException e) {
            served.values().forEach(ServedModel::close);
            throw e;
        }
        NpuServer server;
        try {
            server = NpuServer.start(new NpuServer.Config(host, port, apiKey, maxBody, queue, imageDir), served);
        } catch (IOException | RuntimeException e) {
            served.values().forEach(ServedModel::close);
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "npu4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("npu4j serve: listening on " + server.baseUrl() + (apiKey != null ? " (API key required)" : "")
                + ", loading " + String.join(", ", served.keySet()));
        System.out.flush();
        Map<String, RuntimeException> failed = server.awaitLoaded(Duration.ofDays(365));
        if (stopped.getCount() == 0) {
            return 0; // stopped (Ctrl-C) while loading
        }
        if (!failed.isEmpty()) {
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            StringBuilder sb = new StringBuilder();
            failed.forEach((name, e) -> sb.append(sb.isEmpty() ? "" : "; ").append(name).append(": ").append(e.getMessage()));
            throw new IllegalStateException("could not load " + sb + " (the server stopped)", failed.values().iterator().next());
        }
        for (ServedModel m : served.values()) {
            ModelInfo info = m.info();
            System.out.printf("  %s: %s%s, loaded in %.1f s%n", m.name(), info.description(),
                    info.emulator() ? " [emulator]" : "", m.loadNanos() / 1e9);
        }
        if (tuning != null) {
            System.out.println("  host tuning: " + (tuning.applied() ? tuning.changes().size() + " changes applied,"
                    + " restored when the server stops" : "dry run (no rights to change the host): nothing changed"));
        }
        System.out.println("  OpenAI: " + server.baseUrl() + "/v1   Ollama: " + server.baseUrl() + "   Ctrl-C stops");
        System.out.flush();
        if (aotTraining) {
            try {
                TrainingRun.run(server, served.keySet().iterator().next());
            } finally {
                Runtime.getRuntime().removeShutdownHook(hook);
                server.close();
            }
            System.out.println("  training requests answered; stopped");
            return 0;
        }
        stopped.await();
        return 0;
    }

    private static String unique(Map<String, ServedModel> served, String name) {
        if (served.containsKey(name)) {
            throw new IllegalArgumentException("two models named " + name + ": expected distinct names");
        }
        return name;
    }
}
