package org.npu4j.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.HistogramLogWriter;
import org.jspecify.annotations.Nullable;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.axcl.llm.AxclLlmProvider;
import org.npu4j.llm.Capability;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.ModelInfo;
import org.npu4j.tuning.HostFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code npu4j bench}: measures LLMs through the backend-neutral LLM API ({@link LanguageModel}: an
 * {@code .rkllm} file on RKLLM, an ax-llm package directory on AXCL, or an emulator profile of either:
 * TTFT, prefill and decode tokens/s, engine calls per token, peak RSS) and engine models (AXCL:
 * per-call latency percentiles) on this board or on the emulated runtimes, with and without host
 * tuning, and prints the results as Markdown tables in the form of the published ones (or JSON). On
 * npu4j's emulated AX650N packages the vendor's call pattern ({@link VendorBench}) runs beside npu4j
 * in the same run, and the report gives the ratios.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark LLMs (.rkllm files, ax-llm package directories: TTFT, prefill and decode tok/s, engine",
            "calls per token, peak RSS) and engine models (.axmodel: per-call latency percentiles) on this board, or",
            "on npu4j's emulated runtimes (--emulator), optionally with and without host tuning (--tuning",
            "default,tuned). On emulated AX650N packages the vendor's call pattern runs beside npu4j (--no-vendor:",
            "not). Prints Markdown tables with the columns of the published tables (or --json). Results of",
            "emulated runtimes are marked (emulator)."})
final class BenchCommand implements Callable<Integer> {
    static final String CATCH_UP = "NPU4J_EMULATOR_CATCH_UP";
    private static final Pattern QUANT = Pattern.compile("(?i)(?<![a-z0-9])(w\\d+a\\d+(?:[-_]g\\d+)?|fp16|bf16|int8|int4)");

    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    /** Emulator profiles run by {@code --emulator} without a value: those with published figures. */
    static final List<String> DEFAULT_PROFILES = List.of("rk3588-qwen3-0.6b-w8a8", "ax650n-qwen3-0.6b-w8a16",
            "yolo11s-640", "mobilenetv2", "qwen3-0.6b-layer");

    @Parameters(paramLabel = "MODEL", arity = "0..*",
            description = {"Models: .rkllm files and ax-llm package directories (LLMs, through the LLM API on the",
                "RKLLM or AXCL runtime found on this machine) and .axmodel files (engine runs on the AXCL runtime)."})
    List<Path> models = new ArrayList<>();

