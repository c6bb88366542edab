package org.npu4j.rkllm;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;
import org.npu4j.rkllm.ffi.v1_3.LLMResultCallback;
import org.npu4j.rkllm.ffi.v1_3.RKLLMCallback;
import org.npu4j.rkllm.ffi.v1_3.RKLLMCrossAttnParam;
import org.npu4j.rkllm.ffi.v1_3.RKLLMExtendParam;
import org.npu4j.rkllm.ffi.v1_3.RKLLMInferParam;
import org.npu4j.rkllm.ffi.v1_3.RKLLMInput;
import org.npu4j.rkllm.ffi.v1_3.RKLLMLoraAdapter;
import org.npu4j.rkllm.ffi.v1_3.RKLLMLoraParam;
import org.npu4j.rkllm.ffi.v1_3.RKLLMMultiModalInput;
import org.npu4j.rkllm.ffi.v1_3.RKLLMParam;
import org.npu4j.rkllm.ffi.v1_3.RKLLMPromptCacheParam;
import org.npu4j.rkllm.ffi.v1_3.RKLLMResult;
import org.npu4j.rkllm.ffi.v1_3.RKLLMSamplingParam;
import org.npu4j.rkllm.ffi.v1_3.Rkllm;

/** The RKLLM 1.3.0 ABI over {@code org.npu4j.rkllm.ffi.v1_3}. */
final class AbiV13 implements AbiAdapter {
    private static final ResultOffsets RESULT = offsets();

    @Override
    public RkllmAbi abi() {
        return RkllmAbi.V1_3;
    }

    @Override
    public MemorySegment defaultParam(Arena arena) {
        return Rkllm.rkllm_createDefaultParam(arena);
    }

    @Override
    public ParamValues readParam(MemorySegment p) {
        ParamValues v = new ParamValues(new SamplingParams(RKLLMParam.top_k(p), RKLLMParam.top_p(p),
                RKLLMParam.temperature(p), RKLLMParam.repeat_penalty(p), RKLLMParam.frequency_penalty(p),
                RKLLMParam.presence_penalty(p), RKLLMParam.mirostat(p), RKLLMParam.mirostat_tau(p),
                RKLLMParam.mirostat_eta(p)));
        v.maxContextLen = RKLLMParam.max_context_len(p);
        v.maxNewTokens = RKLLMParam.max_new_tokens(p);
        v.nKeep = RKLLMParam.n_keep(p);
        v.skipSpecialToken = RKLLMParam.skip_special_token(p);
        v.ignoreEosToken = RKLLMParam.ignore_eos_token(p);
        v.isAsync = RKLLMParam.is_async(p);
        MemorySegment x = RKLLMParam.extend_param(p);
        v.baseDomainId = RKLLMExtendParam.base_domain_id(x);
        v.embedFlash = RKLLMExtendParam.embed_flash(x) != 0;
        v.enabledCpusNum = RKLLMExtendParam.enabled_cpus_num(x);
        v.enabledCpusMask = RKLLMExtendParam.enabled_cpus_mask(x);
        v.nBatch = Byte.toUnsignedInt(RKLLMExtendParam.n_batch(x));
        v.useCrossAttn = RKLLMExtendParam.use_cross_attn(x) != 0;
        return v;
    }

    @Override
    public void writeParam(MemorySegment p, ParamValues v, Arena arena) {
        RKLLMParam.model_path(p, Strings.cString(arena, v.modelPath));
        RKLLMParam.max_context_len(p, v.maxContextLen);
        RKLLMParam.max_new_tokens(p, v.maxNewTokens);
        RKLLMParam.n_keep(p, v.nKeep);
        SamplingParams s = v.sampling;
        RKLLMParam.top_k(p, s.topK());
        RKLLMParam.top_p(p, s.topP());
        RKLLMParam.temperature(p, s.temperature());
        RKLLMParam.repeat_penalty(p, s.repeatPenalty());
        RKLLMParam.frequency_penalty(p, s.frequencyPenalty());
        RKLLMParam.presence_penalty(p, s.presencePenalty());
        RKLLMParam.mirostat(p, s.mirostat());
        RKLLMParam.mirostat_tau(p, s.mirostatTau());
        RKLLMParam.mirostat_eta(p, s.mirostatEta());
        RKLLMParam.skip_special_token(p, v.skipSpecialToken);
        RKLLMParam.ignore_eos_token(p, v.ignoreEosToken != null && v.ignoreEosToken);
        RKLLMParam.is_async(p, v.isAsync);
        MemorySegment x = RKLLMParam.extend_param(p);
        RKLLMExtendParam.base_domain_id(x, v.baseDomainId);
        RKLLMExtendParam.embed_flash(x, (byte) (v.embedFlash ? 1 : 0));
        RKLLMExtendParam.enabled_cpus_num(x, (byte) v.enabledCpusNum);
        RKLLMExtendParam.enabled_cpus_mask(x, v.enabledCpusMask);
        RKLLMExtendParam.n_batch(x, (byte) v.nBatch);
        RKLLMExtendParam.use_cross_attn(x, (byte) (v.useCrossAttn ? 1 : 0));
    }

