/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * ABI probe of the RKLLM runtime, 1.2.x or 1.3.0 headers (see probe.c): every
 * struct and function declared by its headers.
 */
#include "probe.h"

#include "rkllm.h"

#if NPU4J_RKLLM_ABI_MAJOR != 1 || (NPU4J_RKLLM_ABI_MINOR != 2 && NPU4J_RKLLM_ABI_MINOR != 3)
#error "unknown RKLLM ABI version"
#endif

void probe_structs(void)
{
    STRUCT(RKLLMExtendParam);
    FIELD(RKLLMExtendParam, base_domain_id);
    FIELD(RKLLMExtendParam, embed_flash);
    FIELD(RKLLMExtendParam, enabled_cpus_num);
    FIELD(RKLLMExtendParam, enabled_cpus_mask);
    FIELD(RKLLMExtendParam, n_batch);
    FIELD(RKLLMExtendParam, use_cross_attn);
    FIELD(RKLLMExtendParam, reserved);
    END_TYPE();

    STRUCT(RKLLMParam);
    FIELD(RKLLMParam, model_path);
    FIELD(RKLLMParam, max_context_len);
    FIELD(RKLLMParam, max_new_tokens);
    FIELD(RKLLMParam, top_k);
    FIELD(RKLLMParam, n_keep);
    FIELD(RKLLMParam, top_p);
    FIELD(RKLLMParam, temperature);
    FIELD(RKLLMParam, repeat_penalty);
    FIELD(RKLLMParam, frequency_penalty);
    FIELD(RKLLMParam, presence_penalty);
    FIELD(RKLLMParam, mirostat);
    FIELD(RKLLMParam, mirostat_tau);
    FIELD(RKLLMParam, mirostat_eta);
    FIELD(RKLLMParam, skip_special_token);
#if NPU4J_RKLLM_ABI_MINOR >= 3
    FIELD(RKLLMParam, ignore_eos_token);
#endif
    FIELD(RKLLMParam, is_async);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FIELD(RKLLMParam, img_start);
    FIELD(RKLLMParam, img_end);
    FIELD(RKLLMParam, img_content);
#endif
    NESTED(RKLLMParam, extend_param);
    FIELD(RKLLMParam, extend_param.base_domain_id);
    FIELD(RKLLMParam, extend_param.embed_flash);
    FIELD(RKLLMParam, extend_param.enabled_cpus_num);
    FIELD(RKLLMParam, extend_param.enabled_cpus_mask);
    FIELD(RKLLMParam, extend_param.n_batch);
    FIELD(RKLLMParam, extend_param.use_cross_attn);
    FIELD(RKLLMParam, extend_param.reserved);
    END();
    END_TYPE();

    STRUCT(RKLLMLoraAdapter);
    FIELD(RKLLMLoraAdapter, lora_adapter_path);
    FIELD(RKLLMLoraAdapter, lora_adapter_name);
    FIELD(RKLLMLoraAdapter, scale);
    END_TYPE();

    STRUCT(RKLLMEmbedInput);
    FIELD(RKLLMEmbedInput, embed);
    FIELD(RKLLMEmbedInput, n_tokens);
    END_TYPE();

    STRUCT(RKLLMTokenInput);
    FIELD(RKLLMTokenInput, input_ids);
    FIELD(RKLLMTokenInput, n_tokens);
    END_TYPE();

    STRUCT(RKLLMMultiModalInput);
    FIELD(RKLLMMultiModalInput, prompt);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FIELD(RKLLMMultiModalInput, image_embed);
    FIELD(RKLLMMultiModalInput, n_image_tokens);
    FIELD(RKLLMMultiModalInput, n_image);
    FIELD(RKLLMMultiModalInput, image_width);
    FIELD(RKLLMMultiModalInput, image_height);
#else
    NESTED(RKLLMMultiModalInput, image);
    FIELD(RKLLMMultiModalInput, image.image_embed);
    FIELD(RKLLMMultiModalInput, image.n_image_tokens);
    FIELD(RKLLMMultiModalInput, image.n_image);
    FIELD(RKLLMMultiModalInput, image.image_start);
    FIELD(RKLLMMultiModalInput, image.image_end);
    FIELD(RKLLMMultiModalInput, image.image_content);
    FIELD(RKLLMMultiModalInput, image.image_width);
    FIELD(RKLLMMultiModalInput, image.image_height);
    END();
    NESTED(RKLLMMultiModalInput, video);
    FIELD(RKLLMMultiModalInput, video.video_embed);
    FIELD(RKLLMMultiModalInput, video.n_frame_tokens);
    FIELD(RKLLMMultiModalInput, video.n_frame_per_video);
    FIELD(RKLLMMultiModalInput, video.n_video);
    FIELD(RKLLMMultiModalInput, video.video_start);
    FIELD(RKLLMMultiModalInput, video.video_end);
    FIELD(RKLLMMultiModalInput, video.video_content);
    FIELD(RKLLMMultiModalInput, video.frame_width);
    FIELD(RKLLMMultiModalInput, video.frame_height);
    END();
#endif
    END_TYPE();

    STRUCT(RKLLMInput);
    FIELD(RKLLMInput, role);
    FIELD(RKLLMInput, enable_thinking);
    FIELD(RKLLMInput, input_type);
    ANON_UNION();
    FIELD(RKLLMInput, prompt_input);
    NESTED(RKLLMInput, embed_input);
    FIELD(RKLLMInput, embed_input.embed);
    FIELD(RKLLMInput, embed_input.n_tokens);
    END();
    NESTED(RKLLMInput, token_input);
    FIELD(RKLLMInput, token_input.input_ids);
    FIELD(RKLLMInput, token_input.n_tokens);
    END();
    NESTED(RKLLMInput, multimodal_input);
    FIELD(RKLLMInput, multimodal_input.prompt);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FIELD(RKLLMInput, multimodal_input.image_embed);
    FIELD(RKLLMInput, multimodal_input.n_image_tokens);
    FIELD(RKLLMInput, multimodal_input.n_image);
    FIELD(RKLLMInput, multimodal_input.image_width);
    FIELD(RKLLMInput, multimodal_input.image_height);
#else
    NESTED(RKLLMInput, multimodal_input.image);
    FIELD(RKLLMInput, multimodal_input.image.image_embed);
    FIELD(RKLLMInput, multimodal_input.image.n_image_tokens);
    FIELD(RKLLMInput, multimodal_input.image.n_image);
    FIELD(RKLLMInput, multimodal_input.image.image_start);
    FIELD(RKLLMInput, multimodal_input.image.image_end);
    FIELD(RKLLMInput, multimodal_input.image.image_content);
    FIELD(RKLLMInput, multimodal_input.image.image_width);
    FIELD(RKLLMInput, multimodal_input.image.image_height);
    END();
    NESTED(RKLLMInput, multimodal_input.video);
    FIELD(RKLLMInput, multimodal_input.video.video_embed);
    FIELD(RKLLMInput, multimodal_input.video.n_frame_tokens);
    FIELD(RKLLMInput, multimodal_input.video.n_frame_per_video);
    FIELD(RKLLMInput, multimodal_input.video.n_video);
    FIELD(RKLLMInput, multimodal_input.video.video_start);
    FIELD(RKLLMInput, multimodal_input.video.video_end);
    FIELD(RKLLMInput, multimodal_input.video.video_content);
    FIELD(RKLLMInput, multimodal_input.video.frame_width);
    FIELD(RKLLMInput, multimodal_input.video.frame_height);
    END();
#endif
    END(); /* multimodal_input */
    END(); /* anonymous union */
    END_TYPE();

    STRUCT(RKLLMLoraParam);
    FIELD(RKLLMLoraParam, lora_adapter_name);
    END_TYPE();

    STRUCT(RKLLMPromptCacheParam);
    FIELD(RKLLMPromptCacheParam, save_prompt_cache);
    FIELD(RKLLMPromptCacheParam, prompt_cache_path);
    END_TYPE();

    STRUCT(RKLLMCrossAttnParam);
    FIELD(RKLLMCrossAttnParam, encoder_k_cache);
    FIELD(RKLLMCrossAttnParam, encoder_v_cache);
    FIELD(RKLLMCrossAttnParam, encoder_mask);
    FIELD(RKLLMCrossAttnParam, encoder_pos);
    FIELD(RKLLMCrossAttnParam, num_tokens);
    END_TYPE();

#if NPU4J_RKLLM_ABI_MINOR >= 3
    STRUCT(RKLLMSamplingParam);
    FIELD(RKLLMSamplingParam, top_k);
    FIELD(RKLLMSamplingParam, top_p);
    FIELD(RKLLMSamplingParam, temperature);
    FIELD(RKLLMSamplingParam, repeat_penalty);
    FIELD(RKLLMSamplingParam, frequency_penalty);
    FIELD(RKLLMSamplingParam, presence_penalty);
    FIELD(RKLLMSamplingParam, mirostat);
    FIELD(RKLLMSamplingParam, mirostat_tau);
    FIELD(RKLLMSamplingParam, mirostat_eta);
    END_TYPE();
#endif

    STRUCT(RKLLMInferParam);
    FIELD(RKLLMInferParam, mode);
    FIELD(RKLLMInferParam, lora_params);
    FIELD(RKLLMInferParam, prompt_cache_params);
#if NPU4J_RKLLM_ABI_MINOR >= 3
    FIELD(RKLLMInferParam, sampling_params);
#endif
    FIELD(RKLLMInferParam, keep_history);
#if NPU4J_RKLLM_ABI_MINOR >= 3
    FIELD(RKLLMInferParam, max_new_tokens);
#endif
    END_TYPE();

    STRUCT(RKLLMResultLastHiddenLayer);
    FIELD(RKLLMResultLastHiddenLayer, hidden_states);
    FIELD(RKLLMResultLastHiddenLayer, embd_size);
    FIELD(RKLLMResultLastHiddenLayer, num_tokens);
    END_TYPE();

    STRUCT(RKLLMResultLogits);
    FIELD(RKLLMResultLogits, logits);
    FIELD(RKLLMResultLogits, vocab_size);
    FIELD(RKLLMResultLogits, num_tokens);
    END_TYPE();

    STRUCT(RKLLMPerfStat);
    FIELD(RKLLMPerfStat, prefill_time_ms);
    FIELD(RKLLMPerfStat, prefill_tokens);
    FIELD(RKLLMPerfStat, generate_time_ms);
    FIELD(RKLLMPerfStat, generate_tokens);
    FIELD(RKLLMPerfStat, memory_usage_mb);
    END_TYPE();

    STRUCT(RKLLMResult);
    FIELD(RKLLMResult, text);
    FIELD(RKLLMResult, token_id);
    NESTED(RKLLMResult, last_hidden_layer);
    FIELD(RKLLMResult, last_hidden_layer.hidden_states);
    FIELD(RKLLMResult, last_hidden_layer.embd_size);
    FIELD(RKLLMResult, last_hidden_layer.num_tokens);
    END();
    NESTED(RKLLMResult, logits);
    FIELD(RKLLMResult, logits.logits);
    FIELD(RKLLMResult, logits.vocab_size);
    FIELD(RKLLMResult, logits.num_tokens);
    END();
    NESTED(RKLLMResult, perf);
    FIELD(RKLLMResult, perf.prefill_time_ms);
    FIELD(RKLLMResult, perf.prefill_tokens);
    FIELD(RKLLMResult, perf.generate_time_ms);
    FIELD(RKLLMResult, perf.generate_tokens);
    FIELD(RKLLMResult, perf.memory_usage_mb);
    END();
    END_TYPE();

#if NPU4J_RKLLM_ABI_MINOR >= 3
    STRUCT(RKLLMCallback);
    FIELD(RKLLMCallback, result_callback);
    FIELD(RKLLMCallback, result_userdata);
    FIELD(RKLLMCallback, tokenizer_callback);
    FIELD(RKLLMCallback, tokenizer_userdata);
    FIELD(RKLLMCallback, embed_callback);
    FIELD(RKLLMCallback, embed_userdata);
    END_TYPE();
#endif
}

