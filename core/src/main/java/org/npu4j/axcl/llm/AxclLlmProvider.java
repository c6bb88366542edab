package org.npu4j.axcl.llm;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;
import org.npu4j.llm.spi.LanguageModelProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AXCL backend of {@link LanguageModel#open}: ax-llm package directories ({@code config.json} and
 * {@code *.axmodel} layers, {@link AxLlmPackage}), and the emulated packages of npu4j's AXCL emulator
 * ({@link Emulator#axllmPackage(String)}).
 *
 * <p>{@link LoadOptions} keys: {@code axcl.kv} ({@code copy}, default, or {@code bind}: how new K/V rows
 * reach the cache in decode), {@code axcl.device} (an AXCL device id; default the package's
 * {@code devices}, else the first), {@code axcl.devices} (AXCL device ids separated by commas, e.g.
 * {@code 1,2}: the layers split across those cards, {@link AxLlmDevices}), {@code axcl.config} (the
 * {@code axclInit} JSON configuration file, e.g. an emulator config with several cards),
 * {@code axcl.tokenizer} (a tokenizer file or HF directory used instead of the package's
 * {@code url_tokenizer_model}). {@link LoadOptions#contextLength()} is ignored (logged at debug): the
 * layers fix the context. Thread-safe.
 */
public final class AxclLlmProvider implements LanguageModelProvider {
    private static final Logger LOG = LoggerFactory.getLogger(AxclLlmProvider.class);
    /** The neutral option of {@link LoadOptions}: answers run to their token limit. */
    static final String IGNORE_EOS = "ignore_eos";
    /** The neutral option of {@link LoadOptions}: requests per batch (not supported here). */
    static final String BATCH = "batch";
    static final String KV = "axcl.kv";
    static final String DEVICE = "axcl.device";
    static final String DEVICES = "axcl.devices";
    static final String CONFIG = "axcl.config";
    static final String TOKENIZER = "axcl.tokenizer";
    private static final Set<String> KEYS = Set.of(KV, DEVICE, DEVICES, CONFIG, TOKENIZER);
    /** Emulator profile → the emulator's package profile. */
    private static final Map<String, String> PROFILES = new LinkedHashMap<>();

    static {
        PROFILES.put("ax650n-qwen3-0.6b-w8a16", "qwen3-0.6b");
        PROFILES.put("ax650n-tiny", "tiny");
        PROFILES.put("ax650n-tiny-vl", "tiny-vl");
        PROFILES.put("ax650n-tiny-qwen3-vl", "tiny-qwen3-vl");
    }

    @Override
    public String backend() {
        return "axcl";
    }

    @Override
    public boolean accepts(Path path) {
        return AxLlmPackage.looksLikePackage(path);
    }

    @Override
    public LanguageModel open(Path path, LoadOptions options) {
        for (String k : options.options().keySet()) {
            if (k.startsWith("axcl.") && !KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown AXCL option " + k + ": expected " + KEYS);
            }
        }
        AxLlmPackage pkg = AxLlmPackage.read(path);
        String tok = options.option(TOKENIZER);
        if (tok != null) {
            pkg = pkg.withTokenizer(Path.of(tok));
        }
        if (options.contextLength() > 0) {
            LOG.debug("{}: contextLength {} ignored: an ax-llm package's context is fixed by its layers", path,
                    options.contextLength());
        }
        int device = -1;
        String d = options.option(DEVICE);
        if (d != null) {
            try {
                device = Integer.parseInt(d.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(DEVICE + " '" + d + "': expected an AXCL device id such as 0 or 1");
            }
        }
        List<Integer> devices = new java.util.ArrayList<>();
        String ds = options.option(DEVICES);
        if (ds != null) {
            for (String part : ds.split(",")) {
                try {
                    devices.add(Integer.parseInt(part.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(DEVICES + " '" + ds + "': expected AXCL device ids separated by"
                            + " commas, such as 1,2");
                }
            }
        }
        String kv = options.option(KV) == null ? "copy" : options.option(KV);
        AxclRuntime.Options rt;
        if (options.library() != null) {
            if (options.emulator()) {
                throw new IllegalArgumentException("the emulator and the library " + options.library()
                        + " exclude each other: the emulator is a library");
            }
            rt = AxclRuntime.Options.defaults().withLibrary(options.library());
        } else {
            rt = options.emulator() ? AxclRuntime.Options.emulator() : AxclRuntime.Options.defaults();
        }
        String batch = options.option(BATCH);
        if (batch != null && !"1".equals(batch.strip())) {
            LOG.info("{}: batch={} ignored: the AXCL runner runs one request at a time (no Capability.BATCH)", path,
                    batch);
        }
        if (options.option(CONFIG) != null) {
            rt = rt.withConfig(Path.of(options.option(CONFIG)));
        }
        AxLlmModel.Options o = new AxLlmModel.Options(options.name(), options.maxNewTokens(), kv, device,
                "true".equals(options.option(IGNORE_EOS)), devices);
        return AxLlmModel.open(pkg, rt, o);
    }

    @Override
    public List<String> emulatorProfiles() {
        try {
            Emulator.library(Emulator.Runtime.AXCL);
        } catch (NpuException e) {
            return List.of(); // the npu4j-native jar is not on the class path
        }
        return List.copyOf(PROFILES.keySet());
    }

    @Override
    public LanguageModel openEmulator(String profile, LoadOptions options) {
        String p = PROFILES.get(profile);
        if (p == null) {
            throw new IllegalArgumentException("unknown AXCL emulator profile \"" + profile + "\": expected one of "
                    + PROFILES.keySet());
        }
        return open(emulatorPackage(profile), options.withEmulator(true));
    }

    /**
     * The directory of an emulated package ({@link Emulator#axllmPackage(String)}, cached on disk).
     *
     * @throws IllegalArgumentException for an unknown profile
     * @throws NpuException             if the emulator cannot write it
     */
    public static Path emulatorPackage(String profile) {
        String p = PROFILES.get(profile);
        if (p == null) {
            throw new IllegalArgumentException("unknown AXCL emulator profile \"" + profile + "\": expected one of "
                    + PROFILES.keySet());
        }
        return Emulator.axllmPackage(p);
    }
}
