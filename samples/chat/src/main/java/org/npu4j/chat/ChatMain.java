package org.npu4j.chat;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.rkllm.ChatSession;
import org.npu4j.rkllm.GenerationListener;
import org.npu4j.rkllm.GenerationResult;
import org.npu4j.rkllm.RkllmAbi;
import org.npu4j.rkllm.RkllmModel;
import org.npu4j.rkllm.RkllmRuntime;
import org.npu4j.tuning.CpuList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code npu4j-chat}: chat with an LLM on a Rockchip NPU through the RKLLM runtime, or on npu4j's
 * emulated runtime ({@code --emulator}). Interactive by default (JLine: line editing, history, Ctrl-C
 * stops the current answer); {@code --prompt} answers once and exits.
 *
 * <p>Exit status: 0 after a successful session or answer, 1 when the runtime, the model or an option
 * value fails (with a message on stderr), 2 for an unknown option (picocli).
 */
@Command(name = "npu4j-chat", mixinStandardHelpOptions = true, versionProvider = ChatMain.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Chat with an LLM on a Rockchip NPU (RKLLM runtime), or on npu4j's emulated runtime.",
                "Interactive commands: /reset, /stats, /system TEXT, /exit (Ctrl-C stops an answer, Ctrl-D quits)."})
public final class ChatMain implements Callable<Integer> {
    /** The default emulator profile: Qwen3-0.6B w8a8 on an RK3588 at fixed maximum frequencies. */
    static final String DEFAULT_PROFILE = "rk3588-qwen3-0.6b-w8a8";

    @Option(names = "--model", paramLabel = "FILE",
            description = "Model file (.rkllm; with --emulator an emulator descriptor, default: the profile's).")
    Path model;

    @Option(names = "--library", paramLabel = "FILE",
            description = "Runtime library (librkllmrt.so). Default: -Dnpu4j.rkllm.library, $NPU4J_RKLLM_LIBRARY,"
                    + " then the library path.")
    Path library;

    @Option(names = "--emulator", arity = "0..1", fallbackValue = DEFAULT_PROFILE, paramLabel = "PROFILE",
            description = "Run on npu4j's emulated RKLLM runtime with a device profile (default: ${FALLBACK-VALUE}).")
    String emulator;