void probe_functions(void)
{
    FN0(rkllm_createDefaultParam, RKLLMParam);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FN(rkllm_init, int, LLMHandle *, RKLLMParam *, LLMResultCallback);
#else
    FN(rkllm_init, int, LLMHandle *, RKLLMParam *, RKLLMCallback *);
#endif
    FN(rkllm_load_lora, int, LLMHandle, RKLLMLoraAdapter *);
    FN(rkllm_load_prompt_cache, int, LLMHandle, const char *);
    FN(rkllm_release_prompt_cache, int, LLMHandle);
    FN(rkllm_destroy, int, LLMHandle);
    FN(rkllm_run, int, LLMHandle, RKLLMInput *, RKLLMInferParam *, void *);
    FN(rkllm_run_async, int, LLMHandle, RKLLMInput *, RKLLMInferParam *, void *);
    FN(rkllm_abort, int, LLMHandle);
    FN(rkllm_is_running, int, LLMHandle);
    FN(rkllm_clear_kv_cache, int, LLMHandle, int, int *, int *);
    FN(rkllm_get_kv_cache_size, int, LLMHandle, int *);
    FN(rkllm_set_chat_template, int, LLMHandle, const char *, const char *, const char *);
    FN(rkllm_set_function_tools, int, LLMHandle, const char *, const char *, const char *);
    FN(rkllm_set_cross_attn_params, int, LLMHandle, RKLLMCrossAttnParam *);
}
