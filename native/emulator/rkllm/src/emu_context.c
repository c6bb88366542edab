/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The conversation context of the npu4j RKLLM emulator: the chat template and
 * the prompt tokens it makes, each batch entry's KV cache (context shift,
 * rkllm_clear_kv_cache, rkllm_get_kv_cache_size) and the prompt cache.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "emu_runtime.h"

/* ----------------------------------------------------- prompt building */

static void ids_text(id_list *l, const emu_model *m, const char *text)
{
    if (!l->failed && text != NULL &&
        emu_tokenize(m, text, strlen(text), &l->ids, &l->len, &l->cap) < 0) {
        l->failed = true;
    }
}

static void ids_span(id_list *l, const emu_model *m, const char *s, size_t n)
{
    if (!l->failed && emu_tokenize(m, s, n, &l->ids, &l->len, &l->cap) < 0) {
        l->failed = true;
    }
}

static void ids_raw(id_list *l, const int32_t *src, int n)
{
    for (int i = 0; i < n && !l->failed; i++) {
        if (l->len == l->cap) {
            int cap = l->cap == 0 ? 64 : l->cap * 2;
            int32_t *nb = emu_realloc(l->ids, sizeof(int32_t) * (size_t)cap);
            if (nb == NULL) {
                l->failed = true;
                return;
            }
            l->ids = nb;
            l->cap = cap;
        }
        l->ids[l->len++] = src[i];
    }
}

/* The user text of a multimodal prompt with each <image>/<video> tag
 * replaced by start tag, the media tokens and end tag. */
static void ids_multimodal(id_list *l, const emu_model *m, const emu_request *rq)
{
    const char *p = rq->text;
    const int32_t *media = rq->media_ids;
    const int32_t *video = rq->media_ids + (size_t)rq->n_image * (size_t)rq->n_image_tokens;
    while (*p != '\0' && !l->failed) {
        const char *img = strstr(p, "<image>");
        const char *vid = strstr(p, "<video>");
        const char *tag = img;
        bool is_video = false;
        if (vid != NULL && (img == NULL || vid < img)) {
            tag = vid;
            is_video = true;
        }
        if (tag == NULL) {
            ids_text(l, m, p);
            break;
        }
        ids_span(l, m, p, (size_t)(tag - p));
        ids_text(l, m, rq->media_tags[is_video ? 3 : 0]);
        if (is_video) {
            ids_raw(l, video, rq->n_video_tokens);
            video += rq->n_video_tokens;
        } else {
            ids_raw(l, media, rq->n_image_tokens);
            media += rq->n_image_tokens;
        }
        ids_text(l, m, rq->media_tags[is_video ? 4 : 1]);
        p = tag + strlen("<image>"); /* both tags have the same length */
    }
}

bool emu_thinking_template(const emu_handle *h)
{
    return h->model.thinking && !h->custom_template;
}

/* Token ids of the new input for one slot, templated like the runtime does:
 * system prompt (only at the start of a conversation), prefix, the message,
 * postfix. Token and embedding input bypass the template. */
int emu_build_input_ids(emu_handle *h, const emu_slot *slot, const emu_request *rq,
                        id_list *out, int *system_tokens)
{
    const emu_model *m = &h->model;
    *system_tokens = 0;
    if (rq->type == RKLLM_INPUT_TOKEN || rq->type == RKLLM_INPUT_EMBED) {
        ids_raw(out, rq->ids, rq->n_ids);
        return out->failed ? -1 : 0;
    }
    if (slot->len == 0) {
        ids_text(out, m, h->tools_system != NULL ? h->tools_system : h->tmpl_system);
        *system_tokens = out->len;
    }
    ids_text(out, m, h->tmpl_prefix);
    if (rq->is_tool) {
        emu_sb open = {0}, close = {0};
        emu_sb_printf(&open, "<%s>\n", h->tool_tag != NULL ? h->tool_tag : "tool_response");
        emu_sb_printf(&close, "\n</%s>", h->tool_tag != NULL ? h->tool_tag : "tool_response");
        ids_text(out, m, emu_sb_cstr(&open));
        ids_text(out, m, rq->text);
        ids_text(out, m, emu_sb_cstr(&close));
        out->failed = out->failed || open.failed || close.failed;
        emu_sb_free(&open);
        emu_sb_free(&close);
    } else if (rq->type == RKLLM_INPUT_MULTIMODAL) {
        ids_multimodal(out, m, rq);
    } else {
        ids_text(out, m, rq->text);
    }
    ids_text(out, m, h->tmpl_postfix);
    if (emu_thinking_template(h) && !rq->enable_thinking) {
        /* Qwen3's template closes an empty thought when thinking is off. */
        ids_text(out, m, "<think>\n\n</think>\n\n");
    }
    return out->failed ? -1 : 0;
}

/* ------------------------------------------------------------ KV cache */

void emu_slot_publish(emu_slot *s)
{
    atomic_store_explicit(&s->published_len, s->len, memory_order_release);
}

int emu_effective_keep(const emu_handle *h, const emu_slot *s)
{
    int keep = h->n_keep >= 0 ? h->n_keep : s->system_len;
    return keep > s->len ? s->len : keep;
}