    @Option(names = "--emulator", arity = "0..1", paramLabel = "PROFILE[,PROFILE...]", fallbackValue = "",
            split = ",", description = {"Run against npu4j's emulated runtimes: the given emulator profiles (LLM",
                "profiles of both runtimes, e.g. rk3588-qwen3-0.6b-w8a8, ax650n-qwen3-0.6b-w8a16, ax650n-tiny, and the",
                "AXCL emulator's engine models, e.g. yolo11s-640), or without a value those with published figures:",
                "rk3588-qwen3-0.6b-w8a8, ax650n-qwen3-0.6b-w8a16, yolo11s-640, mobilenetv2, qwen3-0.6b-layer."})
    @Nullable List<String> emulator;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "3",
            description = "LLM: passes over the prompt set per model and tuning mode. Default: ${DEFAULT-VALUE}")
    int runs;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "1",
            description = "LLM: generations before measuring (not counted). Default: ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
            description = "LLM: tokens generated per run at most (the vendor tables: 64). Default: ${DEFAULT-VALUE}")
    int maxNewTokens;

    @Option(names = "--ignore-eos", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "LLM: generate exactly --max-new-tokens each run (AXCL, RKLLM ABI 1.3). Default: ${DEFAULT-VALUE}")
    boolean ignoreEos;

    @Option(names = "--prompt-tokens", paramLabel = "N", defaultValue = "128",
            description = {"LLM: fit each prompt to exactly N prompt tokens (template and system prompt included)",
                "where the model can count them (AXCL; the vendor tables: 128); 0 keeps the prompts as written.",
                "Default: ${DEFAULT-VALUE}"})
    int promptTokens;

    @Option(names = "--kv", paramLabel = "copy|bind", defaultValue = "copy",
            description = {"AX650N LLM: how new K/V rows reach the cache: copy (device-to-device, the vendor's current",
                "way) or bind (K_cache_out bound at the cache row). Default: ${DEFAULT-VALUE}"})
    String kv;

    @Option(names = "--vendor", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = {"Emulated AX650N LLM packages: also run the vendor's call pattern (native/bench",
                "axllm_vendor_bench) on the same package and prompts, and report npu4j/vendor. Default: ${DEFAULT-VALUE}"})
    boolean vendor;

    @Option(names = "--max-context", paramLabel = "TOKENS", defaultValue = "1024",
            description = "LLM: context window (max_context_len). Default: ${DEFAULT-VALUE}")
    int maxContext;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "LLM: prompt file, one prompt per line (default: the built-in set of 8 prompts of ~128 tokens).")
    @Nullable Path promptFile;

    @Option(names = "--rkllm-library", paramLabel = "FILE",
            description = "LLM: the librkllmrt.so to load (default: -Dnpu4j.rkllm.library, NPU4J_RKLLM_LIBRARY, the library path).")
    @Nullable Path rkllmLibrary;

    @Option(names = "--rkllm-abi", paramLabel = "1.2|1.3", defaultValue = "1.3",
            description = "LLM with --emulator: the ABI of the emulated RKLLM runtime. Default: ${DEFAULT-VALUE}")
    String rkllmAbi;


    @Option(names = "--calls", paramLabel = "N", defaultValue = "200",
            description = "Engine: calls per model, shape group and tuning mode. Default: ${DEFAULT-VALUE}")
    long calls;

    @Option(names = "--warmup-calls", paramLabel = "N", defaultValue = "20",
            description = "Engine: calls before measuring (not counted). Default: ${DEFAULT-VALUE}")
    int warmupCalls;

    @Option(names = "--axcl-library", paramLabel = "FILE",
            description = {"Engine and ax-llm packages: the libaxcl_rt.so to load (default: -Dnpu4j.axcl.library,",
                "NPU4J_AXCL_LIBRARY, the library path)."})
    @Nullable Path axclLibrary;

    @Option(names = "--axcl-config", paramLabel = "FILE",
            description = {"ax-llm packages: the axclInit JSON configuration (e.g. an emulator config with several",
                "cards: {\"npu4j_emulator\": {\"device_count\": 2}})."})
    @Nullable Path axclConfig;

    @Option(names = "--axcl-devices", paramLabel = "IDS",
            description = {"ax-llm packages: AXCL device ids to split the layers across (axcl.devices, e.g. 1,2);",
                "repeat to measure several splits in one run (--axcl-devices 1 --axcl-devices 1,2). The vendor",
                "pattern runs beside the first single-card split only."})
    List<String> axclDevices = new ArrayList<>();

    @Option(names = "--tuning", paramLabel = "MODE[,MODE]", split = ",", defaultValue = "default",
            description = {"Tuning modes to run, in order: default (the host as it is) and/or tuned (org.npu4j.tuning",
                "HostTuning applied for the runs and restored; without root, its plan is reported). Default: ${DEFAULT-VALUE}"})
    List<String> tuning;

    @Option(names = "--emulator-speed", paramLabel = "FACTOR",
            description = "Set NPU4J_EMULATOR_SPEED for the emulated runtimes (1 = board timing, 0 = no delays).")
    @Nullable String emulatorSpeed;

    @Option(names = "--json", description = "Write JSON (for machines) instead of Markdown.")
    boolean json;

    @Option(names = "--json-file", paramLabel = "FILE", description = "Also write the JSON report to FILE.")
    @Nullable Path jsonFile;

    @Option(names = "--hlog", paramLabel = "FILE",
            description = "Write every latency histogram (ns) to FILE in HdrHistogram's interval log format.")
    @Nullable Path hlogFile;

    @Option(names = "--no-progress", description = "No progress bar (it is shown only when standard error is a terminal).")
    boolean noProgress;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
            description = "Tune /sys and /proc under DIR instead of / (a fixture tree). Default: ${DEFAULT-VALUE}")
    Path root;

    @Option(names = {"-v", "--verbose"}, description = "Log what the runtimes and the tuning do (slf4j info).")
    boolean verbose;

    /**
     * An LLM to measure: an emulator profile ({@code file} null) or a model file or package directory.
     *
     * @param name the model's name where the bench knows it before opening (an RKLLM emulator
     *             descriptor's), else null: the model's own
     */
    record LlmTarget(String id, @Nullable String name, @Nullable String quant, @Nullable Path file, boolean emulator,
            @Nullable String devices) {
        LlmTarget(String id, @Nullable String name, @Nullable String quant, @Nullable Path file, boolean emulator) {
            this(id, name, quant, file, emulator, null);
        }

        /** An ax-llm package (a directory) or an AXCL emulator profile. */
        boolean axcl() {
            return file != null ? Files.isDirectory(file) : new AxclLlmProvider().emulatorProfiles().contains(profile());
        }

        /** The emulator profile (the id without its {@code [devices ...]} suffix). */
        String profile() {
            int at = id.indexOf(" [devices ");
            return at < 0 ? id : id.substring(0, at);
        }
    }

    /** An engine model to measure: an emulator profile or a model file. */
    record EngineTarget(String id, Path file, boolean emulator) {}

    @Override
    public Integer call() throws Exception {
        validate();
        if (emulatorSpeed != null) {
            NativeEnv.set("NPU4J_EMULATOR_SPEED", emulatorSpeed);
        }
        List<LlmTarget> llmTargets = new ArrayList<>();
        List<EngineTarget> engineTargets = new ArrayList<>();
        targets(llmTargets, engineTargets);
        if (llmTargets.isEmpty() && engineTargets.isEmpty()) {
            throw new IllegalArgumentException("nothing to benchmark: give .rkllm or .axmodel files, or --emulator");
        }
        BenchPrompts prompts = BenchPrompts.load(promptFile);
        HostFiles files = main.files(root);
        boolean thisHost = root.toAbsolutePath().normalize().equals(Path.of("/"));
        Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, BenchReport.TuningOutcome> outcomes = new LinkedHashMap<>();
        List<BenchReport.LlmResult> llm = new ArrayList<>();
        List<BenchReport.EngineResult> engine = new ArrayList<>();
        boolean anyEmulator = llmTargets.stream().anyMatch(LlmTarget::emulator)
                || engineTargets.stream().anyMatch(EngineTarget::emulator);
        String catchUp = null;
        if (anyEmulator) {
            // A throughput benchmark: late wake-ups of a loaded host are caught up by the emulated waits
            // that follow, as the vendor-pattern driver does (unless the environment says otherwise).
            catchUp = NativeEnv.get(CATCH_UP);
            if (catchUp == null || catchUp.isBlank()) {
                catchUp = "1";
                NativeEnv.set(CATCH_UP, catchUp);
            }
        }

        try (PrintStream hlogOut = hlogFile == null ? null : new PrintStream(Files.newOutputStream(hlogFile), true,
                StandardCharsets.UTF_8);
             Progress progress = Progress.onTerminal(!noProgress)) {
            HistogramLogWriter hlog = hlogOut == null ? null : hlogWriter(hlogOut, started);
            for (LlmTarget t : llmTargets) {
                if (!t.axcl() || axclDevices.isEmpty()) {
                    llm.add(runLlm(t, prompts, files, thisHost, outcomes, progress, hlog, vendor));
                    continue;
                }
                boolean vendorDone = false;
                for (String ids : axclDevices) {
                    String d = ids.replace(" ", "");
                    boolean one = !d.contains(",");
                    llm.add(runLlm(new LlmTarget(t.id() + " [devices " + d + "]", t.name(), t.quant(), t.file(),
                            t.emulator(), d), prompts, files, thisHost, outcomes, progress, hlog, vendor && one && !vendorDone));
                    vendorDone |= one;
                }
            }
            if (!engineTargets.isEmpty()) {
                AxclRuntime.Options options = engineTargets.get(0).emulator() ? AxclRuntime.Options.emulator()
                        : AxclRuntime.Options.defaults().withLibrary(axclLibrary);
                try (AxclRuntime axcl = AxclRuntime.acquire(options)) {
                    AxDevice device = axcl.device();
                    for (EngineTarget t : engineTargets) {
                        engine.addAll(runEngine(t, axcl, device, files, thisHost, outcomes, progress, hlog));
                    }
                }
            }
        }
        BenchReport report = new BenchReport("npu4j bench " + version(), started.toString(),
                new BenchReport.Host(System.getProperty("os.name") + " " + System.getProperty("os.version"),
                        System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(),
                        Runtime.version().toString()),
                new BenchReport.Settings(List.copyOf(tuning), anyEmulator ? effectiveSpeed() : null, runs, warmup,
                        maxNewTokens, !llm.isEmpty() && ignoreEos && llm.stream().allMatch(BenchReport.LlmResult::eosIgnored),
                        prompts.source(), prompts.size(),
                        engineTargets.isEmpty() ? 0 : calls, engineTargets.isEmpty() ? 0 : warmupCalls, promptTokens,
                        kv, vendor, catchUp),
                List.copyOf(outcomes.values()), llm, engine);
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        String jsonText = mapper.writeValueAsString(report);
        if (jsonFile != null) {
            Files.writeString(jsonFile, jsonText + "\n");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? jsonText + "\n" : report.markdown());
        out.flush();
        return 0;
    }

    private void validate() {
        if (runs < 1 || warmup < 0 || maxNewTokens < 1 || maxContext < 2 || calls < 1 || warmupCalls < 0
                || promptTokens < 0) {
            throw new IllegalArgumentException("--runs, --max-new-tokens and --calls must be at least 1, --warmup,"
                    + " --warmup-calls and --prompt-tokens at least 0, --max-context at least 2");
        }
        if (!kv.equals("copy") && !kv.equals("bind")) {
            throw new IllegalArgumentException("--kv " + kv + ": accepted copy and bind");
        }
        if (tuning.isEmpty()) {
            throw new IllegalArgumentException("--tuning needs default, tuned or default,tuned");
        }
        for (String m : tuning) {
            if (!m.equals(TuningPass.DEFAULT) && !m.equals(TuningPass.TUNED)) {
                throw new IllegalArgumentException("--tuning " + m + ": accepted default and tuned");
            }
        }
        if (tuning.stream().distinct().count() != tuning.size()) {
            throw new IllegalArgumentException("--tuning names a mode twice: " + tuning);
        }
        if (emulatorSpeed != null) {
            double s;
            try {
                s = Double.parseDouble(emulatorSpeed);
            } catch (NumberFormatException e) {
                s = -1;
            }
            if (!(s >= 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("--emulator-speed " + emulatorSpeed
                        + ": accepted a number >= 0 (1 = board timing, 0 = no delays)");
            }
        }
        if (!rkllmAbi.equals("1.2") && !rkllmAbi.equals("1.3")) {
            throw new IllegalArgumentException("--rkllm-abi " + rkllmAbi + ": accepted 1.2 and 1.3");
        }
    }

    private void targets(List<LlmTarget> llmTargets, List<EngineTarget> engineTargets) {
        for (Path p : models) {
            String file = p.getFileName() == null ? p.toString() : p.getFileName().toString();
            if (Files.isDirectory(p)) {
                if (!Files.isRegularFile(p.resolve("config.json"))) {
                    throw new IllegalArgumentException(p + ": a directory without config.json: expected an ax-llm"
                            + " package directory (config.json and *.axmodel layers), a .rkllm or an .axmodel file");
                }
                Matcher m = QUANT.matcher(file);
                llmTargets.add(new LlmTarget(file, null, m.find() ? m.group(1).toUpperCase(Locale.ROOT) : null, p,
                        false));
                continue;
            }
            if (!file.endsWith(".rkllm") && !file.endsWith(".axmodel")) {
                throw new IllegalArgumentException(p + ": accepted .rkllm and .axmodel model files and ax-llm package"
                        + " directories (or --emulator profiles)");
            }
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(p + ": no such file");
            }
            String id = file.substring(0, file.lastIndexOf('.'));
            if (file.endsWith(".axmodel")) {
                engineTargets.add(new EngineTarget(id, p, false));
            } else {
                Matcher m = QUANT.matcher(id);
                llmTargets.add(new LlmTarget(id, id, m.find() ? m.group(1).toUpperCase(Locale.ROOT) : null, p, false));
            }
        }
        if (emulator != null) {
            List<String> profiles = new ArrayList<>();
            for (String e : emulator) {
                if (!e.isBlank()) {
                    profiles.add(e.strip());
                }
            }
            if (profiles.isEmpty()) {
                profiles.addAll(DEFAULT_PROFILES);
            }
            List<String> llmProfiles = LanguageModel.emulatorProfiles();
            List<String> rkllm = Emulator.models("rkllm");
            List<String> axcl = Emulator.models("axcl");
            for (String profile : profiles) {
                String id = profile.endsWith(".model") ? profile.substring(0, profile.length() - ".model".length())
                        : profile;
                String file = id + ".model";
                if (llmProfiles.contains(id)) {
                    String name = null;
                    String quant = null;
                    if (rkllm.contains(file)) { // an emulator descriptor names its model and data type
                        Map<String, String> d = descriptor(Emulator.model("rkllm", file));
                        name = d.get("name");
                        quant = d.get("dtype");
                    }
                    if (quant == null) {
                        Matcher m = QUANT.matcher(id);
                        quant = m.find() ? m.group(1).toUpperCase(Locale.ROOT) : null;
                    }
                    llmTargets.add(new LlmTarget(id, name, quant, null, true));
                } else if (axcl.contains(file)) {
                    engineTargets.add(new EngineTarget(id, Emulator.model("axcl", file), true));
                } else {
                    List<String> all = new ArrayList<>(llmProfiles);
                    for (String f : axcl) {
                        if (f.endsWith(".model")) {
                            all.add(f.substring(0, f.length() - 6));
                        }
                    }
                    throw new IllegalArgumentException("--emulator " + profile + ": no such emulator profile; available: "
                            + String.join(", ", all));
                }
            }
        }
        boolean anyEmulated = llmTargets.stream().anyMatch(LlmTarget::emulator)
                || engineTargets.stream().anyMatch(EngineTarget::emulator);
        boolean anyReal = llmTargets.stream().anyMatch(t -> !t.emulator())
                || engineTargets.stream().anyMatch(t -> !t.emulator());
        if (anyEmulated && anyReal) {
            throw new IllegalArgumentException("one process holds one runtime library per backend: benchmark model"
                    + " files and emulator profiles in separate runs");
        }
    }

    /** The {@code key = value} lines of an RKLLM emulator model descriptor (values unquoted). */
    static Map<String, String> descriptor(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (line.startsWith("#") || eq < 0) {
                    continue;
                }
                String v = line.substring(eq + 1).strip();
                if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                    v = v.substring(1, v.length() - 1);
                }
                values.put(line.substring(0, eq).strip(), v);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return values;
    }

    /** The load options of an LLM target: the bench's settings, the backends' keys for those that apply. */
    private LoadOptions loadOptions(LlmTarget t) {
        LoadOptions o = LoadOptions.DEFAULTS.withContextLength(maxContext).withMaxNewTokens(maxNewTokens)
                .withOption("axcl.kv", kv);
        if (ignoreEos) {
            o = o.withOption("ignore_eos", "true");
        }
        if (t.devices() != null) {
            o = o.withOption("axcl.devices", t.devices());
        }
        if (axclConfig != null && t.axcl()) {
            o = o.withOption("axcl.config", axclConfig.toAbsolutePath().toString());
        }
        if (t.emulator()) {
            return o.withOption("rkllm.abi", rkllmAbi);
        }
        Path file = t.file();
        Path lib = file != null && file.toString().endsWith(".rkllm") ? rkllmLibrary : axclLibrary;
        return o.withLibrary(lib).withName(t.id());
    }

    private BenchReport.LlmResult runLlm(LlmTarget t, BenchPrompts prompts, HostFiles files, boolean thisHost,
            Map<String, BenchReport.TuningOutcome> outcomes, Progress progress, @Nullable HistogramLogWriter hlog,
            boolean vendor) {
        LoadOptions options = loadOptions(t);
        List<BenchReport.LlmMode> modes = new ArrayList<>();
        ModelInfo info;
        try (LanguageModel model = t.emulator() ? LanguageModel.openEmulator(t.profile(), options)
                : LanguageModel.open(Objects.requireNonNull(t.file()), options)) {
            info = model.info();
            List<String> shaped = promptTokens > 0 ? PromptShaper.shape(model, prompts.prompts(), promptTokens,
                    maxNewTokens) : prompts.prompts();
            boolean withVendor = vendor && VendorBench.applies(info.source(), info.emulator());
            for (String mode : tuning) {
                try (TuningPass pass = TuningPass.enter(mode, files, thisHost, info.emulator())) {
                    outcomes.putIfAbsent(mode, pass.outcome());
                    String emulation = info.emulator() ? TuningPass.emulation(mode, withVendor) : "";
                    BenchReport.LlmMode m = LlmBench.run(model, shaped, runs, warmup, maxNewTokens, mode, emulation,
                            progress, hlog, t.id() + "." + mode + ".");
                    if (withVendor) {
                        List<int[]> ids = new ArrayList<>();
                        for (String p : shaped) {
                            ids.add(model.promptTokenIds(LlmBench.request(p, maxNewTokens)).orElseThrow());
                        }
                        progress.start(info.name() + " " + mode + " (vendor pattern)", 1, "driver runs");
                        BenchReport.Vendor v = VendorBench.run(Objects.requireNonNull(info.source()), ids, runs, warmup,
                                Math.max(1, maxNewTokens - 1), mode, effectiveSpeed(),
                                NativeEnv.get("NPU4J_EMULATOR_AXCL_LINK"), NativeEnv.get(CATCH_UP));
                        progress.step();
                        progress.close();
                        m = m.withVendor(v);
                    }
                    modes.add(m);
                }
            }
        }
        Double speedup = null;
        BenchReport.LlmMode d = modes.stream().filter(m -> m.mode().equals(TuningPass.DEFAULT)).findFirst().orElse(null);
        BenchReport.LlmMode u = modes.stream().filter(m -> m.mode().equals(TuningPass.TUNED)).findFirst().orElse(null);
        if (d != null && u != null && d.decodeTokS().mean() > 0) {
            speedup = u.decodeTokS().mean() / d.decodeTokS().mean();
        }
        String source = t.file() != null ? t.file().toString() : info.source() != null ? info.source().toString()
                : t.id();
        return new BenchReport.LlmResult(t.id(), t.name() != null ? t.name() : info.name(), t.quant(), source,
                info.emulator(), info.description(), modes, speedup, info.backend(), info.has(Capability.IGNORE_EOS));
    }

    private List<BenchReport.EngineResult> runEngine(EngineTarget t, AxclRuntime axcl, AxDevice device,
            HostFiles files, boolean thisHost, Map<String, BenchReport.TuningOutcome> outcomes, Progress progress,
            @Nullable HistogramLogWriter hlog) {
        List<BenchReport.EngineResult> results = new ArrayList<>();
        String runtime = "AXCL runtime " + axcl.runtimeVersion() + (axcl.isEmulator() ? " (npu4j emulator)" : "");
        try (AxModel model = device.load(t.file())) {
            int groups = model.shapeGroups().size();
            for (int g = 0; g < groups; g++) {
                String label = groups > 1 ? t.id() + " [group " + g + "]" : t.id();
                List<BenchReport.EngineMode> modes = new ArrayList<>();
                for (String mode : tuning) {
                    try (TuningPass pass = TuningPass.enter(mode, files, thisHost, t.emulator())) {
                        outcomes.putIfAbsent(mode, pass.outcome());
                        String emulation = t.emulator() ? TuningPass.engineEmulation(mode) : "";
                        modes.add(EngineBench.run(model, g, calls, warmupCalls, mode, emulation, label, progress, hlog,
                                t.id() + (groups > 1 ? ".group" + g : "") + "." + mode + "."));
                    }
                }
                Double speedup = null;
                BenchReport.EngineMode d = modes.stream().filter(m -> m.mode().equals(TuningPass.DEFAULT)).findFirst()
                        .orElse(null);
                BenchReport.EngineMode u = modes.stream().filter(m -> m.mode().equals(TuningPass.TUNED)).findFirst()
                        .orElse(null);
                if (d != null && u != null && u.stagesMs().get("execute").mean() > 0) {
                    speedup = d.stagesMs().get("execute").mean() / u.stagesMs().get("execute").mean();
                }
                results.add(new BenchReport.EngineResult(t.id(), g, groups, t.file().toString(), axcl.isEmulator(),
                        runtime, modes, speedup));
            }
        }
        return results;
    }

    private String effectiveSpeed() {
        if (emulatorSpeed != null) {
            return emulatorSpeed;
        }
        String s = NativeEnv.get("NPU4J_EMULATOR_SPEED");
        return s == null || s.isBlank() ? "1" : s;
    }

    private static HistogramLogWriter hlogWriter(PrintStream out, Instant started) {
        HistogramLogWriter w = new HistogramLogWriter(out);
        w.outputComment("npu4j bench latency histograms, nanoseconds; tags: <model>.<mode>.<stage>");
        w.outputLogFormatVersion();
        w.outputStartTime(started.toEpochMilli());
        w.setBaseTime(started.toEpochMilli());
        w.outputLegend();
        return w;
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