    @Override
    public int init(MemorySegment handleOut, MemorySegment param, MemorySegment resultCallback, Arena arena) {
        MemorySegment cb = RKLLMCallback.allocate(arena);
        cb.fill((byte) 0);
        RKLLMCallback.result_callback(cb, resultCallback);
        return Rkllm.rkllm_init(handleOut, param, cb);
    }

    @Override
    public MemorySegment resultCallback(ResultHandler handler, Arena arena) {
        return LLMResultCallback.allocate(handler::apply, arena);
    }

    @Override
    public FunctionDescriptor resultCallbackDescriptor() {
        return LLMResultCallback.descriptor();
    }

    @Override
    public ResultOffsets resultOffsets() {
        return RESULT;
    }

    private static ResultOffsets offsets() {
        var l = RKLLMResult.layout();
        return new ResultOffsets(RKLLMResult.sizeof(), RKLLMResult.text$offset(), RKLLMResult.token_id$offset(),
                l.byteOffset(groupElement("last_hidden_layer"), groupElement("hidden_states")),
                l.byteOffset(groupElement("last_hidden_layer"), groupElement("embd_size")),
                l.byteOffset(groupElement("last_hidden_layer"), groupElement("num_tokens")),
                l.byteOffset(groupElement("logits"), groupElement("logits")),
                l.byteOffset(groupElement("logits"), groupElement("vocab_size")),
                l.byteOffset(groupElement("logits"), groupElement("num_tokens")),
                l.byteOffset(groupElement("perf"), groupElement("prefill_time_ms")),
                l.byteOffset(groupElement("perf"), groupElement("prefill_tokens")),
                l.byteOffset(groupElement("perf"), groupElement("generate_time_ms")),
                l.byteOffset(groupElement("perf"), groupElement("generate_tokens")),
                l.byteOffset(groupElement("perf"), groupElement("memory_usage_mb")));
    }

    @Override
    public MemorySegment inputArray(Arena arena, int n) {
        MemorySegment in = RKLLMInput.allocateArray(n, arena);
        in.fill((byte) 0);
        return in;
    }

    @Override
    public MemorySegment inputAt(MemorySegment array, int i) {
        return RKLLMInput.asSlice(array, i);
    }

    @Override
    public void inputHeader(MemorySegment in, MemorySegment role, boolean enableThinking, int inputType) {
        RKLLMInput.role(in, role);
        RKLLMInput.enable_thinking(in, enableThinking);
        RKLLMInput.input_type(in, inputType);
    }

    @Override
    public void promptInput(MemorySegment input, MemorySegment text) {
        RKLLMInput.prompt_input(input, text);
    }

    @Override
    public void tokenInput(MemorySegment input, MemorySegment ids, long nTokens) {
        MemorySegment t = RKLLMInput.token_input(input);
        org.npu4j.rkllm.ffi.v1_3.RKLLMTokenInput.input_ids(t, ids);
        org.npu4j.rkllm.ffi.v1_3.RKLLMTokenInput.n_tokens(t, nTokens);
    }

    @Override
    public void embedInput(MemorySegment input, MemorySegment embed, long nTokens) {
        MemorySegment e = RKLLMInput.embed_input(input);
        org.npu4j.rkllm.ffi.v1_3.RKLLMEmbedInput.embed(e, embed);
        org.npu4j.rkllm.ffi.v1_3.RKLLMEmbedInput.n_tokens(e, nTokens);
    }

