/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Requests of the npu4j RKLLM emulator: sampling parameters, and the validated,
 * self-contained copy of an rkllm_run call (emu_job) that the worker runs.
 */

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "emu_runtime.h"

#define DEFAULT_PROMPT_CACHE "./prompt_cache.bin"

emu_sampling emu_sampling_from_param(const RKLLMParam *p)
{
    emu_sampling s = {
        .top_k = p->top_k,
        .top_p = p->top_p,
        .temperature = p->temperature,
        .repeat_penalty = p->repeat_penalty,
        .frequency_penalty = p->frequency_penalty,
        .presence_penalty = p->presence_penalty,
        .mirostat = p->mirostat,
        .mirostat_tau = p->mirostat_tau,
        .mirostat_eta = p->mirostat_eta,
    };
    return s;
}

uint64_t emu_hash_float(uint64_t h, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return emu_hash_u64(h, bits);
}

uint64_t emu_hash_sampling(uint64_t h, const emu_sampling *s)
{
    h = emu_hash_u64(h, (uint64_t)(int64_t)s->top_k);
    h = emu_hash_float(h, s->top_p);
    h = emu_hash_float(h, s->temperature);
    h = emu_hash_float(h, s->repeat_penalty);
    h = emu_hash_float(h, s->frequency_penalty);
    h = emu_hash_float(h, s->presence_penalty);
    h = emu_hash_u64(h, (uint64_t)(int64_t)s->mirostat);
    h = emu_hash_float(h, s->mirostat_tau);
    return emu_hash_float(h, s->mirostat_eta);
}

static void request_free(emu_request *r)
{
    emu_free(r->text);
    emu_free(r->ids);
    emu_free(r->media_ids);
    for (int i = 0; i < 6; i++) {
        emu_free(r->media_tags[i]);
    }
    memset(r, 0, sizeof *r);
}

void emu_job_free(emu_job *j)
{
    if (j == NULL) {
        return;
    }
    for (int i = 0; i < j->n; i++) {
        request_free(&j->req[i]);
    }
    emu_free(j->req);
    emu_free(j->lora_name);
    emu_free(j->cache_path);
    emu_free(j);
}

/* Reads count floats, rejecting NaN and infinities, and folds every one of
 * them into *digest. Each group of `group` floats (one token) also yields a
 * token id in ids[] when ids is not NULL. */
int emu_read_floats(const emu_model *m, const float *data, size_t count, size_t group,
                    int32_t *ids, uint64_t *digest, const char *what, char *err,
                    size_t errlen)
{
    uint64_t d = *digest;
    uint64_t tok = EMU_FNV_OFFSET;
    for (size_t i = 0; i < count; i++) {
        float f = data[i];
        if (!isfinite(f)) {
            snprintf(err, errlen, "%s[%zu] is %s; every value must be finite", what, i,
                     isnan(f) ? "NaN" : "infinite");
            return -1;
        }
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        d = emu_hash_u64(d, bits);
        tok = emu_hash_u64(tok, bits);
        if ((i + 1) % group == 0) {
            if (ids != NULL) {
                ids[i / group] = emu_ordinary_id(m, tok);
            }
            tok = EMU_FNV_OFFSET;
        }
    }
    *digest = d;
    return 0;
}

static int count_tag(const char *text, const char *tag)
{
    int n = 0;
    size_t l = strlen(tag);
    for (const char *p = strstr(text, tag); p != NULL; p = strstr(p + l, tag)) {
        n++;
    }
    return n;
}

