package org.npu4j.rkllm;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One run: the input(s) and the per-run parameters ({@code RKLLMInput} and {@code RKLLMInferParam}).
 * Immutable; build with {@link #builder(Input)} or {@link #prompt(String)}.
 *
 * <p>Checked when built: non-empty role and input. Checked against the model before the native call
 * ({@link RkllmModel#generate}): the number of inputs equals the model's {@code nBatch}; embedding
 * and multimodal shapes match its hidden size; the LoRA adapter is loaded; ABI-1.3-only fields
 * ({@link Builder#sampling}, {@link Builder#maxNewTokens}, video input, image tags) are not used on 1.2.
 */
public final class GenerationRequest {
    private final List<Input> inputs;
    private final String role;
    private final boolean enableThinking;
    private final InferMode mode;
    private final @Nullable String lora;
    private final @Nullable Path savePromptCache;
    private final boolean keepHistory;
    private final int maxNewTokens;
    private final @Nullable SamplingParams sampling;
    private final @Nullable RunHooks hooks;

    private GenerationRequest(Builder b) {
        this.inputs = List.copyOf(b.inputs);
        this.role = b.role;
        this.enableThinking = b.enableThinking;
        this.mode = b.mode;
        this.lora = b.lora;
        this.savePromptCache = b.savePromptCache;
        this.keepHistory = b.keepHistory;
        this.maxNewTokens = b.maxNewTokens;
        this.sampling = b.sampling;
        this.hooks = b.hooks;
    }

    /** A user prompt, everything else at its default. */
    public static GenerationRequest prompt(String text) {
        return builder(Input.prompt(text)).build();
    }

    /** A builder for one input (a model loaded with {@code nBatch} 1). */
    public static Builder builder(Input input) {
        return new Builder(List.of(Objects.requireNonNull(input, "input")));
    }

    /**
     * A builder for a batched run: one input per batch entry, as many as the model's {@code nBatch}
     * ({@code RKLLMExtendParam.n_batch}); run with {@link RkllmModel#generateBatch}.
     */
    public static Builder batch(List<? extends Input> inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one input");
        }
        return new Builder(List.copyOf(inputs));
    }

    /** The inputs, one per batch entry. */
    public List<Input> inputs() {
        return inputs;
    }

    /** The single input (batch entry 0). */
    public Input input() {
        return inputs.get(0);
    }

    /** Message role: {@code "user"} (default) or {@code "tool"} (a function result), ... */
    public String role() {
        return role;
    }

    /** Whether a thinking model (Qwen3) may think before it answers ({@code RKLLMInput.enable_thinking}). */
    public boolean enableThinking() {
        return enableThinking;
    }

    public InferMode mode() {
        return mode;
    }

    /** Name of the LoRA adapter to apply (loaded by {@link RkllmModel#loadLora}), or null. */
    public @Nullable String lora() {
        return lora;
    }

    /** Where to save the prompt cache of this run, or null for none. */
    public @Nullable Path savePromptCache() {
        return savePromptCache;
    }

    /** Whether the KV cache keeps this exchange for the next run ({@code keep_history}). */
    public boolean keepHistory() {
        return keepHistory;
    }

    /** Per-run limit of generated tokens (ABI 1.3); 0 = the model's {@code maxNewTokens}. */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /** Per-run sampling (ABI 1.3), or null for the model's. */
    public @Nullable SamplingParams sampling() {
        return sampling;
    }

    @Nullable RunHooks hooks() {
        return hooks;
    }

    @Override
    public String toString() {
        return "GenerationRequest[" + inputs + ", role=" + role + ", thinking=" + enableThinking + ", mode=" + mode
                + (lora != null ? ", lora=" + lora : "") + (savePromptCache != null ? ", save=" + savePromptCache : "")
                + ", keepHistory=" + keepHistory + (maxNewTokens > 0 ? ", maxNewTokens=" + maxNewTokens : "")
                + (sampling != null ? ", " + sampling : "") + "]";
    }

    /** Not thread-safe. */
    public static final class Builder {
        private final List<Input> inputs;
        private String role = "user";
        private boolean enableThinking;
        private InferMode mode = InferMode.GENERATE;
        private @Nullable String lora;
        private @Nullable Path savePromptCache;
        private boolean keepHistory;
        private int maxNewTokens;
        private @Nullable SamplingParams sampling;
        private @Nullable RunHooks hooks;

        private Builder(List<Input> inputs) {
            for (Input i : inputs) {
                Objects.requireNonNull(i, "input");
            }
            this.inputs = inputs;
        }

        /**
         * Message role ({@code RKLLMInput.role}): {@code "user"} (default) or {@code "tool"} for a
         * function result (the runtime wraps it in the tool-response tag given to
         * {@link RkllmModel#setFunctionTools}).
         */
        public Builder role(String role) {
            Objects.requireNonNull(role, "role");
            if (role.isBlank() || role.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("role '" + role + "': accepted a non-empty name such as user or tool");
            }
            this.role = role;
            return this;
        }

        /** Let a thinking model think first (default false). */
        public Builder enableThinking(boolean on) {
            this.enableThinking = on;
            return this;
        }

        public Builder mode(InferMode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Apply the LoRA adapter loaded under {@code name} to this run (null: none). */
        public Builder lora(@Nullable String name) {
            if (name != null && (name.isEmpty() || name.indexOf('\0') >= 0)) {
                throw new IllegalArgumentException("lora name is empty");
            }
            this.lora = name;
            return this;
        }

        /**
         * Save the prompt's KV cache to {@code file} during this run ({@code RKLLMPromptCacheParam}), for
         * {@link RkllmModel#loadPromptCache} later (null: do not save).
         */
        public Builder savePromptCache(@Nullable Path file) {
            this.savePromptCache = file;
            return this;
        }

        /**
         * Keep this exchange in the KV cache so that the next run continues the conversation
         * ({@code keep_history = 1}); default false: every run starts from the system prompt.
         */
        public Builder keepHistory(boolean keep) {
            this.keepHistory = keep;
            return this;
        }

        /**
         * Per-run limit of generated tokens ({@code RKLLMInferParam.max_new_tokens}, ABI 1.3 only);
         * accepted {@code >= 1}, or 0 for the model's limit (default).
         */
        public Builder maxNewTokens(int n) {
            SamplingParams.check(n >= 0, "maxNewTokens (max_new_tokens)", n, ">= 1, or 0 for the model's limit");
            this.maxNewTokens = n;
            return this;
        }

        /** Per-run sampling ({@code RKLLMSamplingParam}, ABI 1.3 only); null: the model's. */
        public Builder sampling(@Nullable SamplingParams sampling) {
            this.sampling = sampling == null ? null : sampling.validate();
            return this;
        }

        /** Work done under the model's lock around the run (the LLM API's conversation state). */
        Builder hooks(@Nullable RunHooks h) {
            this.hooks = h;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(this);
        }
    }
}
