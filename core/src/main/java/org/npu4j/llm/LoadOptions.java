package org.npu4j.llm;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.npu4j.tuning.HostTuning;

/**
 * How to load a model through {@link LanguageModel#open(Path, LoadOptions)}: the settings every backend
 * understands, and backend-specific ones by key.
 *
 * <p>Backend keys (unknown keys are an error at load, naming the accepted ones):
 * <ul>
 *   <li>RKLLM: {@code rkllm.abi} ({@code 1.2} or {@code 1.3}, default read from the library),
 *       {@code rkllm.cpus} (CPU mask of the runtime's threads, e.g. {@code 0xf0}; default the big cores);</li>
 *   <li>AXCL: keys named in {@code org.npu4j.axcl.llm}.</li>
 *   <li>Every backend: {@code ignore_eos} ({@code true}: answers run to their token limit whatever
 *       end-of-sequence token the model emits, for benchmarks; honoured where the model then has
 *       {@link Capability#IGNORE_EOS}: AXCL, RKLLM ABI 1.3; ignored with an info log elsewhere);
 *       {@code batch} (N &ge; 1: load the model so that up to N requests run as one batch,
 *       {@link BatchingLanguageModel}, {@link Capability#BATCH}: RKLLM &ge; 1.2.1 as {@code n_batch}; on
 *       AXCL ignored with an info log, the model then lacks {@link Capability#BATCH}).</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 *
 * @param name          the model's name, or null for the file or directory name
 * @param contextLength context window in tokens, or 0 for the backend's default (RKLLM: 4096; AXCL: the
 *                      package's, derived from its layer tensors)
 * @param maxNewTokens  default limit of tokens per answer, or 0 for the backend's default
 * @param library       the runtime library to load, or null to find it (property, environment variable,
 *                      library path), or, with {@link #emulator}, the emulated runtime
 * @param emulator      run on npu4j's emulated runtime (the path is then an emulator model descriptor or
 *                      package)
 * @param sampling      the model's default sampling (requests may override it); null fields keep the
 *                      backend's (RKLLM: the runtime's defaults; AXCL: the package's {@code post_config.json})
 * @param options       backend-specific settings
 * @param tuning        host tuning to apply for the life of the model (see {@link #withTuning}), or null (the
 *                      default) to leave the host as it is
 */
public record LoadOptions(@Nullable String name, int contextLength, int maxNewTokens, @Nullable Path library,
        boolean emulator, Sampling sampling, Map<String, String> options, @Nullable HostTuning tuning) {

    public static final LoadOptions DEFAULTS = new LoadOptions(null, 0, 0, null, false, Sampling.DEFAULT, Map.of(),
            null);

    public LoadOptions {
        if (contextLength < 0) {
            throw new IllegalArgumentException("contextLength = " + contextLength + ": expected > 0, or 0 for the default");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens = " + maxNewTokens + ": expected > 0, or 0 for the default");
        }
        Objects.requireNonNull(sampling, "sampling");
        options = Map.copyOf(options);
    }

    public LoadOptions withName(@Nullable String n) {
        return new LoadOptions(n, contextLength, maxNewTokens, library, emulator, sampling, options, tuning);
    }

    public LoadOptions withContextLength(int n) {
        return new LoadOptions(name, n, maxNewTokens, library, emulator, sampling, options, tuning);
    }

    public LoadOptions withMaxNewTokens(int n) {
        return new LoadOptions(name, contextLength, n, library, emulator, sampling, options, tuning);
    }

    public LoadOptions withLibrary(@Nullable Path lib) {
        return new LoadOptions(name, contextLength, maxNewTokens, lib, emulator, sampling, options, tuning);
    }

    public LoadOptions withEmulator(boolean on) {
        return new LoadOptions(name, contextLength, maxNewTokens, library, on, sampling, options, tuning);
    }

    public LoadOptions withSampling(Sampling s) {
        return new LoadOptions(name, contextLength, maxNewTokens, library, emulator, s, options, tuning);
    }

    /** These options with {@code key = value} added (or replaced). */
    public LoadOptions withOption(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(options);
        m.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new LoadOptions(name, contextLength, maxNewTokens, library, emulator, sampling, m, tuning);
    }

    /**
     * These options with host tuning: the model applies {@code t} ({@link HostTuning#apply()}) before it
     * loads and restores the host when it is closed, or at JVM exit if it is not (the tuning session's
     * shutdown hook). If the process may not write the host's files (not root), nothing is changed and
     * the plan is logged once as a warning (a dry run); if a write fails, or the model then fails to load,
     * whatever was written is restored before the error is thrown: the host is never left half-tuned.
     * Null (the default): the host is left as it is.
     */
    public LoadOptions withTuning(@Nullable HostTuning t) {
        return new LoadOptions(name, contextLength, maxNewTokens, library, emulator, sampling, options, t);
    }

    /** The option {@code key}, or null. */
    public @Nullable String option(String key) {
        return options.get(key);
    }
}
