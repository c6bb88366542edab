package org.npu4j.chat;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.npu4j.NpuException;
import org.npu4j.llm.ChatSession;
import org.npu4j.llm.Completion;
import org.npu4j.llm.ImageData;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.Sampling;
import org.npu4j.llm.TokenListener;
import org.npu4j.rkllm.RkllmAbi;
import org.npu4j.tuning.CpuList;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.HostTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

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
        description = {"Chat with an LLM on a Rockchip NPU (RKLLM runtime) or an Axera AX650N card (AXCL runtime),"
                + " or on npu4j's emulated runtimes.",
                "Interactive commands: /reset, /stats, /system TEXT, /exit (Ctrl-C stops an answer, Ctrl-D quits)."})
public final class ChatMain implements Callable<Integer> {
    /** The default emulator profile: Qwen3-0.6B w8a8 on an RK3588 at fixed maximum frequencies. */
    static final String DEFAULT_PROFILE = "rk3588-qwen3-0.6b-w8a8";

    @Option(names = "--model", paramLabel = "FILE",
            description = "Model: an .rkllm file (RKLLM) or an ax-llm package directory (AXCL); with --emulator an"
                    + " emulator descriptor or package (default: the profile's).")
    Path model;

    @Option(names = "--library", paramLabel = "FILE",
            description = "Runtime library (librkllmrt.so). Default: -Dnpu4j.rkllm.library, $NPU4J_RKLLM_LIBRARY,"
                    + " then the library path.")
    Path library;

    @Option(names = "--emulator", arity = "0..1", fallbackValue = DEFAULT_PROFILE, paramLabel = "PROFILE",
            description = "Run on npu4j's emulated runtimes with a device profile (default: ${FALLBACK-VALUE};"
                    + " --emulator=list shows them all).")
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

    @Option(names = "--tune",
            description = "Tune the host while the chat runs (org.npu4j.tuning.HostTuning, as `npu4j tune`: the"
                    + " accelerator's IRQ on a big core, performance governor on the big cores), restored at exit."
                    + " Without root it changes nothing and prints what it would change.")
    boolean tune;

    @Option(names = "--host-root", paramLabel = "DIR", hidden = true,
            description = "Root of the host files --tune reads and writes (default /; tests give a fixture tree).")
    Path hostRoot;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (>= 0).")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k sampling (>= 0).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p sampling, (0, 1].")
    Float topP;

    @Option(names = "--no-think", description = "Answer without thinking first (thinking models such as Qwen3).")
    boolean noThink;

    @Option(names = "--image", paramLabel = "FILE",
            description = "Show the image (PNG, JPEG, ...) with the first message; repeatable. Needs a model with a"
                    + " vision encoder (e.g. --emulator=rk3588-qwen3-vl-2b-w8a8 or --emulator=ax650n-tiny-vl).")
    List<Path> images = new ArrayList<>();

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
        if (model != null && !Files.exists(model)) {
            throw new IllegalArgumentException("--model " + model + ": no such file or directory");
        }
        if ("list".equals(emulator)) {
            LanguageModel.emulatorProfiles().forEach(out::println);
            out.flush();
            return 0;
        }
        List<ImageData> pixels = images.stream().map(Images::read).toList();
        LoadOptions options = options();
        Supplier<LanguageModel> opener = () -> {
            try {
                return open(options);
            } catch (NpuException e) {
                throw new NpuException(e.getMessage() + (emulator == null
                        ? "\nTo try npu4j-chat without an NPU: npu4j-chat --emulator" : ""), e);
            }
        };
        LanguageModel m = Loader.load(opener, describe(), verbose, err);
        try {
            ChatSession chat = m.chat().thinking(!noThink);
            if (system != null) {
                chat.systemPrompt(system);
            }
            if (prompt != null) {
                return answerOnce(chat, pixels, out, err);
            }
            out.println(Stats.header(m));
            out.flush();
            return new Repl(chat, verbose, pixels).run();
        } finally {
            Loader.close(m, verbose, err);
        }
    }

    /** {@code --prompt}: the answer streamed to stdout, the statistics line to stderr. */
    private int answerOnce(ChatSession chat, List<ImageData> pixels, PrintWriter out, PrintWriter err) {
        Completion r = chat.send(prompt, pixels, TokenListener.onText(t -> {
            out.print(t);
            out.flush();
        }));
        out.println();
        out.flush();
        err.println(Stats.line(r, chat.model().info().emulator()));
        err.flush();
        return 0;
    }

    private LoadOptions options() {
        LoadOptions o = LoadOptions.DEFAULTS.withContextLength(context).withMaxNewTokens(maxNewTokens)
                .withSampling(new Sampling(temperature, topP, topK, null, null, null, null));
        if (abi != null) {
            o = o.withOption("rkllm.abi", RkllmAbi.of(abi).version());
        }
        if (cpus != null) {
            o = o.withOption("rkllm.cpus", "0x" + Integer.toHexString(cpuMask(cpus)));
        }
        if (emulator != null && library != null) {
            throw new IllegalArgumentException("--emulator and --library exclude each other: the emulator is a library");
        }
        if (hostRoot != null && !tune) {
            throw new IllegalArgumentException("--host-root is the root of the files --tune changes: give --tune too");
        }
        if (tune) {
            o = o.withTuning(HostTuning.on(hostRoot != null ? HostFiles.at(hostRoot) : HostFiles.system()));
        }
        return o.withLibrary(library);
    }

    private LanguageModel open(LoadOptions o) {
        if (emulator != null) {
            if (model != null) {
                return LanguageModel.open(model, o.withEmulator(true));
            }
            List<String> profiles = LanguageModel.emulatorProfiles();
            String profile = emulator.endsWith(".model") ? emulator.substring(0, emulator.length() - 6) : emulator;
            if (!profiles.contains(profile)) {
                throw new IllegalArgumentException("no emulator profile '" + emulator + "'; available: " + profiles);
            }
            return LanguageModel.openEmulator(profile, o);
        }
        if (model == null) {
            throw new IllegalArgumentException("--model PATH is required (or --emulator to run on npu4j's emulated"
                    + " runtimes)");
        }
        return LanguageModel.open(model, o);
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