/* Validates one RKLLMInput and copies what the worker needs. */
static int prepare_request(emu_handle *h, const RKLLMInput *in, emu_request *rq, char *err,
                           size_t errlen)
{
    const emu_model *m = &h->model;
    memset(rq, 0, sizeof *rq);
    rq->digest = EMU_FNV_OFFSET;
    if (in->role == NULL || strcmp(in->role, "user") == 0) {
        rq->is_tool = false;
    } else if (strcmp(in->role, "tool") == 0) {
        rq->is_tool = true;
    } else {
        snprintf(err, errlen, "role \"%s\" is not supported (use \"user\" or \"tool\")",
                 in->role);
        return -1;
    }
    rq->enable_thinking = in->enable_thinking;
    rq->type = in->input_type;
    size_t ctx = (size_t)h->max_context_len;
    switch (in->input_type) {
    case RKLLM_INPUT_PROMPT:
        if (in->prompt_input == NULL) {
            snprintf(err, errlen, "prompt_input is NULL");
            return -1;
        }
        rq->text = emu_strdup(in->prompt_input);
        if (rq->text == NULL) {
            goto oom;
        }
        rq->digest = emu_hash_str(rq->digest, rq->text);
        return 0;

    case RKLLM_INPUT_TOKEN: {
        const RKLLMTokenInput *t = &in->token_input;
        if (t->input_ids == NULL || t->n_tokens == 0) {
            snprintf(err, errlen, "token_input needs input_ids != NULL and n_tokens > 0 "
                                  "(got %p, %zu)",
                     (void *)t->input_ids, t->n_tokens);
            return -1;
        }
        if (t->n_tokens >= ctx) {
            snprintf(err, errlen, "token_input.n_tokens %zu does not fit max_context_len %d",
                     t->n_tokens, h->max_context_len);
            return -1;
        }
        rq->ids = emu_malloc(sizeof(int32_t) * t->n_tokens);
        if (rq->ids == NULL) {
            goto oom;
        }
        for (size_t i = 0; i < t->n_tokens; i++) {
            int32_t id = t->input_ids[i];
            if (id < 0 || id >= m->vocab_size) {
                snprintf(err, errlen, "input_ids[%zu] = %" PRId32 " is outside the vocabulary "
                                      "[0, %d)",
                         i, id, m->vocab_size);
                return -1;
            }
            rq->ids[i] = id;
            rq->digest = emu_hash_u64(rq->digest, (uint32_t)id);
        }
        rq->n_ids = (int)t->n_tokens;
        return 0;
    }

    case RKLLM_INPUT_EMBED: {
        const RKLLMEmbedInput *e = &in->embed_input;
        if (e->embed == NULL || e->n_tokens == 0) {
            snprintf(err, errlen, "embed_input needs embed != NULL and n_tokens > 0 "
                                  "(got %p, %zu)",
                     (void *)e->embed, e->n_tokens);
            return -1;
        }
        if (e->n_tokens >= ctx) {
            snprintf(err, errlen, "embed_input.n_tokens %zu does not fit max_context_len %d",
                     e->n_tokens, h->max_context_len);
            return -1;
        }
        rq->ids = emu_malloc(sizeof(int32_t) * e->n_tokens);
        if (rq->ids == NULL) {
            goto oom;
        }
        rq->n_ids = (int)e->n_tokens;
        return emu_read_floats(m, e->embed, e->n_tokens * (size_t)m->hidden_size,
                               (size_t)m->hidden_size, rq->ids, &rq->digest, "embed_input.embed",
                               err, errlen);
    }

    case RKLLM_INPUT_MULTIMODAL: {
        const RKLLMMultiModalInput *mm = &in->multimodal_input;
        if (mm->prompt == NULL) {
            snprintf(err, errlen, "multimodal_input.prompt is NULL");
            return -1;
        }
        rq->text = emu_strdup(mm->prompt);
        if (rq->text == NULL) {
            goto oom;
        }
        rq->digest = emu_hash_str(rq->digest, rq->text);
#if NPU4J_EMU_ABI_MINOR >= 3
        const float *img = mm->image.image_embed;
        size_t n_image = mm->image.n_image, n_image_tokens = mm->image.n_image_tokens;
        const float *vid = mm->video.video_embed;
        size_t n_video = mm->video.n_video;
        size_t per_video = mm->video.n_frame_per_video * mm->video.n_frame_tokens;
        const char *tags[6] = {mm->image.image_start, mm->image.image_end,
                               mm->image.image_content, mm->video.video_start,
                               mm->video.video_end, mm->video.video_content};
        if (n_video > 0 && (vid == NULL || per_video == 0)) {
            snprintf(err, errlen, "multimodal_input.video: n_video is %zu but video_embed is %s "
                                  "and n_frame_per_video * n_frame_tokens is %zu",
                     n_video, vid == NULL ? "NULL" : "set", per_video);
            return -1;
        }
        if (n_video == 0 && vid != NULL) {
            snprintf(err, errlen, "multimodal_input.video.video_embed is set but n_video is 0");
            return -1;
        }
#else
        const float *img = mm->image_embed;
        size_t n_image = mm->n_image, n_image_tokens = mm->n_image_tokens;
        const float *vid = NULL;
        size_t n_video = 0, per_video = 0;
        const char *tags[6] = {h->img_tags[0], h->img_tags[1], h->img_tags[2], NULL, NULL, NULL};
#endif
        if (n_image > 0 && (img == NULL || n_image_tokens == 0)) {
            snprintf(err, errlen, "multimodal_input: n_image is %zu but image_embed is %s and "
                                  "n_image_tokens is %zu",
                     n_image, img == NULL ? "NULL" : "set", n_image_tokens);
            return -1;
        }
        if (n_image == 0 && img != NULL) {
            snprintf(err, errlen, "multimodal_input: image_embed is set but n_image is 0");
            return -1;
        }
        if (n_image == 0 && n_video == 0) {
            snprintf(err, errlen, "multimodal_input carries no image or video (n_image = 0%s); "
                                  "use RKLLM_INPUT_PROMPT for text",
                     NPU4J_EMU_ABI_MINOR >= 3 ? ", n_video = 0" : "");
            return -1;
        }
        if (n_image * n_image_tokens + n_video * per_video >= ctx ||
            n_image_tokens >= ctx || per_video >= ctx) {
            snprintf(err, errlen, "multimodal_input: %zu media tokens do not fit "
                                  "max_context_len %d",
                     n_image * n_image_tokens + n_video * per_video, h->max_context_len);
            return -1;
        }
        int image_tags = count_tag(rq->text, "<image>");
        int video_tags = count_tag(rq->text, "<video>");
        if ((size_t)image_tags != n_image || (size_t)video_tags != n_video) {
            snprintf(err, errlen, "multimodal_input.prompt has %d <image> and %d <video> tags "
                                  "but n_image is %zu and n_video is %zu; they must match",
                     image_tags, video_tags, n_image, n_video);
            return -1;
        }
        size_t total = n_image * n_image_tokens + n_video * per_video;
        rq->media_ids = emu_malloc(sizeof(int32_t) * total);
        if (rq->media_ids == NULL) {
            goto oom;
        }
        size_t hs = (size_t)m->hidden_size;
        /* Qwen3-VL: the encoder's embeddings and deepstack features, interleaved per token */
        size_t per_image_token = hs * (size_t)m->vision_outputs;
        if (n_image > 0 &&
            emu_read_floats(m, img, n_image * n_image_tokens * per_image_token, per_image_token,
                            rq->media_ids, &rq->digest,
                            "image_embed", err, errlen) != 0) {
            return -1;
        }
        if (n_video > 0 &&
            emu_read_floats(m, vid, n_video * per_video * hs, hs,
                            rq->media_ids + n_image * n_image_tokens, &rq->digest, "video_embed",
                            err, errlen) != 0) {
            return -1;
        }
        rq->n_image = (int)n_image;
        rq->n_image_tokens = (int)n_image_tokens;
        rq->n_video = (int)n_video;
        rq->n_video_tokens = (int)per_video;
        for (int i = 0; i < 6; i++) {
            if (tags[i] != NULL && (rq->media_tags[i] = emu_strdup(tags[i])) == NULL) {
                goto oom;
            }
            rq->digest = emu_hash_str(rq->digest, tags[i]);
        }
        return 0;
    }
    default:
        snprintf(err, errlen, "input_type %d is not one of PROMPT(0), TOKEN(1), EMBED(2), "
                              "MULTIMODAL(3)",
                 (int)in->input_type);
        return -1;
    }
oom:
    snprintf(err, errlen, "out of memory copying the input");
    return -1;
}