/* Context shift: keeps the first n_keep tokens and drops half of the rest. */
static void shift_context(emu_handle *h, emu_slot *s)
{
    int keep = emu_effective_keep(h, s);
    int discard = (s->len - keep) / 2;
    if (discard < 1) {
        discard = 1;
        keep = s->len - 1;
    }
    memmove(s->ids + keep, s->ids + keep + discard,
            sizeof(int32_t) * (size_t)(s->len - keep - discard));
    s->len -= discard;
    if (s->system_len > keep) {
        s->system_len = keep;
    }
    if (!h->warned_shift || emu_log_level() >= 2) {
        emu_log('W', "context full (max_context_len %d): shifted the KV cache, keeping the "
                     "first %d tokens (n_keep) and dropping %d after them",
                h->max_context_len, keep, discard);
        h->warned_shift = true;
    }
}

void emu_kv_append(emu_handle *h, emu_slot *s, int32_t id)
{
    if (s->len >= h->max_context_len) {
        shift_context(h, s);
    }
    s->ids[s->len++] = id;
}

/* Forgets conversations that hold nothing but a (now outdated) system
 * prompt, so that the next run uses the new template. */
void emu_drop_system_only_slots(emu_handle *h)
{
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        if (s->len == s->system_len) {
            s->len = 0;
            s->system_len = 0;
            emu_slot_publish(s);
        }
    }
}

EMU_EXPORT int rkllm_clear_kv_cache(LLMHandle handle, int keep_system_prompt, int *start_pos,
                                    int *end_pos)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_clear_kv_cache");
    if (h == NULL || !emu_lock_idle(h, "rkllm_clear_kv_cache")) {
        return -1;
    }
    if (start_pos != NULL && end_pos != NULL) {
        /* Validate every range before changing anything. */
        for (int i = 0; i < h->n_batch; i++) {
            if (start_pos[i] < end_pos[i] && start_pos[i] < 0) {
                pthread_mutex_unlock(&h->mu);
                emu_log('E', "rkllm_clear_kv_cache: range [%d, %d) of batch %d is invalid",
                        start_pos[i], end_pos[i], i);
                return -1;
            }
        }
        for (int i = 0; i < h->n_batch; i++) {
            emu_slot *s = &h->slots[i];
            int a = start_pos[i], b = end_pos[i];
            if (a >= b || a >= s->len) {
                continue; /* nothing to clear for this batch entry */
            }
            if (b > s->len) {
                b = s->len;
            }
            memmove(s->ids + a, s->ids + b, sizeof(int32_t) * (size_t)(s->len - b));
            s->len -= b - a;
            if (s->system_len > a) {
                s->system_len = a;
            }
            emu_slot_publish(s);
        }
        pthread_mutex_unlock(&h->mu);
        return 0;
    }
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        if (keep_system_prompt) {
            s->len = s->system_len;
        } else {
            s->len = 0;
            s->system_len = 0;
        }
        s->paused = false;
        emu_slot_publish(s);
    }
    pthread_mutex_unlock(&h->mu);
    return 0;
}

EMU_EXPORT int rkllm_get_kv_cache_size(LLMHandle handle, int *cache_sizes)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_get_kv_cache_size");
    if (h == NULL) {
        return -1;
    }
    if (cache_sizes == NULL) {
        emu_log('E', "rkllm_get_kv_cache_size: cache_sizes is NULL (needs n_batch ints)");
        return -1;
    }
    for (int i = 0; i < h->n_batch; i++) {
        cache_sizes[i] = atomic_load_explicit(&h->slots[i].published_len, memory_order_acquire);
    }
    return 0;
}

EMU_EXPORT int rkllm_load_prompt_cache(LLMHandle handle, const char *prompt_cache_path)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_load_prompt_cache");
    if (h == NULL) {
        return -1;
    }
    char err[ERRLEN];
    int32_t *ids = NULL;
    int n = 0;
    if (emu_prompt_cache_load(prompt_cache_path, &h->model, &ids, &n, err, sizeof err) != 0) {
        emu_log('E', "rkllm_load_prompt_cache: %s", err);
        return -1;
    }
    if (!emu_lock_idle(h, "rkllm_load_prompt_cache")) {
        emu_free(ids);
        return -1;
    }
    emu_free(h->cache_ids);
    h->cache_ids = ids;
    h->n_cache_ids = n;
    pthread_mutex_unlock(&h->mu);
    emu_log('I', "loaded prompt cache %s (%d tokens)", prompt_cache_path, n);
    return 0;
}

EMU_EXPORT int rkllm_release_prompt_cache(LLMHandle handle)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_release_prompt_cache");
    if (h == NULL || !emu_lock_idle(h, "rkllm_release_prompt_cache")) {
        return -1;
    }
    emu_free(h->cache_ids);
    h->cache_ids = NULL;
    h->n_cache_ids = 0;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

EMU_EXPORT int rkllm_set_chat_template(LLMHandle handle, const char *system_prompt,
                                       const char *prompt_prefix, const char *prompt_postfix)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_set_chat_template");
    if (h == NULL || !emu_lock_idle(h, "rkllm_set_chat_template")) {
        return -1;
    }
    if (!emu_replace_string(&h->tmpl_system, system_prompt) ||
        !emu_replace_string(&h->tmpl_prefix, prompt_prefix) ||
        !emu_replace_string(&h->tmpl_postfix, prompt_postfix)) {
        pthread_mutex_unlock(&h->mu);
        emu_log('E', "rkllm_set_chat_template: out of memory");
        return -1;
    }
    /* As documented for the runtime: after a custom template, enable_thinking
     * no longer changes the prompt; the template itself has to. */
    h->custom_template = true;
    emu_drop_system_only_slots(h);
    pthread_mutex_unlock(&h->mu);
    return 0;
}
