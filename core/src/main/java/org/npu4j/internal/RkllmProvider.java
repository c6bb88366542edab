package org.npu4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.Sampling;
import org.npu4j.llm.spi.LanguageModelProvider;
import org.npu4j.rkllm.RkllmAbi;
import org.npu4j.rkllm.RkllmModel;
import org.npu4j.rkllm.RkllmModelBuilder;
import org.npu4j.rkllm.RkllmRuntime;
import org.npu4j.rkllm.VisionEncoder;
import org.npu4j.rknn.RknnModel;
import org.npu4j.rknn.RknnRuntime;
import org.npu4j.tuning.CpuList;
import org.npu4j.tuning.HostFiles;

/**
 * The RKLLM backend of {@link LanguageModel#open}: {@code .rkllm} files, and the emulated runtime's model
 * descriptors ({@code npu4j-emulator-model rkllm}). Thread-safe (stateless).
 */
public final class RkllmProvider implements LanguageModelProvider {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RkllmProvider.class);
    /** The neutral option of {@link LoadOptions}: answers run to their token limit. */
    static final String IGNORE_EOS = "ignore_eos";
    /** The neutral option of {@link LoadOptions}: requests per batch ({@code extend_param.n_batch}). */
    static final String BATCH = "batch";
    static final String ABI = "rkllm.abi";
    static final String CPUS = "rkllm.cpus";
    static final String VISION = "rkllm.vision";
    static final String HIDDEN_SIZE = "rkllm.hidden_size";
    private static final Set<String> KEYS = Set.of(ABI, CPUS, VISION, HIDDEN_SIZE);
    /**
     * Emulator profiles of VLM language models and the emulated RKNN vision encoder they pair with:
     * Qwen3-VL-2B (448 x 448, 196 tokens x 2048, four interleaved outputs: the embeddings and three
     * deepstack features) and Qwen2-VL-2B (392 x 392, 196 tokens x 1536, one output).
     */
    static final Map<String, String> EMULATOR_VISION = Map.of("rk3588-qwen3-vl-2b-w8a8", "qwen3-vl-2b-vision-448",
            "rk3588-qwen2-vl-2b-w8a8", "qwen2-vl-2b-vision-392");
    private static final String DESCRIPTOR_MAGIC = "npu4j-emulator-model rkllm";

    @Override
    public String backend() {
        return "rkllm";
    }

    @Override
    public boolean accepts(Path path) {
        String n = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(path) && (n.endsWith(".rkllm") || isDescriptor(path));
    }

    private static boolean isDescriptor(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(DESCRIPTOR_MAGIC.length());
            return new String(head, StandardCharsets.US_ASCII).equals(DESCRIPTOR_MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public LanguageModel open(Path path, LoadOptions options) {
        for (String k : options.options().keySet()) {
            if (k.startsWith("rkllm.") && !KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown RKLLM option " + k + ": expected " + KEYS);
            }
        }
        long bytes = fileSize(path);
        String visionFile = options.option(VISION);
        if (visionFile != null) {
            bytes += fileSize(Path.of(visionFile));
        }
        HostMemory.checkFits(path.toString(), bytes, HostFiles.system());
        String abiText = options.option(ABI);
        RkllmAbi abi = abiText == null ? null : RkllmAbi.of(abiText);
        RkllmRuntime runtime;
        if (options.library() != null) {
            if (options.emulator()) {
                throw new IllegalArgumentException("the emulator and the library " + options.library()
                        + " exclude each other: the emulator is a library");
            }
            runtime = RkllmRuntime.load(options.library(), abi); // a descriptor too: the emulator given by path
        } else if (options.emulator() || isDescriptor(path)) {
            runtime = RkllmRuntime.emulator(abi != null ? abi : RkllmAbi.V1_3);
        } else {
            if (abi != null) {
                System.setProperty(RkllmRuntime.ABI_PROPERTY, abi.version());
            }
            runtime = RkllmRuntime.load();
        }
        RkllmModelBuilder b = RkllmModel.builder(path).runtime(runtime);
        if (options.name() != null) {
            b.name(options.name());
        }
        if (options.contextLength() > 0) {
            b.maxContextLen(options.contextLength());
        }
        if (options.maxNewTokens() > 0) {
            b.maxNewTokens(options.maxNewTokens());
        }
        Sampling s = options.sampling();
        if (s.temperature() != null) {
            b.temperature(s.temperature());
        }
        if (s.topK() != null) {
            b.topK(s.topK());
        }
        if (s.topP() != null) {
            b.topP(s.topP());
        }
        if (s.repetitionPenalty() != null) {
            b.repeatPenalty(s.repetitionPenalty());
        }
        if (s.frequencyPenalty() != null) {
            b.frequencyPenalty(s.frequencyPenalty());
        }
        if (s.presencePenalty() != null) {
            b.presencePenalty(s.presencePenalty());
        }
        if ("true".equals(options.option(IGNORE_EOS))) {
            if (runtime.abi() == RkllmAbi.V1_3) {
                b.ignoreEosToken(true);
            } else {
                LOG.info("{}: ignore_eos ignored: RKLLM ABI {} has no ignore_eos_token (1.3 has)", path, runtime.abi());
            }
        }
        String batch = options.option(BATCH);
        if (batch != null) {
            int n = positive(BATCH, batch);
            if (n > 1) {
                // the builder refuses n_batch > 1 on a runtime before 1.2.1 (RkllmModelBuilder.load)
                b.nBatch(n);
            }
        }
        b.tuning(options.tuning());
        String cpus = options.option(CPUS);
        if (cpus != null) {
            b.cpuMask(cpuMask(cpus));
        }
        String hidden = options.option(HIDDEN_SIZE);
        if (hidden != null) {
            b.hiddenSize(positive(HIDDEN_SIZE, hidden));
        } else if (visionFile != null && isDescriptor(path)) {
            int h = descriptorHiddenSize(path);
            if (h > 0) {
                b.hiddenSize(h);
            }
        }
        if (visionFile != null) {
            b.vision(visionEncoder(Path.of(visionFile), runtime.isEmulator()));
        }
        return b.load();
    }

    private static long fileSize(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0; // a missing file is reported by the runtime's load, with its own message
        }
    }

    /**
     * The vision encoder in {@code file}: an {@code .rknn} model on the RKNN runtime, or on the emulated one
     * when the LLM runs on the emulator (the file is then an RKNN emulator descriptor).
     */
    private static VisionEncoder visionEncoder(Path file, boolean emulator) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(VISION + " " + file + ": no such file (expected the vision encoder's"
                    + " .rknn model)");
        }
        RknnRuntime rt = emulator ? RknnRuntime.emulator() : RknnRuntime.load();
        RknnModel m = rt.open(file);
        try {
            return new VisionEncoder(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** {@code hidden_size = N} of an emulator descriptor (its documented format), or 0. */
    private static int descriptorHiddenSize(Path path) {
        try {
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                String t = line.strip();
                if (t.startsWith("hidden_size")) {
                    int eq = t.indexOf('=');
                    if (eq > 0 && t.substring(0, eq).strip().equals("hidden_size")) {
                        return Integer.parseInt(t.substring(eq + 1).strip());
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0; // the runtime reports a broken descriptor itself
        }
        return 0;
    }

    private static int positive(String key, String value) {
        try {
            int v = Integer.parseInt(value.strip());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + " '" + value + "': expected a positive integer");
    }

    @Override
    public List<String> emulatorProfiles() {
        try {
            return Emulator.models("rkllm").stream().filter(n -> n.endsWith(".model"))
                    .map(n -> n.substring(0, n.length() - ".model".length())).toList();
        } catch (NpuException e) {
            return List.of(); // the npu4j-native jar is not on the class path
        }
    }

    @Override
    public LanguageModel openEmulator(String profile, LoadOptions options) {
        if (!emulatorProfiles().contains(profile)) {
            throw new IllegalArgumentException("unknown RKLLM emulator profile \"" + profile + "\": expected one of "
                    + emulatorProfiles());
        }
        LoadOptions o = options.withEmulator(true);
        String encoder = EMULATOR_VISION.get(profile);
        if (encoder != null && o.option(VISION) == null) {
            o = o.withOption(VISION, Emulator.model("rknn", encoder + ".model").toString());
        }
        return open(Emulator.model("rkllm", profile + ".model"), o);
    }

    /** A CPU list ({@code 4-7}, {@code 0,2}) or a hex mask ({@code 0xf0}) as the runtime's CPU mask. */
    public static int cpuMask(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        long mask;
        try {
            mask = s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : CpuList.toMask(CpuList.parse(s));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(CPUS + " '" + spec + "': expected a CPU list such as 4-7 or 0,2, or a"
                    + " hex mask such as 0xf0");
        }
        if (mask == 0 || (mask >>> 32) != 0) {
            throw new IllegalArgumentException(CPUS + " '" + spec + "': the runtime takes CPUs 0-31, at least one");
        }
        return (int) mask;
    }

}