    @Override
    public void multimodalInput(MemorySegment input, MemorySegment prompt, @Nullable NativeImage image,
            @Nullable NativeVideo video) {
        MemorySegment m = RKLLMInput.multimodal_input(input);
        RKLLMMultiModalInput.prompt(m, prompt);
        if (image != null) {
            MemorySegment i = RKLLMMultiModalInput.image(m);
            RKLLMMultiModalInput.image.image_embed(i, image.embed());
            RKLLMMultiModalInput.image.n_image_tokens(i, image.nImageTokens());
            RKLLMMultiModalInput.image.n_image(i, image.nImage());
            RKLLMMultiModalInput.image.image_start(i, image.start());
            RKLLMMultiModalInput.image.image_end(i, image.end());
            RKLLMMultiModalInput.image.image_content(i, image.content());
            RKLLMMultiModalInput.image.image_width(i, image.width());
            RKLLMMultiModalInput.image.image_height(i, image.height());
        }
        if (video != null) {
            MemorySegment d = RKLLMMultiModalInput.video(m);
            RKLLMMultiModalInput.video.video_embed(d, video.embed());
            RKLLMMultiModalInput.video.n_frame_tokens(d, video.nFrameTokens());
            RKLLMMultiModalInput.video.n_frame_per_video(d, video.nFramePerVideo());
            RKLLMMultiModalInput.video.n_video(d, video.nVideo());
            RKLLMMultiModalInput.video.video_start(d, video.start());
            RKLLMMultiModalInput.video.video_end(d, video.end());
            RKLLMMultiModalInput.video.video_content(d, video.content());
            RKLLMMultiModalInput.video.frame_width(d, video.width());
            RKLLMMultiModalInput.video.frame_height(d, video.height());
        }
    }

    @Override
    public MemorySegment inferParam(Arena arena, int mode, MemorySegment loraParam, MemorySegment promptCacheParam,
            @Nullable SamplingParams sampling, boolean keepHistory, int maxNewTokens) {
        MemorySegment p = RKLLMInferParam.allocate(arena);
        p.fill((byte) 0);
        RKLLMInferParam.mode(p, mode);
        RKLLMInferParam.lora_params(p, loraParam);
        RKLLMInferParam.prompt_cache_params(p, promptCacheParam);
        if (sampling != null) {
            MemorySegment s = RKLLMSamplingParam.allocate(arena);
            RKLLMSamplingParam.top_k(s, sampling.topK());
            RKLLMSamplingParam.top_p(s, sampling.topP());
            RKLLMSamplingParam.temperature(s, sampling.temperature());
            RKLLMSamplingParam.repeat_penalty(s, sampling.repeatPenalty());
            RKLLMSamplingParam.frequency_penalty(s, sampling.frequencyPenalty());
            RKLLMSamplingParam.presence_penalty(s, sampling.presencePenalty());
            RKLLMSamplingParam.mirostat(s, sampling.mirostat());
            RKLLMSamplingParam.mirostat_tau(s, sampling.mirostatTau());
            RKLLMSamplingParam.mirostat_eta(s, sampling.mirostatEta());
            RKLLMInferParam.sampling_params(p, s);
        }
        RKLLMInferParam.keep_history(p, keepHistory ? 1 : 0);
        RKLLMInferParam.max_new_tokens(p, maxNewTokens);
        return p;
    }

    @Override
    public MemorySegment loraParam(Arena arena, MemorySegment name) {
        MemorySegment p = RKLLMLoraParam.allocate(arena);
        RKLLMLoraParam.lora_adapter_name(p, name);
        return p;
    }

    @Override
    public MemorySegment promptCacheParam(Arena arena, boolean save, MemorySegment path) {
        MemorySegment p = RKLLMPromptCacheParam.allocate(arena);
        p.fill((byte) 0);
        RKLLMPromptCacheParam.save_prompt_cache(p, save ? 1 : 0);
        RKLLMPromptCacheParam.prompt_cache_path(p, path);
        return p;
    }

