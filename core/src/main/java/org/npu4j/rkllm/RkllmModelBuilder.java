package org.npu4j.rkllm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.TuningException;
import org.npu4j.tuning.TuningSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parameters of {@code rkllm_init}: every field of {@code RKLLMParam} and
 * {@code RKLLMExtendParam}. Unset fields keep the runtime's defaults ({@code rkllm_createDefaultParam}),
 * except the CPU mask, which defaults to the big cores this process may use. Each setter checks its range
 * and throws {@link IllegalArgumentException} naming the field; {@link #load()} checks the
 * combinations and the ABI-specific fields. Not thread-safe.
 */
public final class RkllmModelBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(RkllmModelBuilder.class);
    final Path modelFile;
    private @Nullable RkllmRuntime runtime;
    @Nullable String name;
    private @Nullable Integer maxContextLen;
    private @Nullable Integer maxNewTokens;
    private @Nullable Integer nKeep;
    private @Nullable SamplingParams sampling;
    private @Nullable Integer topK;
    private @Nullable Float topP;
    private @Nullable Float temperature;
    private @Nullable Float repeatPenalty;
    private @Nullable Float frequencyPenalty;
    private @Nullable Float presencePenalty;
    private @Nullable Integer mirostat;
    private @Nullable Float mirostatTau;
    private @Nullable Float mirostatEta;
    private @Nullable Boolean skipSpecialToken;
    private @Nullable Boolean ignoreEosToken;
    private @Nullable Boolean async;
    private boolean imageTagsSet;
    private @Nullable String imgStart;
    private @Nullable String imgEnd;
    private @Nullable String imgContent;
    private @Nullable Integer baseDomainId;
    private @Nullable Boolean embedFlash;
    private @Nullable Integer cpuMask;
    private @Nullable Integer cpuCount;
    private @Nullable Integer nBatch;
    private @Nullable Boolean crossAttention;
    int hiddenSize;
    @Nullable VisionEncoder vision;
    @Nullable Duration runWaitTimeout;
    private @Nullable HostTuning tuning;

    RkllmModelBuilder(Path modelFile) {
        this.modelFile = Objects.requireNonNull(modelFile, "modelFile");
    }

    /** The runtime to load into (default: {@link RkllmRuntime#load()}). */
    public RkllmModelBuilder runtime(RkllmRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        return this;
    }

    /** Name in logs, metrics and JFR events (default: the model file's name). */
    public RkllmModelBuilder name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * Context window in tokens ({@code max_context_len}): prompt, history and answer together.
     * Accepted {@code >= 1}; the runtime refuses more than the model supports (vendor: up to 16K for
     * most models since 1.2.0).
     */
    public RkllmModelBuilder maxContextLen(int tokens) {
        SamplingParams.check(tokens >= 1, "maxContextLen (max_context_len)", tokens, ">= 1");
        this.maxContextLen = tokens;
        return this;
    }

    /** Generated tokens per run ({@code max_new_tokens}); accepted {@code >= 1}, or -1 for no limit. */
    public RkllmModelBuilder maxNewTokens(int tokens) {
        SamplingParams.check(tokens >= 1 || tokens == -1, "maxNewTokens (max_new_tokens)", tokens,
                ">= 1, or -1 for no limit but the context");
        this.maxNewTokens = tokens;
        return this;
    }

    /**
     * Tokens kept at the start of the KV cache when a full context shifts ({@code n_keep}); accepted
     * {@code 0 <= n < maxContextLen}, or -1 for the runtime's choice (the system prompt).
     */
    public RkllmModelBuilder nKeep(int tokens) {
        SamplingParams.check(tokens >= -1, "nKeep (n_keep)", tokens, ">= 0 and < maxContextLen, or -1");
        this.nKeep = tokens;
        return this;
    }

    /** All sampling parameters at once (checked by {@link SamplingParams#validate()}). */
    public RkllmModelBuilder sampling(SamplingParams sampling) {
        this.sampling = Objects.requireNonNull(sampling, "sampling").validate();
        return this;
    }

    /** {@code top_k}; accepted {@code >= 0} (0 = no top-k cut). */
    public RkllmModelBuilder topK(int k) {
        SamplingParams.check(k >= 0, "topK (top_k)", k, ">= 0");
        this.topK = k;
        return this;
    }

    /** {@code top_p}; accepted {@code (0, 1]}. */
    public RkllmModelBuilder topP(float p) {
        SamplingParams.check(p > 0 && p <= 1, "topP (top_p)", p, "(0, 1]");
        this.topP = p;
        return this;
    }

    /** {@code temperature}; accepted {@code >= 0}, finite (0 = greedy). */
    public RkllmModelBuilder temperature(float t) {
        SamplingParams.check(Float.isFinite(t) && t >= 0, "temperature", t, ">= 0 and finite");
        this.temperature = t;
        return this;
    }

    /** {@code repeat_penalty}; accepted {@code > 0}, finite (1 = off). */
    public RkllmModelBuilder repeatPenalty(float p) {
        SamplingParams.check(Float.isFinite(p) && p > 0, "repeatPenalty (repeat_penalty)", p, "> 0 and finite");
        this.repeatPenalty = p;
        return this;
    }

    /** {@code frequency_penalty}; any finite value (0 = off). */
    public RkllmModelBuilder frequencyPenalty(float p) {
        SamplingParams.check(Float.isFinite(p), "frequencyPenalty (frequency_penalty)", p, "any finite value");
        this.frequencyPenalty = p;
        return this;
    }

    /** {@code presence_penalty}; any finite value (0 = off). */
    public RkllmModelBuilder presencePenalty(float p) {
        SamplingParams.check(Float.isFinite(p), "presencePenalty (presence_penalty)", p, "any finite value");
        this.presencePenalty = p;
        return this;
    }

    /** {@code mirostat} (0 off, 1, 2), {@code mirostat_tau} and {@code mirostat_eta} ({@code > 0}). */
    public RkllmModelBuilder mirostat(int mode, float tau, float eta) {
        SamplingParams.check(mode >= 0 && mode <= 2, "mirostat", mode, "0 (off), 1 or 2");
        SamplingParams.check(Float.isFinite(tau) && tau > 0, "mirostatTau (mirostat_tau)", tau, "> 0 and finite");
        SamplingParams.check(Float.isFinite(eta) && eta > 0, "mirostatEta (mirostat_eta)", eta, "> 0 and finite");
        this.mirostat = mode;
        this.mirostatTau = tau;
        this.mirostatEta = eta;
        return this;
    }

    /** Leave special tokens out of the text ({@code skip_special_token}). */
    public RkllmModelBuilder skipSpecialToken(boolean skip) {
        this.skipSpecialToken = skip;
        return this;
    }

    /** Keep generating past end-of-sequence ({@code ignore_eos_token}, ABI 1.3 only: load fails on 1.2). */
    public RkllmModelBuilder ignoreEosToken(boolean ignore) {
        this.ignoreEosToken = ignore;
        return this;
    }

    /**
     * Run through {@code rkllm_run_async} ({@code is_async}); {@link RkllmModel#generate} still blocks
     * until the run ends, and {@link RkllmModel#abort()} works the same. The run ends when the runtime
     * has left its FINISH/ERROR callback ({@code rkllm_is_running} says idle), as with
     * {@code rkllm_run}: an exception of {@code onFinish} reaches the caller, and the next call (a KV
     * cache clear, another run) finds the handle idle.
     */
    public RkllmModelBuilder async(boolean async) {
        this.async = async;
        return this;
    }

    /**
     * Image tags of multimodal prompts ({@code img_start}, {@code img_end}, {@code img_content}; ABI 1.2
     * only: 1.3 takes them per input, see {@link ImageInput#withTags}; load fails on 1.3).
     */
    public RkllmModelBuilder imageTags(@Nullable String start, @Nullable String end, @Nullable String content) {
        Strings.checkNoNul(start, "img_start");
        Strings.checkNoNul(end, "img_end");
        Strings.checkNoNul(content, "img_content");
        this.imageTagsSet = true;
        this.imgStart = start;
        this.imgEnd = end;
        this.imgContent = content;
        return this;
    }

    /** {@code extend_param.base_domain_id} (NPU memory domain); accepted {@code >= 0}. */
    public RkllmModelBuilder baseDomainId(int id) {
        SamplingParams.check(id >= 0, "baseDomainId (base_domain_id)", id, ">= 0");
        this.baseDomainId = id;
        return this;
    }

    /** Read word embeddings from flash instead of memory ({@code extend_param.embed_flash}). */
    public RkllmModelBuilder embedFlash(boolean on) {
        this.embedFlash = on;
        return this;
    }

    /**
     * The CPUs of the runtime's threads ({@code extend_param.enabled_cpus_mask}, bit N = CPU N, CPUs
     * 0-31); {@code enabled_cpus_num} becomes the number of bits unless {@link #cpuCount} is set.
     * Default: the big cores this process may use ({@code org.npu4j.tuning.CpuTopology#bigCoreMask()};
     * RK3588: the A76 cores 4-7, mask 0xF0, as the vendor demos pin them; all cores where all are equal).
     */
    public RkllmModelBuilder cpuMask(int mask) {
        SamplingParams.check(mask != 0, "cpuMask (enabled_cpus_mask)", "0x" + Integer.toHexString(mask),
                "a non-zero mask of CPUs 0-31");
        this.cpuMask = mask;
        return this;
    }

    /** {@code extend_param.enabled_cpus_num}; accepted 1 to the number of CPUs in the mask. */
    public RkllmModelBuilder cpuCount(int n) {
        SamplingParams.check(n >= 1 && n <= 32, "cpuCount (enabled_cpus_num)", n, "1 to 32");
        this.cpuCount = n;
        return this;
    }

    /**
     * Batch entries per run ({@code extend_param.n_batch}); accepted 1 to 255 (the field is 8 bits);
     * with more than 1, run with {@link RkllmModel#generateBatch}. More than 1 needs RKLLM
     * {@value #BATCH_SINCE} or later: {@link #load()} refuses it on an older runtime, naming both versions.
     */
    public RkllmModelBuilder nBatch(int n) {
        SamplingParams.check(n >= 1 && n <= 255, "nBatch (n_batch)", n, "1 to 255");
        this.nBatch = n;
        return this;
    }

    /** Load a cross-attention decoder ({@code extend_param.use_cross_attn}). */
    public RkllmModelBuilder crossAttention(boolean on) {
        this.crossAttention = on;
        return this;
    }

    /**
     * Images through this encoder ({@link org.npu4j.llm.Capability#IMAGES}); the model owns it from
     * {@link #load()} on and closes it (also when loading fails). Needs the {@link #hiddenSize hidden
     * size}, which must equal the encoder's embedding width (checked at load, before any native call).
     * On ABI 1.2, where the image tags are model parameters, sets Qwen-VL's tags unless
     * {@link #imageTags} gave others.
     */
    public RkllmModelBuilder vision(@Nullable VisionEncoder encoder) {
        this.vision = encoder;
        return this;
    }

    /**
     * The model's hidden size ({@code hidden_size} of its config.json), for checking the shapes of
     * embedding and multimodal inputs (the ABI does not report it until a hidden-state run).
     */
    public RkllmModelBuilder hiddenSize(int size) {
        SamplingParams.check(size >= 1, "hiddenSize", size, ">= 1");
        this.hiddenSize = size;
        return this;
    }

    /**
     * Host tuning applied for the model's life (default: none): {@link #load()} applies it
     * ({@link HostTuning#apply()}) before {@code rkllm_init}, {@link RkllmModel#close()} restores the
     * host after {@code rkllm_destroy}, and the tuning session's shutdown hook restores it at JVM exit if
     * the model is never closed. Without the rights to write (not root) nothing changes and the plan is
     * logged once as a warning (a dry run). If applying fails, nothing stays changed and {@link #load()}
     * throws the {@link TuningException}; if the model then fails to load, the tuning is restored first.
     */
    public RkllmModelBuilder tuning(@Nullable HostTuning tuning) {
        this.tuning = tuning;
        return this;
    }

    /** How long a call waits for a running generation before {@link RkllmBusyException} (default: forever). */
    public RkllmModelBuilder runWaitTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("runWaitTimeout " + timeout + ": accepted >= 0");
        }
        this.runWaitTimeout = timeout;
        return this;
    }

    /**
     * Loads the model ({@code rkllm_init}). Blocks for the load (seconds on a board).
     *
     * @throws IllegalArgumentException if the file does not exist or the settings do not fit together, the
     *                                  ABI or the runtime version ({@link #nBatch} > 1 before
     *                                  {@value #BATCH_SINCE})
     * @throws RkllmException           if the runtime refuses the model (not a model, too large a context,
     *                                  ...)
     * @throws org.npu4j.NpuException   if no runtime library can be loaded
     * @throws TuningException          if the {@link #tuning host tuning} cannot be applied (nothing changed)
     */
    public RkllmModel load() {
        boolean loaded = false;
        try {
            checkVision();
            RkllmModel.requireFile(modelFile, "model file");
            RkllmRuntime rt = runtime != null ? runtime : RkllmRuntime.load();
            checkBatchRuntime(rt);
            TuningSession session = tuning != null ? tuning.apply() : null;
            try {
                RkllmModel m = RkllmModel.load(this, rt, session);
                loaded = true;
                return m;
            } catch (RuntimeException | Error e) {
                TuningSession.restoreAfter(session, e);
                throw e;
            }
        } finally {
            if (!loaded && vision != null) {
                vision.close();
            }
        }
    }

    /** The first RKLLM version with {@code extend_param.n_batch} (shared/facts/boards.md). */
    static final String BATCH_SINCE = "1.2.1";

    /**
     * {@code n_batch} > 1 needs a runtime of at least {@value #BATCH_SINCE}: an older one has no such field
     * and would run one entry. A runtime whose version is unknown (an ABI set by hand on a file without a
     * version string) is let through, with an info log.
     */
    private void checkBatchRuntime(RkllmRuntime rt) {
        if (nBatch == null || nBatch <= 1) {
            return;
        }
        String v = rt.version().orElse(null);
        if (v == null) {
            LOG.info("nBatch (n_batch) = {}: the version of the RKLLM runtime {} is unknown; n_batch needs {} or later",
                    nBatch, rt.library(), BATCH_SINCE);
            return;
        }
        if (compareVersions(v, BATCH_SINCE) < 0) {
            throw new IllegalArgumentException("nBatch (n_batch) = " + nBatch + " needs RKLLM runtime " + BATCH_SINCE
                    + " or later (the first with extend_param.n_batch); the runtime " + rt.library() + " is version "
                    + v + ": load it with nBatch 1 (one request per run), or use a runtime >= " + BATCH_SINCE);
        }
    }

    /**
     * Compares the first three numbers of two versions ({@code 1.2.1}, {@code v1.2.1b1}: 1, 2, 1; missing
     * ones are 0); negative, zero or positive as {@code a} is older than, as old as or newer than {@code b}.
     */
    static int compareVersions(String a, String b) {
        int[] x = numbers(a);
        int[] y = numbers(b);
        for (int i = 0; i < 3; i++) {
            if (x[i] != y[i]) {
                return Integer.compare(x[i], y[i]);
            }
        }
        return 0;
    }

    private static int[] numbers(String v) {
        int[] parts = new int[3];
        String[] t = v.strip().split("[^0-9]+");
        for (int i = 0, j = 0; i < t.length && j < 3; i++) {
            if (!t[i].isEmpty()) {
                parts[j++] = Integer.parseInt(t[i].length() > 6 ? t[i].substring(0, 6) : t[i]);
            }
        }
        return parts;
    }

    /** The encoder's embedding width against the hidden size, before anything native happens. */
    private void checkVision() {
        if (vision == null) {
            return;
        }
        String llm = name != null ? name : String.valueOf(modelFile.getFileName());
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException("a vision encoder needs the hidden size of " + llm + " to check its"
                    + " embedding width (" + vision.embedSize() + ") against: give it with hiddenSize (hidden_size"
                    + " in the model's config.json)");
        }
        vision.checkHiddenSize(hiddenSize, llm);
    }

    /** Applies the settings over the runtime's defaults and checks what depends on several of them. */
    void apply(ParamValues v, RkllmAbi abi) {
        if (ignoreEosToken != null && abi == RkllmAbi.V1_2) {
            throw new IllegalArgumentException("ignoreEosToken (ignore_eos_token) needs RKLLM ABI 1.3; this runtime"
                    + " speaks 1.2");
        }
        if (imageTagsSet && abi != RkllmAbi.V1_2) {
            throw new IllegalArgumentException("imageTags (img_start/img_end/img_content) are RKLLMParam fields of"
                    + " ABI 1.2 only; on " + abi + " give them per input with ImageInput.withTags");
        }
        v.modelPath = modelFile.toAbsolutePath().toString();
        if (maxContextLen != null) {
            v.maxContextLen = maxContextLen;
        }
        if (maxNewTokens != null) {
            v.maxNewTokens = maxNewTokens;
        }
        if (nKeep != null) {
            if (nKeep >= v.maxContextLen) {
                throw new IllegalArgumentException("nKeep (n_keep) = " + nKeep + " is out of range: accepted >= 0"
                        + " and < maxContextLen (" + v.maxContextLen + "), or -1");
            }
            v.nKeep = nKeep;
        }
        SamplingParams s = sampling != null ? sampling : v.sampling;
        if (topK != null) {
            s = s.withTopK(topK);
        }
        if (topP != null) {
            s = s.withTopP(topP);
        }
        if (temperature != null) {
            s = s.withTemperature(temperature);
        }
        if (repeatPenalty != null) {
            s = s.withRepeatPenalty(repeatPenalty);
        }
        if (frequencyPenalty != null) {
            s = s.withFrequencyPenalty(frequencyPenalty);
        }
        if (presencePenalty != null) {
            s = s.withPresencePenalty(presencePenalty);
        }
        if (mirostat != null) {
            s = s.withMirostat(mirostat, mirostatTau, mirostatEta);
        }
        v.sampling = s;
        if (skipSpecialToken != null) {
            v.skipSpecialToken = skipSpecialToken;
        }
        if (ignoreEosToken != null) {
            v.ignoreEosToken = ignoreEosToken;
        }
        if (async != null) {
            v.isAsync = async;
        }
        if (imageTagsSet) {
            v.imgStart = imgStart;
            v.imgEnd = imgEnd;
            v.imgContent = imgContent;
        } else if (vision != null && abi == RkllmAbi.V1_2) {
            v.imgStart = VisionEncoder.QWEN_START;
            v.imgEnd = VisionEncoder.QWEN_END;
            v.imgContent = VisionEncoder.QWEN_CONTENT;
        }
        if (baseDomainId != null) {
            v.baseDomainId = baseDomainId;
        }
        if (embedFlash != null) {
            v.embedFlash = embedFlash;
        }
        int mask = cpuMask != null ? cpuMask : CpuDefaults.defaultMask();
        int usable = CpuDefaults.usableCpusMask();
        if (cpuMask != null && (mask & usable) == 0) {
            throw new IllegalArgumentException("cpuMask (enabled_cpus_mask) = 0x" + Integer.toHexString(mask)
                    + " names no CPU that is online and allowed to this process: accepted a mask with at least one"
                    + " of 0x" + Integer.toHexString(usable));
        }
        int bits = Integer.bitCount(mask);
        if (cpuCount != null && cpuCount > bits) {
            throw new IllegalArgumentException("cpuCount (enabled_cpus_num) = " + cpuCount + " is out of range:"
                    + " accepted 1 to the " + bits + " CPUs of the mask 0x" + Integer.toHexString(mask));
        }
        v.enabledCpusMask = mask;
        v.enabledCpusNum = cpuCount != null ? cpuCount : bits;
        if (nBatch != null) {
            v.nBatch = nBatch;
        }
        if (v.nBatch < 1) {
            v.nBatch = 1; // the runtime treats 0 as 1
        }
        if (crossAttention != null) {
            v.useCrossAttn = crossAttention;
        }
    }
}
