/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * What changes the answers of a loaded model in the npu4j RKLLM emulator:
 * LoRA adapters (rkllm_load_lora) and cross-attention inputs
 * (rkllm_set_cross_attn_params).
 */

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "emu_runtime.h"

const emu_lora_entry *emu_lora_find(const emu_handle *h, const char *name)
{
    for (const emu_lora_entry *l = h->loras; l != NULL; l = l->next) {
        if (strcmp(l->name, name) == 0) {
            return l;
        }
    }
    return NULL;
}

EMU_EXPORT int rkllm_load_lora(LLMHandle handle, RKLLMLoraAdapter *lora_adapter)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_load_lora");
    if (h == NULL) {
        return -1;
    }
    if (lora_adapter == NULL || lora_adapter->lora_adapter_path == NULL ||
        lora_adapter->lora_adapter_name == NULL || lora_adapter->lora_adapter_name[0] == '\0') {
        emu_log('E', "rkllm_load_lora: lora_adapter, its path and a non-empty name are "
                     "required");
        return -1;
    }
    if (!isfinite(lora_adapter->scale)) {
        emu_log('E', "rkllm_load_lora: scale must be finite");
        return -1;
    }
    char err[ERRLEN];
    uint64_t digest = 0;
    if (emu_lora_check(lora_adapter->lora_adapter_path, &h->model, &digest, err, sizeof err) !=
        0) {
        emu_log('E', "rkllm_load_lora: %s", err);
        return -1;
    }
    if (!emu_lock_idle(h, "rkllm_load_lora")) {
        return -1;
    }
    emu_lora_entry *l = (emu_lora_entry *)emu_lora_find(h, lora_adapter->lora_adapter_name);
    if (l == NULL) {
        l = emu_calloc(1, sizeof *l);
        if (l == NULL || (l->name = emu_strdup(lora_adapter->lora_adapter_name)) == NULL) {
            pthread_mutex_unlock(&h->mu);
            emu_free(l);
            emu_log('E', "rkllm_load_lora: out of memory");
            return -1;
        }
        l->next = h->loras;
        h->loras = l;
    } else {
        emu_log('I', "LoRA adapter \"%s\" replaced", l->name);
    }
    l->scale = lora_adapter->scale;
    l->digest = digest;
    pthread_mutex_unlock(&h->mu);
    emu_log('I', "loaded LoRA adapter \"%s\" from %s (scale %g)", lora_adapter->lora_adapter_name,
            lora_adapter->lora_adapter_path, (double)lora_adapter->scale);
    return 0;
}

EMU_EXPORT int rkllm_set_cross_attn_params(LLMHandle handle, RKLLMCrossAttnParam *p)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_set_cross_attn_params");
    if (h == NULL) {
        return -1;
    }
    if (!h->use_cross_attn) {
        emu_log('E', "rkllm_set_cross_attn_params: cross attention is off (set "
                     "extend_param.use_cross_attn = 1 at init)");
        return -1;
    }
    if (p == NULL || p->encoder_k_cache == NULL || p->encoder_v_cache == NULL ||
        p->encoder_mask == NULL || p->encoder_pos == NULL || p->num_tokens <= 0) {
        emu_log('E', "rkllm_set_cross_attn_params: all four buffers and num_tokens > 0 are "
                     "required");
        return -1;
    }
    const emu_model *m = &h->model;
    size_t n = (size_t)m->n_layers * (size_t)p->num_tokens * (size_t)m->n_kv_heads *
               (size_t)m->head_dim;
    uint64_t d = emu_hash_str(EMU_FNV_OFFSET, "cross attention");
    char err[ERRLEN];
    if (emu_read_floats(m, p->encoder_k_cache, n, n, NULL, &d, "encoder_k_cache", err,
                        sizeof err) != 0 ||
        emu_read_floats(m, p->encoder_v_cache, n, n, NULL, &d, "encoder_v_cache", err,
                        sizeof err) != 0 ||
        emu_read_floats(m, p->encoder_mask, (size_t)p->num_tokens, (size_t)p->num_tokens, NULL, &d,
                        "encoder_mask", err, sizeof err) != 0) {
        emu_log('E', "rkllm_set_cross_attn_params: %s", err);
        return -1;
    }
    for (int i = 0; i < p->num_tokens; i++) {
        d = emu_hash_u64(d, (uint32_t)p->encoder_pos[i]);
    }
    if (!emu_lock_idle(h, "rkllm_set_cross_attn_params")) {
        return -1;
    }
    h->cross_digest = d;
    pthread_mutex_unlock(&h->mu);
    return 0;
}
