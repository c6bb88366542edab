package org.npu4j.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.Sampling;
import org.npu4j.llm.spi.LanguageModelProvider;
import org.npu4j.rkllm.RkllmAbi;
import org.npu4j.rkllm.RkllmModel;
import org.npu4j.rkllm.RkllmRuntime;
import org.npu4j.tuning.CpuList;

/**
 * The RKLLM backend of {@link LanguageModel#open}: {@code .rkllm} files, and the emulated runtime's model
 * descriptors ({@code npu4j-emulator-model rkllm}). Thread-safe (stateless).
 */
public final class RkllmProvider implements LanguageModelProvider {
    static final String ABI = "rkllm.abi";
    static final String CPUS = "rkllm.cpus";
    private static final Set<String> KEYS = Set.of(ABI, CPUS);
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
        RkllmModel.Builder b = RkllmModel.builder(path).runtime(runtime);
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
        b.tuning(options.tuning());
        String cpus = options.option(CPUS);
        if (cpus != null) {
            b.cpuMask(cpuMask(cpus));
        }
        return b.load();
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
        return open(Emulator.model("rkllm", profile + ".model"), options.withEmulator(true));
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