/* Builds a job from the caller's arguments; NULL with a message on error. */
emu_job *emu_job_make(emu_handle *h, const RKLLMInput *input, const RKLLMInferParam *ip,
                      void *userdata, char *err, size_t errlen)
{
    if (input == NULL) {
        snprintf(err, errlen, "rkllm_input is NULL");
        return NULL;
    }
    emu_job *j = emu_calloc(1, sizeof *j);
    if (j == NULL || (j->req = emu_calloc((size_t)h->n_batch, sizeof *j->req)) == NULL) {
        emu_free(j);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->n = h->n_batch;
    for (int i = 0; i < h->n_batch; i++) {
        char why[ERRLEN];
        if (prepare_request(h, &input[i], &j->req[i], why, sizeof why) != 0) {
            if (h->n_batch > 1) {
                snprintf(err, errlen, "batch entry %d: %.700s", i, why);
            } else {
                snprintf(err, errlen, "%s", why);
            }
            emu_job_free(j);
            return NULL;
        }
    }
    j->mode = RKLLM_INFER_GENERATE;
    j->sampling = h->sampling;
    j->max_new_tokens = h->max_new_tokens;
#if NPU4J_EMU_ABI_MINOR >= 3
    j->userdata = userdata != NULL ? userdata : h->callback_userdata;
#else
    j->userdata = userdata;
#endif
    if (ip != NULL) {
        if (ip->mode != RKLLM_INFER_GENERATE && ip->mode != RKLLM_INFER_GET_LAST_HIDDEN_LAYER &&
            ip->mode != RKLLM_INFER_GET_LOGITS) {
            snprintf(err, errlen, "rkllm_infer_params->mode %d is not a known RKLLMInferMode",
                     (int)ip->mode);
            emu_job_free(j);
            return NULL;
        }
        j->mode = ip->mode;
        j->keep_history = ip->keep_history != 0;
        if (ip->lora_params != NULL && ip->lora_params->lora_adapter_name != NULL) {
            pthread_mutex_lock(&h->mu);
            const emu_lora_entry *l = emu_lora_find(h, ip->lora_params->lora_adapter_name);
            if (l != NULL) {
                j->have_lora = true;
                j->lora_name = emu_strdup(l->name);
                j->lora_scale = l->scale;
                j->lora_digest = l->digest;
            }
            pthread_mutex_unlock(&h->mu);
            if (l == NULL) {
                snprintf(err, errlen, "LoRA adapter \"%s\" is not loaded (rkllm_load_lora first)",
                         ip->lora_params->lora_adapter_name);
                emu_job_free(j);
                return NULL;
            }
        }
        if (ip->prompt_cache_params != NULL && ip->prompt_cache_params->save_prompt_cache != 0) {
            const char *path = ip->prompt_cache_params->prompt_cache_path;
            j->save_cache = true;
            j->cache_path = emu_strdup(path != NULL ? path : DEFAULT_PROMPT_CACHE);
        }
#if NPU4J_EMU_ABI_MINOR >= 3
        if (ip->sampling_params != NULL) {
            const RKLLMSamplingParam *s = ip->sampling_params;
            j->sampling = (emu_sampling){s->top_k, s->top_p, s->temperature, s->repeat_penalty,
                                         s->frequency_penalty, s->presence_penalty,
                                         s->mirostat, s->mirostat_tau, s->mirostat_eta};
        }
        if (ip->max_new_tokens > 0) {
            j->max_new_tokens = ip->max_new_tokens;
        }
#endif
    }
    if ((j->have_lora && j->lora_name == NULL) || (j->save_cache && j->cache_path == NULL)) {
        snprintf(err, errlen, "out of memory");
        emu_job_free(j);
        return NULL;
    }
    return j;
}