    @Override
    public MemorySegment loraAdapter(Arena arena, MemorySegment path, MemorySegment name, float scale) {
        MemorySegment a = RKLLMLoraAdapter.allocate(arena);
        a.fill((byte) 0);
        RKLLMLoraAdapter.lora_adapter_path(a, path);
        RKLLMLoraAdapter.lora_adapter_name(a, name);
        RKLLMLoraAdapter.scale(a, scale);
        return a;
    }

    @Override
    public MemorySegment crossAttnParam(Arena arena, MemorySegment kCache, MemorySegment vCache, MemorySegment mask,
            MemorySegment pos, int numTokens) {
        MemorySegment c = RKLLMCrossAttnParam.allocate(arena);
        c.fill((byte) 0);
        RKLLMCrossAttnParam.encoder_k_cache(c, kCache);
        RKLLMCrossAttnParam.encoder_v_cache(c, vCache);
        RKLLMCrossAttnParam.encoder_mask(c, mask);
        RKLLMCrossAttnParam.encoder_pos(c, pos);
        RKLLMCrossAttnParam.num_tokens(c, numTokens);
        return c;
    }

    @Override
    public int run(MemorySegment handle, MemorySegment input, MemorySegment inferParam) {
        return Rkllm.rkllm_run(handle, input, inferParam, MemorySegment.NULL);
    }

    @Override
    public int runAsync(MemorySegment handle, MemorySegment input, MemorySegment inferParam) {
        return Rkllm.rkllm_run_async(handle, input, inferParam, MemorySegment.NULL);
    }

    @Override
    public int abort(MemorySegment handle) {
        return Rkllm.rkllm_abort(handle);
    }

    @Override
    public boolean isRunning(MemorySegment handle) {
        return Rkllm.rkllm_is_running(handle) == 1; // 1.3.0: 1 while a task runs
    }

    @Override
    public int destroy(MemorySegment handle) {
        return Rkllm.rkllm_destroy(handle);
    }

    @Override
    public int loadLora(MemorySegment handle, MemorySegment adapter) {
        return Rkllm.rkllm_load_lora(handle, adapter);
    }

    @Override
    public int loadPromptCache(MemorySegment handle, MemorySegment path) {
        return Rkllm.rkllm_load_prompt_cache(handle, path);
    }

    @Override
    public int releasePromptCache(MemorySegment handle) {
        return Rkllm.rkllm_release_prompt_cache(handle);
    }

    @Override
    public int clearKvCache(MemorySegment handle, boolean keepSystemPrompt, MemorySegment startPos,
            MemorySegment endPos) {
        return Rkllm.rkllm_clear_kv_cache(handle, keepSystemPrompt ? 1 : 0, startPos, endPos);
    }

    @Override
    public int kvCacheSize(MemorySegment handle, MemorySegment sizes) {
        return Rkllm.rkllm_get_kv_cache_size(handle, sizes);
    }

    @Override
    public int setChatTemplate(MemorySegment handle, MemorySegment system, MemorySegment prefix,
            MemorySegment postfix) {
        return Rkllm.rkllm_set_chat_template(handle, system, prefix, postfix);
    }

    @Override
    public int setFunctionTools(MemorySegment handle, MemorySegment system, MemorySegment tools,
            MemorySegment toolResponse) {
        return Rkllm.rkllm_set_function_tools(handle, system, tools, toolResponse);
    }

    @Override
    public int setCrossAttnParams(MemorySegment handle, MemorySegment params) {
        return Rkllm.rkllm_set_cross_attn_params(handle, params);
    }

    @Override
    public int inputPrompt() {
        return Rkllm.RKLLM_INPUT_PROMPT();
    }

    @Override
    public int inputToken() {
        return Rkllm.RKLLM_INPUT_TOKEN();
    }

    @Override
    public int inputEmbed() {
        return Rkllm.RKLLM_INPUT_EMBED();
    }

    @Override
    public int inputMultimodal() {
        return Rkllm.RKLLM_INPUT_MULTIMODAL();
    }

    @Override
    public int modeGenerate() {
        return Rkllm.RKLLM_INFER_GENERATE();
    }

    @Override
    public int modeLastHiddenLayer() {
        return Rkllm.RKLLM_INFER_GET_LAST_HIDDEN_LAYER();
    }

    @Override
    public int modeLogits() {
        return Rkllm.RKLLM_INFER_GET_LOGITS();
    }
}