    @Option(names = "--abi", paramLabel = "1.2|1.3",
            description = "RKLLM ABI of the library (default: read from the library; with --emulator: 1.3).")
    String abi;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "512",
            description = "Most tokens per answer (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--context", paramLabel = "N", defaultValue = "4096",
            description = "Context window in tokens: system prompt, history and answer (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt (ChatML markup, Qwen style).")
    String system;

    @Option(names = "--cpus", paramLabel = "LIST",
            description = "CPUs of the runtime's threads: a list (4-7, 0,2) or a hex mask (0xf0). Default: the big cores.")
    String cpus;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (>= 0).")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k sampling (>= 0).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p sampling, (0, 1].")
    Float topP;

    @Option(names = "--no-think", description = "Answer without thinking first (thinking models such as Qwen3).")
    boolean noThink;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Answer TEXT once and exit (for scripts).")
    String prompt;

    @Option(names = {"-v", "--verbose"}, description = "Show the runtime's log and npu4j's info messages.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    /** Runs the command and exits with its status. */
    public static void main(String[] args) {
        if (Arrays.asList(args).contains("-v") || Arrays.asList(args).contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        }
        System.exit(commandLine().execute(args));
    }

    /** A command line wired with the error handling of {@link #main}. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ChatMain());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof NpuException || e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                line.getErr().println("npu4j-chat: " + e.getMessage());
                line.getErr().flush();
                return 1;
            }
            throw e;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (prompt != null && prompt.isBlank()) {
            throw new IllegalArgumentException("--prompt is empty: give the question to answer");
        }
        if (model != null && !Files.isRegularFile(model)) {
            throw new IllegalArgumentException("--model " + model + ": no such file");
        }
        RkllmModel.Builder builder;
        try {
            builder = builder();
        } catch (NpuException e) {
            throw new NpuException(e.getMessage() + (emulator == null
                    ? "\nTo try npu4j-chat without an NPU: npu4j-chat --emulator" : ""), e);
        }
        RkllmModel m = Loader.load(builder, describe(), verbose, err);
        try {
            ChatSession chat = m.chat().thinking(!noThink);
            if (system != null) {
                chat.systemPrompt(system);
            }
            if (prompt != null) {
                return answerOnce(chat, out, err);
            }
            out.println(Stats.header(m));
            out.flush();
            return new Repl(chat, verbose).run();
        } finally {
            Loader.close(m, verbose, err);
        }
    }

    /** {@code --prompt}: the answer streamed to stdout, the statistics line to stderr. */
    private int answerOnce(ChatSession chat, PrintWriter out, PrintWriter err) {
        GenerationResult r = chat.send(prompt, GenerationListener.onText(t -> {
            out.print(t);
            out.flush();
        })).result();
        out.println();
        out.flush();
        err.println(Stats.line(r, chat.model().isEmulator()));
        err.flush();
        return 0;
    }

    private RkllmModel.Builder builder() {
        RkllmAbi chosenAbi = abi == null ? null : RkllmAbi.of(abi);
        RkllmRuntime runtime;
        Path modelFile = model;
        if (emulator != null) {
            if (library != null) {
                throw new IllegalArgumentException("--emulator and --library exclude each other: the emulator is a library");
            }
            runtime = RkllmRuntime.emulator(chosenAbi != null ? chosenAbi : RkllmAbi.V1_3);
            if (modelFile == null) {
                modelFile = emulatorModel(emulator);
            }
        } else {
            if (modelFile == null) {
                throw new IllegalArgumentException("--model FILE is required (or --emulator to run on npu4j's emulated"
                        + " runtime)");
            }
            runtime = library != null ? RkllmRuntime.load(library, chosenAbi) : loadFromSearchPath(chosenAbi);
        }
        RkllmModel.Builder b = RkllmModel.builder(modelFile).runtime(runtime).maxContextLen(context)
                .maxNewTokens(maxNewTokens);
        if (cpus != null) {
            b.cpuMask(cpuMask(cpus));
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        return b;
    }

    private static RkllmRuntime loadFromSearchPath(RkllmAbi chosenAbi) {
        if (chosenAbi != null) {
            System.setProperty(RkllmRuntime.ABI_PROPERTY, chosenAbi.version());
        }
        return RkllmRuntime.load();
    }

    /** The descriptor of an emulator profile: {@code rk3588-qwen3-0.6b-w8a8} or its file name. */
    static Path emulatorModel(String profile) {
        String file = profile.endsWith(".model") ? profile : profile + ".model";
        List<String> models = Emulator.models("rkllm").stream().filter(n -> n.endsWith(".model")).toList();
        if (!models.contains(file)) {
            throw new IllegalArgumentException("no emulator profile '" + profile + "'; available: "
                    + models.stream().map(n -> n.substring(0, n.length() - ".model".length())).toList());
        }
        return Emulator.model("rkllm", file);
    }

    /** {@code --cpus}: a CPU list ({@code 4-7}, {@code 0,2}) or a hex mask ({@code 0xf0}). */
    static int cpuMask(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        long mask;
        try {
            mask = s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : CpuList.toMask(CpuList.parse(s));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--cpus '" + spec + "': expected a CPU list such as 4-7 or 0,2, or a"
                    + " hex mask such as 0xf0");
        }
        if (mask == 0 || (mask >>> 32) != 0) {
            throw new IllegalArgumentException("--cpus '" + spec + "': the runtime takes CPUs 0-31, at least one");
        }
        return (int) mask;
    }

    private String describe() {
        return emulator != null ? "the emulated " + (model != null ? model.getFileName() : emulator) + " model"
                : String.valueOf(model.getFileName());
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = ChatMain.class.getPackage().getImplementationVersion();
            return new String[] {"npu4j-chat " + (v == null ? "(development build)" : v) + " on Java "
                    + Runtime.version()};
        }
    }
}
