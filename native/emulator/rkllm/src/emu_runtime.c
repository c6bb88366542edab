/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The npu4j RKLLM emulator: an implementation of the librkllmrt.so ABI
 * (1.2.x or 1.3.0, chosen at compile time) that runs no model and needs no
 * NPU. It follows the runtime's documented behaviour closely enough that
 * every client code path (streaming callbacks, WAITING for split UTF-8,
 * abort, pause, KV cache, chat templates, function calling, LoRA, prompt
 * cache, hidden states and logits, CPU pinning) can be exercised on a laptop
 * or in CI, with timing taken from published board measurements.
 *
 * Threading: every handle owns one worker thread, created by rkllm_init and
 * pinned to the CPUs of extend_param.enabled_cpus_mask. rkllm_run and
 * rkllm_run_async hand a validated copy of the request to that thread; all
 * result callbacks come from it. One task runs per handle at a time; a new
 * request waits until the previous one has delivered FINISH or ERROR.
 *
 * All state is per handle; the only globals are the allocation counter and
 * constant tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "emu_internal.h"

/* --------------------------------------------------------- version string */

#if NPU4J_EMU_ABI_MINOR >= 3
#define EMU_RUNTIME_VERSION "1.3.0"
#else
#define EMU_RUNTIME_VERSION "1.2.3"
#endif

/* The Java side finds the ABI by scanning the library file for this text,
 * so it must stay a literal in .rodata (it is printed by the banner). */
static const char k_version_text[] = "rkllm-runtime version: " EMU_RUNTIME_VERSION
                                     " (npu4j emulator)";

#define HANDLE_MAGIC 0x4e5055344a524b4cULL /* "NPU4JRKL" */

/* Runs started in this process, on every handle (npu4j_emulator_run_count). */
static atomic_long g_runs;
#define DEFAULT_PROMPT_CACHE "./prompt_cache.bin"
#define ERRLEN 768

/* ------------------------------------------------------------------ types */

typedef struct {
    int32_t top_k;
    float top_p;
    float temperature;
    float repeat_penalty;
    float frequency_penalty;
    float presence_penalty;
    int32_t mirostat;
    float mirostat_tau;
    float mirostat_eta;
} emu_sampling;

/* One conversation (one batch entry): the token ids in its KV cache. */
typedef struct {
    int32_t *ids;             /* capacity: max_context_len */
    int len;
    int system_len;           /* leading tokens that hold the system prompt */
    atomic_int published_len; /* len as seen by rkllm_get_kv_cache_size */
    bool paused;              /* last run was paused by the callback */
    emu_script last_script;
} emu_slot;

typedef struct emu_lora_entry {
    struct emu_lora_entry *next;
    char *name;
    float scale;
    uint64_t digest;
} emu_lora_entry;

typedef struct {
    char *name;
    char **args;      /* arguments the emulated model fills in */
    char **types;     /* JSON schema type of each, may be NULL */
    char **first_enum;/* first enum value as JSON text, may be NULL */
    int n_args;
} emu_tool;

/* A validated, self-contained copy of one batch entry of an RKLLMInput. */
typedef struct {
    RKLLMInputType type;
    bool is_tool;
    bool enable_thinking;
    char *text;           /* PROMPT text, MULTIMODAL prompt */
    int32_t *ids;         /* TOKEN ids; for EMBED one id per embedded token */
    int n_ids;
    int32_t *media_ids;   /* MULTIMODAL: one id per image/video token, in order */
    int n_image, n_image_tokens;
    int n_video, n_video_tokens; /* tokens per video = frames * tokens per frame */
    char *media_tags[6];  /* image start/end/content, video start/end/content */
    uint64_t digest;      /* every byte, id and float of the input folded in */
} emu_request;

typedef struct {
    int n;                      /* batch entries */
    emu_request *req;
    RKLLMInferMode mode;
    bool have_lora;
    char *lora_name;
    float lora_scale;
    uint64_t lora_digest;
    bool save_cache;
    char *cache_path;
    emu_sampling sampling;
    bool keep_history;
    int max_new_tokens;         /* <= 0: unlimited */
    void *userdata;
    bool sync;
    bool done;
    int rc;
} emu_job;

typedef struct emu_handle {
    uint64_t magic;
    emu_model model;

    /* parameters given to rkllm_init */
    int max_context_len;
    int max_new_tokens;
    int n_keep;
    bool skip_special_token;
    bool ignore_eos_token;
    bool is_async;
    emu_sampling sampling;
    int n_batch;
    int32_t base_domain_id;
    int embed_flash;
    bool use_cross_attn;
    cpu_set_t cpus;
    char *img_tags[3];          /* 1.2.x: img_start, img_end, img_content */
    LLMResultCallback callback;
    void *callback_userdata;

    /* conversation state */
    emu_slot *slots;
    char *tmpl_system;
    char *tmpl_prefix;
    char *tmpl_postfix;
    bool custom_template;
    char *tools_system;         /* NULL: no function tools */
    char *tool_tag;
    emu_tool *tools;
    int n_tools;
    emu_lora_entry *loras;
    int32_t *cache_ids;         /* loaded prompt cache */
    int n_cache_ids;
    uint64_t cross_digest;

    /* worker and task state, guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* CLOCK_MONOTONIC */
    pthread_t worker;
    emu_job *pending;
    bool running;               /* from submission until FINISH/ERROR returned */
    bool shutting_down;
    int waiters;                /* API calls blocked on cv */
    atomic_bool abort_requested;
    uint64_t run_count;
    bool warned_shift;

    /* per-callback scratch */
    RKLLMResult *results;
    float **out_buf;            /* per slot: hidden states or logits */
} emu_handle;

/* Working state of one batch entry during one run. */
typedef struct {
    emu_gen gen;
    bool gen_ready;
    bool active;
    int new_tokens;
    int reused;
    int first_new;
    int generated;
    emu_sb pending;     /* bytes held back while a character is incomplete */
    emu_token next;
    bool has_next;
    uint64_t seed;
} slot_run;

/* ----------------------------------------------------------- small helpers */

static emu_handle *as_handle(LLMHandle handle, const char *fn)
{
    emu_handle *h = handle;
    if (h == NULL || h->magic != HANDLE_MAGIC) {
        emu_log('E', "%s: invalid handle %p (NULL, destroyed, or not from rkllm_init)", fn,
                handle);
        return NULL;
    }
    return h;
}

static bool on_worker(const emu_handle *h)
{
    return pthread_equal(pthread_self(), h->worker) != 0;
}

static void publish(emu_slot *s)
{
    atomic_store_explicit(&s->published_len, s->len, memory_order_release);
}

/* Replaces *field by a copy of value ("" for NULL). */
static bool replace_string(char **field, const char *value)
{
    char *copy = emu_strdup(value != NULL ? value : "");
    if (copy == NULL) {
        return false;
    }
    emu_free(*field);
    *field = copy;
    return true;
}

static void escape_for_log(char *dst, size_t cap, const char *s)
{
    size_t o = 0;
    for (; s != NULL && *s != '\0' && o + 3 < cap; s++) {
        if (*s == '\n') {
            dst[o++] = '\\';
            dst[o++] = 'n';
        } else {
            dst[o++] = *s;
        }
    }
    dst[o] = '\0';
}

/* Waits until the monotonic deadline or an abort; true when aborted. */
static bool wait_until(emu_handle *h, uint64_t deadline_ns)
{
    if (atomic_load(&h->abort_requested)) {
        return true;
    }
    if (emu_now_ns() >= deadline_ns) {
        return false;
    }
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
                          .tv_nsec = (long)(deadline_ns % 1000000000ULL)};
    pthread_mutex_lock(&h->mu);
    while (!atomic_load(&h->abort_requested) && emu_now_ns() < deadline_ns) {
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return atomic_load(&h->abort_requested);
}

static uint64_t ms_to_ns(double ms)
{
    return ms <= 0.0 ? 0 : (uint64_t)(ms * 1e6);
}

/* ------------------------------------------------------------ sampling */

static emu_sampling sampling_from_param(const RKLLMParam *p)
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

static uint64_t hash_float(uint64_t h, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return emu_hash_u64(h, bits);
}

static uint64_t hash_sampling(uint64_t h, const emu_sampling *s)
{
    h = emu_hash_u64(h, (uint64_t)(int64_t)s->top_k);
    h = hash_float(h, s->top_p);
    h = hash_float(h, s->temperature);
    h = hash_float(h, s->repeat_penalty);
    h = hash_float(h, s->frequency_penalty);
    h = hash_float(h, s->presence_penalty);
    h = emu_hash_u64(h, (uint64_t)(int64_t)s->mirostat);
    h = hash_float(h, s->mirostat_tau);
    return hash_float(h, s->mirostat_eta);
}

/* ------------------------------------------------------------ requests */

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

static void job_free(emu_job *j)
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
static int read_floats(const emu_model *m, const float *data, size_t count, size_t group,
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
        return read_floats(m, e->embed, e->n_tokens * (size_t)m->hidden_size,
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
            read_floats(m, img, n_image * n_image_tokens * per_image_token, per_image_token,
                        rq->media_ids, &rq->digest,
                        "image_embed", err, errlen) != 0) {
            return -1;
        }
        if (n_video > 0 &&
            read_floats(m, vid, n_video * per_video * hs, hs,
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

static const emu_lora_entry *find_lora(const emu_handle *h, const char *name)
{
    for (const emu_lora_entry *l = h->loras; l != NULL; l = l->next) {
        if (strcmp(l->name, name) == 0) {
            return l;
        }
    }
    return NULL;
}

/* Builds a job from the caller's arguments; NULL with a message on error. */
static emu_job *make_job(emu_handle *h, const RKLLMInput *input, const RKLLMInferParam *ip,
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
            job_free(j);
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
            job_free(j);
            return NULL;
        }
        j->mode = ip->mode;
        j->keep_history = ip->keep_history != 0;
        if (ip->lora_params != NULL && ip->lora_params->lora_adapter_name != NULL) {
            pthread_mutex_lock(&h->mu);
            const emu_lora_entry *l = find_lora(h, ip->lora_params->lora_adapter_name);
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
                job_free(j);
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
        job_free(j);
        return NULL;
    }
    return j;
}

/* --------------------------------------------------------- prompt building */

typedef struct {
    int32_t *ids;
    int len;
    int cap;
    bool failed;
} id_list;

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

static bool thinking_template(const emu_handle *h)
{
    return h->model.thinking && !h->custom_template;
}

/* Token ids of the new input for one slot, templated like the runtime does:
 * system prompt (only at the start of a conversation), prefix, the message,
 * postfix. Token and embedding input bypass the template. */
static int build_input_ids(emu_handle *h, const emu_slot *slot, const emu_request *rq,
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
    if (thinking_template(h) && !rq->enable_thinking) {
        /* Qwen3's template closes an empty thought when thinking is off. */
        ids_text(out, m, "<think>\n\n</think>\n\n");
    }
    return out->failed ? -1 : 0;
}

/* ------------------------------------------------------------- KV cache */

static int effective_keep(const emu_handle *h, const emu_slot *s)
{
    int keep = h->n_keep >= 0 ? h->n_keep : s->system_len;
    return keep > s->len ? s->len : keep;
}

/* Context shift: keeps the first n_keep tokens and drops half of the rest. */
static void shift_context(emu_handle *h, emu_slot *s)
{
    int keep = effective_keep(h, s);
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

static void kv_append(emu_handle *h, emu_slot *s, int32_t id)
{
    if (s->len >= h->max_context_len) {
        shift_context(h, s);
    }
    s->ids[s->len++] = id;
}

/* ------------------------------------------------------------ tools */

static void tools_free(emu_handle *h)
{
    for (int i = 0; i < h->n_tools; i++) {
        emu_tool *t = &h->tools[i];
        for (int k = 0; k < t->n_args; k++) {
            emu_free(t->args[k]);
            emu_free(t->types[k]);
            emu_free(t->first_enum[k]);
        }
        emu_free(t->args);
        emu_free(t->types);
        emu_free(t->first_enum);
        emu_free(t->name);
    }
    emu_free(h->tools);
    h->tools = NULL;
    h->n_tools = 0;
    emu_free(h->tools_system);
    h->tools_system = NULL;
    emu_free(h->tool_tag);
    h->tool_tag = NULL;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) {
        return false;
    }
    for (const char *p = hay; *p != '\0'; p++) {
        if (strncasecmp(p, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool mentions_tool(const char *text, const char *name)
{
    if (contains_ci(text, name)) {
        return true;
    }
    char *spaced = emu_strdup(name);
    if (spaced == NULL) {
        return false;
    }
    for (char *p = spaced; *p != '\0'; p++) {
        if (*p == '_' || *p == '-') {
            *p = ' ';
        }
    }
    bool hit = contains_ci(text, spaced);
    emu_free(spaced);
    return hit;
}

/* A plausible string argument taken from the user's message: the longest run
 * of capitalised words that does not start a sentence ("San Francisco"),
 * else the longest word, else "example". */
static char *guess_string_arg(const char *text)
{
    const char *best = NULL;
    size_t best_len = 0;
    bool sentence_start = true;
    const char *p = text;
    while (*p != '\0') {
        if (*p >= 'A' && *p <= 'Z' && !sentence_start && (p == text || p[-1] == ' ')) {
            const char *s = p;
            const char *e = p;
            for (;;) {
                while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '-') {
                    e++;
                }
                if (e[0] == ' ' && e[1] >= 'A' && e[1] <= 'Z') {
                    e++;
                    continue;
                }
                break;
            }
            if ((size_t)(e - s) > best_len) {
                best = s;
                best_len = (size_t)(e - s);
            }
            p = e;
            continue;
        }
        if (*p == '.' || *p == '!' || *p == '?') {
            sentence_start = true;
        } else if (*p != ' ' && *p != '\t' && *p != '\n') {
            sentence_start = false;
        }
        p++;
    }
    if (best == NULL) {
        /* Longest run of non-space, non-punctuation bytes. */
        const char *s = text;
        while (*s != '\0') {
            while (*s != '\0' && (unsigned char)*s <= '@' && (unsigned char)*s < 0x80) {
                s++;
            }
            const char *e = s;
            while (*e != '\0' && !((unsigned char)*e <= '@' && (unsigned char)*e < 0x80)) {
                e++;
            }
            if ((size_t)(e - s) > best_len && (size_t)(e - s) >= 3) {
                best = s;
                best_len = (size_t)(e - s);
            }
            s = e;
        }
    }
    if (best == NULL) {
        return emu_strdup("example");
    }
    /* Do not cut a UTF-8 character. */
    return emu_strndup(best, best_len - emu_utf8_incomplete_tail(best, best_len));
}

/* {"name": "...", "arguments": {...}} for a tool the message asked for. */
static void write_tool_call(emu_sb *sb, const emu_tool *t, const char *user_text, emu_rng *rng)
{
    emu_sb_puts(sb, "{\"name\": ");
    ej_write_string(sb, t->name);
    emu_sb_puts(sb, ", \"arguments\": {");
    for (int i = 0; i < t->n_args; i++) {
        if (i > 0) {
            emu_sb_puts(sb, ", ");
        }
        ej_write_string(sb, t->args[i]);
        emu_sb_puts(sb, ": ");
        const char *type = t->types[i] != NULL ? t->types[i] : "string";
        if (t->first_enum[i] != NULL) {
            emu_sb_puts(sb, t->first_enum[i]);
        } else if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
            emu_sb_printf(sb, "%d", emu_rng_range(rng, 1, 100));
        } else if (strcmp(type, "boolean") == 0) {
            emu_sb_puts(sb, "true");
        } else if (strcmp(type, "array") == 0) {
            emu_sb_puts(sb, "[]");
        } else if (strcmp(type, "object") == 0) {
            emu_sb_puts(sb, "{}");
        } else {
            char *v = guess_string_arg(user_text);
            ej_write_string(sb, v != NULL ? v : "example");
            emu_free(v);
        }
    }
    emu_sb_puts(sb, "}}");
}

/* Collects up to six "key value" pairs from a tool result for the answer. */
static void collect_values(emu_sb *sb, const ej_value *v, const char *key, int *n)
{
    if (*n >= 6) {
        return;
    }
    if (v->type == EJ_OBJECT || v->type == EJ_ARRAY) {
        for (size_t i = 0; i < v->count; i++) {
            collect_values(sb, v->items[i], v->type == EJ_OBJECT ? v->keys[i] : key, n);
        }
        return;
    }
    if (*n > 0) {
        emu_sb_puts(sb, ", ");
    }
    if (key != NULL) {
        emu_sb_puts(sb, key);
        emu_sb_putc(sb, ' ');
    }
    if (v->type == EJ_STRING || v->type == EJ_NUMBER) {
        emu_sb_puts(sb, v->text);
    } else {
        emu_sb_puts(sb, v->type == EJ_BOOL ? (v->boolean ? "true" : "false") : "null");
    }
    (*n)++;
}

/* ------------------------------------------------------------ answer plan */

static void plan_answer(emu_handle *h, slot_run *r, const emu_request *rq, emu_script script)
{
    emu_gen *g = &r->gen;
    bool text_input = rq->type == RKLLM_INPUT_PROMPT || rq->type == RKLLM_INPUT_MULTIMODAL;
    if (text_input && thinking_template(h) && rq->enable_thinking) {
        emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_THINK, NULL, 0);
        emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n", 0);
        emu_gen_add(g, EMU_SEG_PROSE, 0, NULL, emu_rng_range(&g->rng, 1, 3));
        emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n", 0);
        emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_THINK_END, NULL, 0);
        emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n\n", 0);
    }
    if (rq->type == RKLLM_INPUT_PROMPT && !rq->is_tool && h->tools_system != NULL) {
        int calls = 0;
        for (int i = 0; i < h->n_tools; i++) {
            if (!mentions_tool(rq->text, h->tools[i].name)) {
                continue;
            }
            emu_sb json = {0};
            emu_sb_putc(&json, '\n');
            write_tool_call(&json, &h->tools[i], rq->text, &g->rng);
            emu_sb_putc(&json, '\n');
            if (calls > 0) {
                emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n", 0);
            }
            emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_TOOL_CALL, NULL, 0);
            if (!json.failed) {
                emu_gen_add(g, EMU_SEG_LITERAL, 0, json.buf, 0);
            }
            emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_TOOL_CALL_END, NULL, 0);
            emu_sb_free(&json);
            calls++;
        }
        if (calls > 0) {
            emu_gen_add(g, EMU_SEG_EOS, 0, NULL, 0);
            return;
        }
    }
    if (rq->is_tool && rq->text != NULL) {
        emu_sb s = {0};
        emu_text_tool_result_intro(&s, script);
        char why[128];
        ej_value *v = ej_parse(rq->text, why, sizeof why);
        int n = 0;
        if (v != NULL) {
            collect_values(&s, v, NULL, &n);
            ej_free(v);
        } else {
            size_t l = strlen(rq->text);
            l = l > 80 ? 80 : l;
            emu_sb_append(&s, rq->text, l - emu_utf8_incomplete_tail(rq->text, l));
        }
        emu_sb_puts(&s, script == EMU_SCRIPT_CJK ? "。" : ". ");
        if (!s.failed) {
            emu_gen_add(g, EMU_SEG_LITERAL, 0, s.buf, 0);
        }
        emu_sb_free(&s);
        emu_gen_add(g, EMU_SEG_PROSE, 0, NULL, emu_rng_range(&g->rng, 1, 2));
        emu_gen_add(g, EMU_SEG_EOS, 0, NULL, 0);
        return;
    }
    if (text_input) {
        emu_gen_topic_from(g, rq->text);
    }
    emu_gen_add(g, EMU_SEG_PROSE, 0, NULL, 0);
    emu_gen_add(g, EMU_SEG_EOS, 0, NULL, 0);
}

/* --------------------------------------------------- hidden states, logits */

static void release_buffers(emu_handle *h)
{
    for (int i = 0; i < h->n_batch; i++) {
        emu_free(h->out_buf[i]);
        h->out_buf[i] = NULL;
    }
}

static void clear_results(emu_handle *h)
{
    release_buffers(h);
    memset(h->results, 0, sizeof(RKLLMResult) * (size_t)h->n_batch);
}

/* Hidden states of the tokens [from, to) of a slot's KV cache: a
 * deterministic function of token id, position and dimension. */
static float *make_hidden(const emu_handle *h, const emu_slot *s, int from, int to,
                          uint64_t seed)
{
    size_t hs = (size_t)h->model.hidden_size;
    float *buf = emu_malloc(sizeof(float) * hs * (size_t)(to - from));
    if (buf == NULL) {
        return NULL;
    }
    for (int t = from; t < to; t++) {
        emu_rng rng;
        emu_rng_seed(&rng, emu_hash_u64(emu_hash_u64(seed, (uint32_t)s->ids[t]), (uint64_t)t));
        float *row = buf + (size_t)(t - from) * hs;
        for (size_t d = 0; d < hs; d++) {
            row[d] = emu_unit_float(emu_rng_next(&rng));
        }
    }
    return buf;
}

/* Logit rows; row r favours targets[r] so that its argmax is that token. */
static float *make_logits(const emu_handle *h, const int32_t *targets, int rows, uint64_t seed)
{
    size_t vs = (size_t)h->model.vocab_size;
    float *buf = emu_malloc(sizeof(float) * vs * (size_t)rows);
    if (buf == NULL) {
        return NULL;
    }
    for (int r = 0; r < rows; r++) {
        emu_rng rng;
        emu_rng_seed(&rng, emu_hash_u64(seed, (uint64_t)r));
        float *row = buf + (size_t)r * vs;
        for (size_t v = 0; v < vs; v++) {
            row[v] = 4.0f * emu_unit_float(emu_rng_next(&rng));
        }
        if (targets[r] >= 0 && (size_t)targets[r] < vs) {
            row[targets[r]] = 12.0f;
        }
    }
    return buf;
}

/* ------------------------------------------------------------- the run */

typedef struct {
    emu_handle *h;
    emu_job *job;
    slot_run *sr;
    bool paused;
    bool failed;
    int emitted;          /* callbacks that carried a token */
    long die_after;       /* < 0: off */
    uint64_t t_start;
    uint64_t t_first;     /* first token (or end of prefill) */
    int prefill_tokens;
    int generate_tokens;
} run_ctx;

static int call_back(run_ctx *rc, LLMCallState state)
{
    emu_handle *h = rc->h;
    int ret = h->callback(h->results, rc->job->userdata, state);
    if (ret == 2) {
        /* The client no longer needs the output buffers. */
        release_buffers(h);
    }
    return ret;
}

static void fill_perf(run_ctx *rc, RKLLMPerfStat *p)
{
    uint64_t end = emu_now_ns();
    uint64_t first = rc->t_first != 0 ? rc->t_first : end;
    p->prefill_time_ms = (float)((double)(first - rc->t_start) / 1e6);
    p->prefill_tokens = rc->prefill_tokens;
    p->generate_time_ms = (float)((double)(end - first) / 1e6);
    p->generate_tokens = rc->generate_tokens;
    p->memory_usage_mb = (float)rc->h->model.memory_mb;
}

/* Delivers the final FINISH or ERROR callback. */
static void finish(run_ctx *rc, LLMCallState state)
{
    emu_handle *h = rc->h;
    clear_results(h);
    RKLLMPerfStat perf;
    fill_perf(rc, &perf);
    for (int i = 0; i < h->n_batch; i++) {
        h->results[i].text = "";
        h->results[i].token_id = -1;
        h->results[i].perf = perf;
    }
    call_back(rc, state);
    clear_results(h);
    if (emu_log_level() >= 1 && state == RKLLM_RUN_FINISH) {
        double pt = perf.prefill_time_ms, gt = perf.generate_time_ms;
        emu_log('I', "--------------------------------------------------------------------");
        emu_log('I', " Stage      Total Time (ms)  Tokens  Time per Token (ms)  Tokens/s");
        emu_log('I', " Prefill    %14.2f  %6d  %19.2f  %8.2f", pt, perf.prefill_tokens,
                perf.prefill_tokens > 0 ? pt / perf.prefill_tokens : 0.0,
                pt > 0 ? perf.prefill_tokens * 1000.0 / pt : 0.0);
        emu_log('I', " Generate   %14.2f  %6d  %19.2f  %8.2f", gt, perf.generate_tokens,
                perf.generate_tokens > 0 ? gt / perf.generate_tokens : 0.0,
                gt > 0 ? perf.generate_tokens * 1000.0 / gt : 0.0);
        emu_log('I', " Memory (profile of %s): %.2f MB", h->model.profile, perf.memory_usage_mb);
        emu_log('I', "--------------------------------------------------------------------");
    }
}

/* The seed of one entry's answer. The batch index is not part of it: a
 * batched decode computes every entry on its own, so an input gets the same
 * answer in any batch entry as in a run of its own. */
static uint64_t slot_seed(const emu_handle *h, const emu_job *j, const emu_request *rq,
                          const emu_slot *s)
{
    uint64_t x = emu_hash_str(EMU_FNV_OFFSET, "npu4j rkllm emulator seed v1");
    x = emu_hash_str(x, h->model.name);
    for (int i = 0; i < s->len; i++) {
        x = emu_hash_u64(x, (uint32_t)s->ids[i]);
    }
    x = emu_hash_u64(x, rq->digest);
    x = hash_sampling(x, &j->sampling);
    x = emu_hash_u64(x, rq->enable_thinking ? 1 : 0);
    x = emu_hash_u64(x, (uint64_t)j->mode);
    if (j->have_lora) {
        x = emu_hash_str(x, j->lora_name);
        x = emu_hash_u64(x, j->lora_digest);
        x = hash_float(x, j->lora_scale);
    }
    x = emu_hash_u64(x, h->cross_digest);
    return emu_hash_u64(x, 0); /* (was the batch index: 0 keeps every single-entry answer as it was) */
}

static int common_prefix(const int32_t *a, int na, const int32_t *b, int nb)
{
    int n = 0;
    while (n < na && n < nb && a[n] == b[n]) {
        n++;
    }
    return n;
}

/* Templating, context management and answer planning for one batch entry. */
static int prepare_slot(run_ctx *rc, int index, char *err, size_t errlen)
{
    emu_handle *h = rc->h;
    emu_slot *s = &h->slots[index];
    slot_run *r = &rc->sr[index];
    const emu_request *rq = &rc->job->req[index];
    s->paused = false;

    id_list in = {0};
    int system_tokens = 0;
    if (build_input_ids(h, s, rq, &in, &system_tokens) != 0) {
        emu_free(in.ids);
        snprintf(err, errlen, "out of memory building the prompt");
        return -1;
    }
    if (in.len >= h->max_context_len) {
        snprintf(err, errlen, "the input is %d tokens long (with the chat template) and does "
                              "not fit max_context_len %d",
                 in.len, h->max_context_len);
        emu_free(in.ids);
        return -1;
    }
    bool fresh = s->len == 0;
    if (s->len + in.len > h->max_context_len) {
        /* Make room by dropping history after the first n_keep tokens. */
        int keep = effective_keep(h, s);
        int drop = s->len + in.len - h->max_context_len;
        if (drop <= s->len - keep) {
            memmove(s->ids + keep, s->ids + keep + drop,
                    sizeof(int32_t) * (size_t)(s->len - keep - drop));
            s->len -= drop;
        } else {
            s->len = h->max_context_len - in.len;
            if (s->len < 0) {
                s->len = 0;
            }
        }
        if (s->system_len > s->len) {
            s->system_len = s->len;
        }
        emu_log('W', "history does not fit max_context_len %d with the new input: dropped %d "
                     "tokens after the first %d (n_keep)",
                h->max_context_len, drop, keep);
    }
    if (fresh && h->n_cache_ids > 0) {
        /* A loaded prompt cache saves the prefill of its common prefix. */
        r->reused = common_prefix(h->cache_ids, h->n_cache_ids, in.ids, in.len);
        if (r->reused >= in.len) {
            r->reused = in.len - 1;
        }
    }
    r->first_new = s->len;
    memcpy(s->ids + s->len, in.ids, sizeof(int32_t) * (size_t)in.len);
    s->len += in.len;
    if (fresh) {
        s->system_len = system_tokens;
    }
    r->new_tokens = in.len;
    emu_free(in.ids);
    publish(s);

    emu_script script = h->model.script;
    if (script == EMU_SCRIPT_AUTO) {
        if (rq->text != NULL && !rq->is_tool) {
            script = emu_detect_script(rq->text, strlen(rq->text));
            s->last_script = script;
        } else {
            script = s->last_script != EMU_SCRIPT_AUTO ? s->last_script : EMU_SCRIPT_LATIN;
        }
    }
    bool endless = h->model.eos_never || h->ignore_eos_token;
    r->seed = slot_seed(h, rc->job, rq, s);
    if (emu_log_level() >= 2) {
        emu_log('I', "batch %d: %d input tokens (%d from the prompt cache), KV cache %d of %d, "
                     "answer script %s, seed %016" PRIx64,
                index, in.len, r->reused, s->len, h->max_context_len, emu_script_name(script),
                r->seed);
    }
    emu_gen_init(&r->gen, &h->model, r->seed, script, h->model.split_percent, endless);
    r->gen_ready = true;
    plan_answer(h, r, rq, script);
    r->has_next = emu_gen_next(&r->gen, &r->next);
    r->active = true;
    return 0;
}

/* Emits the callback that carries hidden states or prefill logits. */
static int deliver_prefill_output(run_ctx *rc)
{
    emu_handle *h = rc->h;
    clear_results(h);
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        slot_run *r = &rc->sr[i];
        RKLLMResult *res = &h->results[i];
        res->text = "";
        res->token_id = -1;
        int from = r->first_new, to = s->len;
        if (rc->job->mode == RKLLM_INFER_GET_LAST_HIDDEN_LAYER) {
            h->out_buf[i] = make_hidden(h, s, from, to, r->seed);
            if (h->out_buf[i] == NULL) {
                return -1;
            }
            res->last_hidden_layer.hidden_states = h->out_buf[i];
            res->last_hidden_layer.embd_size = h->model.hidden_size;
            res->last_hidden_layer.num_tokens = to - from;
        } else {
            /* Row t predicts token t+1; the last row predicts the answer's
             * first token. */
            int rows = to - from;
            int32_t *targets = emu_malloc(sizeof(int32_t) * (size_t)rows);
            if (targets == NULL) {
                return -1;
            }
            for (int t = 0; t < rows; t++) {
                targets[t] = t + 1 < rows ? s->ids[from + t + 1]
                                          : (r->has_next ? r->next.id : h->model.eos_token_id);
            }
            h->out_buf[i] = make_logits(h, targets, rows, r->seed);
            emu_free(targets);
            if (h->out_buf[i] == NULL) {
                return -1;
            }
            res->logits.logits = h->out_buf[i];
            res->logits.vocab_size = h->model.vocab_size;
            res->logits.num_tokens = rows;
        }
    }
    int ret = call_back(rc, RKLLM_RUN_NORMAL);
    clear_results(h);
    if (ret == 1) {
        rc->paused = true;
    }
    return 0;
}

/* One decoding step for every active batch entry. Returns false when no
 * entry produced anything (all are finished). */
static bool decode_step(run_ctx *rc, bool *error)
{
    emu_handle *h = rc->h;
    *error = false;
    clear_results(h);
    bool any = false;
    bool waiting = false;
    for (int i = 0; i < h->n_batch; i++) {
        slot_run *r = &rc->sr[i];
        emu_slot *s = &h->slots[i];
        RKLLMResult *res = &h->results[i];
        res->text = NULL;
        res->token_id = -1;
        if (!r->active) {
            continue;
        }
        if (!r->has_next ||
            (rc->job->max_new_tokens > 0 && r->generated >= rc->job->max_new_tokens)) {
            r->active = false;
            continue;
        }
        emu_token tok = r->next;
        r->has_next = emu_gen_next(&r->gen, &r->next);
        if (tok.eos) {
            r->active = false;
            if (h->skip_special_token) {
                continue;
            }
        }
        kv_append(h, s, tok.id);
        r->generated++;
        rc->generate_tokens++;
        any = true;
        res->token_id = tok.id;
        emu_sb_append(&r->pending, tok.text, (size_t)tok.len);
        if (r->pending.failed) {
            *error = true;
            return false;
        }
        if (emu_utf8_incomplete_tail(r->pending.buf, r->pending.len) > 0) {
            /* The text ends inside a character: hold it back and report
             * WAITING; the next NORMAL text starts with these bytes. */
            res->text = "";
            waiting = true;
        } else {
            res->text = emu_sb_cstr(&r->pending);
        }
        if (rc->job->mode == RKLLM_INFER_GET_LOGITS) {
            int32_t target = r->has_next ? r->next.id : h->model.eos_token_id;
            h->out_buf[i] = make_logits(h, &target, 1, emu_hash_u64(r->seed, (uint64_t)s->len));
            if (h->out_buf[i] == NULL) {
                *error = true;
                return false;
            }
            res->logits.logits = h->out_buf[i];
            res->logits.vocab_size = h->model.vocab_size;
            res->logits.num_tokens = 1;
        }
        publish(s);
    }
    if (!any) {
        return false;
    }
    if (rc->die_after >= 0 && rc->emitted >= rc->die_after) {
        emu_log('E', "npu4j emulator: injected failure after %d tokens "
                     "(NPU4J_EMULATOR_DIE_AFTER_TOKENS=%ld)",
                rc->emitted, rc->die_after);
        *error = true;
        return false;
    }
    if (rc->t_first == 0) {
        rc->t_first = emu_now_ns();
    }
    /* With one batch entry WAITING stands for that entry; with several one
     * state cannot speak for every entry, so it is NORMAL and an entry whose
     * character is incomplete gets "" (its bytes come with its next text). */
    int ret = call_back(rc, waiting && h->n_batch == 1 ? RKLLM_RUN_WAITING : RKLLM_RUN_NORMAL);
    rc->emitted++;
    for (int i = 0; i < h->n_batch; i++) {
        slot_run *r = &rc->sr[i];
        if (h->results[i].text != NULL && h->results[i].text[0] != '\0') {
            emu_sb_clear(&r->pending);
        }
    }
    clear_results(h);
    if (ret == 1) {
        rc->paused = true;
        return false;
    }
    return true;
}

/* Batch entries that still have a token to produce (an EOS that is not
 * shown still costs its decoding step, as on the board). */
static int entries_left(const run_ctx *rc)
{
    int n = 0;
    for (int i = 0; i < rc->h->n_batch; i++) {
        const slot_run *r = &rc->sr[i];
        if (r->active && r->has_next &&
            (rc->job->max_new_tokens <= 0 || r->generated < rc->job->max_new_tokens)) {
            n++;
        }
    }
    return n;
}

/* Time of one decode step that advances `entries` batch entries: the
 * profile's single-entry step, plus batch_step_percent of it for every entry
 * beyond the first (README.md, "Timing": an assumption, not a measurement). */
static uint64_t step_ns_for(const emu_handle *h, int entries, double speed)
{
    double factor = 1.0 + (entries > 1 ? (entries - 1) * h->model.batch_step_percent / 100.0 : 0.0);
    return ms_to_ns(h->model.decode_ms_per_token * factor * speed);
}

/* Runs one job on the worker thread; returns the value rkllm_run returns. */
static int run_job(emu_handle *h, emu_job *job)
{
    run_ctx rc = {.h = h, .job = job, .t_start = emu_now_ns()};
    char err[ERRLEN];
    double speed = emu_env_speed();
    long fail_run = emu_env_long("NPU4J_EMULATOR_FAIL_RUN", 0, 1);
    long stall_ms = emu_env_long("NPU4J_EMULATOR_STALL_MS", 0, 0);
    rc.die_after = emu_env_long("NPU4J_EMULATOR_DIE_AFTER_TOKENS", -1, 0);
    h->run_count++;
    atomic_fetch_add_explicit(&g_runs, 1, memory_order_relaxed);

    rc.sr = emu_calloc((size_t)h->n_batch, sizeof *rc.sr);
    if (rc.sr == NULL) {
        emu_log('E', "out of memory starting a run");
        finish(&rc, RKLLM_RUN_ERROR);
        return -1;
    }
    int result = 0;
    if (fail_run > 0 && h->run_count == (uint64_t)fail_run) {
        emu_log('E', "npu4j emulator: injected failure of run %" PRIu64
                     " on this handle (NPU4J_EMULATOR_FAIL_RUN=%ld)",
                h->run_count, fail_run);
        finish(&rc, RKLLM_RUN_ERROR);
        result = -1;
        goto done;
    }

    for (int i = 0; i < h->n_batch; i++) {
        if (prepare_slot(&rc, i, err, sizeof err) != 0) {
            emu_log('E', "%s%s", h->n_batch > 1 ? "batch entry: " : "", err);
            finish(&rc, RKLLM_RUN_ERROR);
            result = -1;
            goto done;
        }
        rc.prefill_tokens += rc.sr[i].new_tokens - rc.sr[i].reused;
    }
    if (job->save_cache) {
        emu_slot *s0 = &h->slots[0];
        if (emu_prompt_cache_save(job->cache_path, &h->model, s0->ids, s0->len, err,
                                  sizeof err) != 0) {
            emu_log('E', "%s", err);
            finish(&rc, RKLLM_RUN_ERROR);
            result = -1;
            goto done;
        }
    }

    /* Prefill: the board's time for the prompt tokens not served by the
     * prompt cache. */
    uint64_t deadline = rc.t_start +
                        ms_to_ns(h->model.prefill_ms_per_token * rc.prefill_tokens * speed);
    if (speed > 0.0 && wait_until(h, deadline)) {
        finish(&rc, RKLLM_RUN_FINISH);
        goto done;
    }
    if (job->mode != RKLLM_INFER_GENERATE) {
        if (deliver_prefill_output(&rc) != 0) {
            emu_log('E', "out of memory for the %s buffer",
                    job->mode == RKLLM_INFER_GET_LOGITS ? "logits" : "hidden state");
            finish(&rc, RKLLM_RUN_ERROR);
            result = -1;
            goto done;
        }
        rc.t_first = emu_now_ns();
        if (job->mode == RKLLM_INFER_GET_LAST_HIDDEN_LAYER || rc.paused) {
            finish(&rc, RKLLM_RUN_FINISH);
            goto done;
        }
    }
    if (stall_ms > 0) {
        /* Fault injection: real milliseconds, not scaled by the speed. */
        if (wait_until(h, emu_now_ns() + (uint64_t)stall_ms * 1000000ULL)) {
            finish(&rc, RKLLM_RUN_FINISH);
            goto done;
        }
    }
    /* Decoding: as on the board the callback runs inside the decode loop, so
     * each token is ready one decode step after the previous callback
     * returned, and a slow callback delays everything after it. The first
     * token comes out of the prefill. */
    uint64_t ready = 0;
    for (;;) {
        int left = entries_left(&rc);
        if (atomic_load(&h->abort_requested) || left == 0) {
            break;
        }
        if (ready != 0) {
            ready += step_ns_for(h, left, speed);
            if (speed > 0.0 && wait_until(h, ready)) {
                break;
            }
        }
        bool error = false;
        if (!decode_step(&rc, &error)) {
            if (error) {
                finish(&rc, RKLLM_RUN_ERROR);
                result = -1;
                goto done;
            }
            break;
        }
        ready = emu_now_ns(); /* the next step starts when the callback returned */
    }
    finish(&rc, RKLLM_RUN_FINISH);

done:
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        if (rc.paused) {
            /* Pausing keeps the KV cache so that the next run resumes. */
            s->paused = true;
        } else if (!job->keep_history) {
            s->len = s->system_len;
        }
        publish(s);
        if (rc.sr[i].gen_ready) {
            emu_gen_free(&rc.sr[i].gen);
        }
        emu_sb_free(&rc.sr[i].pending);
    }
    emu_free(rc.sr);
    return result;
}

/* ------------------------------------------------------------ the worker */

static void *worker_main(void *arg)
{
    emu_handle *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (h->pending == NULL && !h->shutting_down) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        if (h->pending == NULL) {
            break; /* shutting down, nothing left to run */
        }
        emu_job *job = h->pending;
        h->pending = NULL;
        pthread_mutex_unlock(&h->mu);

        int rc = run_job(h, job);

        pthread_mutex_lock(&h->mu);
        h->running = false;
        if (job->sync) {
            job->rc = rc;
            job->done = true; /* the waiting caller frees it */
        } else {
            job_free(job);
        }
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Hands a job to the worker; for sync jobs waits for its end. */
static int submit(emu_handle *h, emu_job *job)
{
    pthread_mutex_lock(&h->mu);
    h->waiters++;
    while (h->running && !h->shutting_down) {
        pthread_cond_wait(&h->cv, &h->mu);
    }
    if (h->shutting_down) {
        h->waiters--;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        job_free(job);
        emu_log('E', "rkllm_run: the handle is being destroyed");
        return -1;
    }
    h->running = true;
    atomic_store(&h->abort_requested, false);
    h->pending = job;
    pthread_cond_broadcast(&h->cv);
    int rc = 0;
    if (job->sync) {
        while (!job->done) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        rc = job->rc;
        job_free(job);
    }
    h->waiters--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return rc;
}

/* For calls that change state a task uses: takes the handle's lock and
 * returns true when no task runs (the caller then unlocks); otherwise logs,
 * unlocks and returns false. Holding the lock keeps a new task from starting
 * while the state changes. */
static bool lock_idle(emu_handle *h, const char *fn)
{
    pthread_mutex_lock(&h->mu);
    if (!h->running) {
        return true;
    }
    pthread_mutex_unlock(&h->mu);
    emu_log('E', "%s: a task is running on this handle; wait for FINISH or call "
                 "rkllm_abort first",
            fn);
    return false;
}

/* Forgets conversations that hold nothing but a (now outdated) system
 * prompt, so that the next run uses the new template. */
static void drop_system_only_slots(emu_handle *h)
{
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        if (s->len == s->system_len) {
            s->len = 0;
            s->system_len = 0;
            publish(s);
        }
    }
}

/* ------------------------------------------------------------ CPU choice */

static void format_cpus(char *buf, size_t cap, const cpu_set_t *set, int *count)
{
    size_t o = 0;
    int n = 0;
    buf[0] = '\0';
    o += (size_t)snprintf(buf + o, cap - o, "[");
    for (int c = 0; c < CPU_SETSIZE && o + 8 < cap; c++) {
        if (CPU_ISSET(c, set)) {
            o += (size_t)snprintf(buf + o, cap - o, n == 0 ? "%d" : ", %d", c);
            n++;
        }
    }
    snprintf(buf + o, cap - o, "]");
    if (count != NULL) {
        *count = n;
    }
}

static int choose_cpus(const RKLLMExtendParam *ep, cpu_set_t *out, char *err, size_t errlen)
{
    cpu_set_t avail;
    CPU_ZERO(&avail);
    if (sched_getaffinity(0, sizeof avail, &avail) != 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (long c = 0; c < n && c < CPU_SETSIZE; c++) {
            CPU_SET((int)c, &avail);
        }
    }
    CPU_ZERO(out);
    uint32_t mask = ep->enabled_cpus_mask;
    char list[256];
    if (mask != 0) {
        uint32_t ignored = 0;
        for (int c = 0; c < 32; c++) {
            if (mask & (1u << c)) {
                if (c < CPU_SETSIZE && CPU_ISSET(c, &avail)) {
                    CPU_SET(c, out);
                } else {
                    ignored |= 1u << c;
                }
            }
        }
        if (CPU_COUNT(out) == 0) {
            format_cpus(list, sizeof list, &avail, NULL);
            snprintf(err, errlen, "extend_param.enabled_cpus_mask 0x%x names no CPU that is "
                                  "online and available to this process (available: %s)",
                     mask, list);
            return -1;
        }
        if (ignored != 0) {
            emu_log('W', "enabled_cpus_mask 0x%x: CPUs in 0x%x are not online or not "
                         "available to this process; ignored",
                    mask, ignored);
        }
        int bits = __builtin_popcount(mask);
        if (ep->enabled_cpus_num != 0 && ep->enabled_cpus_num != bits) {
            emu_log('W', "enabled_cpus_num %d does not match the %d CPUs of enabled_cpus_mask "
                         "0x%x; the mask wins",
                    ep->enabled_cpus_num, bits, mask);
        }
        return 0;
    }
    /* No mask: like the runtime, take enabled_cpus_num CPUs, preferring the
     * highest-numbered ones (the big cores on RK3588/RK3576). */
    int want = ep->enabled_cpus_num > 0 ? ep->enabled_cpus_num : CPU_COUNT(&avail);
    for (int c = CPU_SETSIZE - 1; c >= 0 && CPU_COUNT(out) < want; c--) {
        if (CPU_ISSET(c, &avail)) {
            CPU_SET(c, out);
        }
    }
    return 0;
}

/* ------------------------------------------------------------ the ABI */

EMU_EXPORT RKLLMParam rkllm_createDefaultParam(void)
{
    RKLLMParam p;
    memset(&p, 0, sizeof p);
    p.model_path = NULL;
    p.max_context_len = 512;
    p.max_new_tokens = -1;
    p.top_k = 40;
    p.n_keep = -1;
    p.top_p = 0.9f;
    p.temperature = 0.8f;
    p.repeat_penalty = 1.1f;
    p.frequency_penalty = 0.0f;
    p.presence_penalty = 0.0f;
    p.mirostat = 0;
    p.mirostat_tau = 5.0f;
    p.mirostat_eta = 0.1f;
    p.skip_special_token = true;
    p.is_async = false;
    p.extend_param.base_domain_id = 0;
    p.extend_param.embed_flash = 0;
    p.extend_param.enabled_cpus_num = 4;
    p.extend_param.enabled_cpus_mask = 0; /* let the runtime choose */
    p.extend_param.n_batch = 1;
    p.extend_param.use_cross_attn = 0;
    return p;
}

static void handle_free(emu_handle *h)
{
    if (h->slots != NULL) {
        for (int i = 0; i < h->n_batch; i++) {
            emu_free(h->slots[i].ids);
        }
    }
    emu_free(h->slots);
    if (h->out_buf != NULL) {
        release_buffers(h);
    }
    emu_free(h->out_buf);
    emu_free(h->results);
    emu_free(h->tmpl_system);
    emu_free(h->tmpl_prefix);
    emu_free(h->tmpl_postfix);
    tools_free(h);
    while (h->loras != NULL) {
        emu_lora_entry *l = h->loras;
        h->loras = l->next;
        emu_free(l->name);
        emu_free(l);
    }
    emu_free(h->cache_ids);
    for (int i = 0; i < 3; i++) {
        emu_free(h->img_tags[i]);
    }
    emu_model_free(&h->model);
    h->magic = 0;
    emu_free(h);
}

static void init_failed(const char *path, const char *why)
{
    emu_log('E', "rkllm_init failed for model_path '%s': %s", path != NULL ? path : "(NULL)",
            why);
}

#if NPU4J_EMU_ABI_MINOR >= 3
EMU_EXPORT int rkllm_init(LLMHandle *handle, RKLLMParam *param, RKLLMCallback *callback)
#else
EMU_EXPORT int rkllm_init(LLMHandle *handle, RKLLMParam *param, LLMResultCallback callback)
#endif
{
    if (handle == NULL) {
        emu_log('E', "rkllm_init: handle pointer is NULL");
        return -1;
    }
    *handle = NULL;
    if (param == NULL) {
        emu_log('E', "rkllm_init: param is NULL (use rkllm_createDefaultParam())");
        return -1;
    }
    const char *path = param->model_path;
#if NPU4J_EMU_ABI_MINOR >= 3
    LLMResultCallback result_cb = callback != NULL ? callback->result_callback : NULL;
#else
    LLMResultCallback result_cb = callback;
#endif
    if (result_cb == NULL) {
        init_failed(path, "no result callback given");
        return -1;
    }
    if (emu_env_long("NPU4J_EMULATOR_FAIL_INIT", 0, 0) != 0) {
        init_failed(path, "injected failure (NPU4J_EMULATOR_FAIL_INIT is set)");
        return -1;
    }
    if (path == NULL) {
        init_failed(path, "model_path is NULL");
        return -1;
    }

    char err[ERRLEN];
    emu_handle *h = emu_calloc(1, sizeof *h);
    if (h == NULL) {
        init_failed(path, "out of memory");
        return -1;
    }
    if (emu_model_load(path, &h->model, err, sizeof err) != 0) {
        init_failed(path, err);
        emu_free(h);
        return -1;
    }
    const emu_model *m = &h->model;
    if (param->max_context_len <= 0 || param->max_context_len > m->max_context_limit) {
        snprintf(err, sizeof err, "max_context_len %d must be between 1 and the model's "
                                  "max_context_limit %d",
                 param->max_context_len, m->max_context_limit);
        init_failed(path, err);
        handle_free(h);
        return -1;
    }
    int n_batch = param->extend_param.n_batch == 0 ? 1 : param->extend_param.n_batch;
    if (n_batch > m->max_batch) {
        snprintf(err, sizeof err, "extend_param.n_batch %d exceeds the emulated model's "
                                  "max_batch %d",
                 n_batch, m->max_batch);
        init_failed(path, err);
        handle_free(h);
        return -1;
    }
    if (choose_cpus(&param->extend_param, &h->cpus, err, sizeof err) != 0) {
        init_failed(path, err);
        handle_free(h);
        return -1;
    }

    h->max_context_len = param->max_context_len;
    h->max_new_tokens = param->max_new_tokens;
    h->n_keep = param->n_keep;
    h->skip_special_token = param->skip_special_token;
#if NPU4J_EMU_ABI_MINOR >= 3
    h->ignore_eos_token = param->ignore_eos_token;
    h->callback_userdata = callback->result_userdata;
#else
    h->ignore_eos_token = false;
    const char *img[3] = {param->img_start, param->img_end, param->img_content};
    for (int i = 0; i < 3; i++) {
        if (img[i] != NULL && (h->img_tags[i] = emu_strdup(img[i])) == NULL) {
            init_failed(path, "out of memory");
            handle_free(h);
            return -1;
        }
    }
#endif
    h->is_async = param->is_async;
    h->sampling = sampling_from_param(param);
    h->n_batch = n_batch;
    h->base_domain_id = param->extend_param.base_domain_id;
    h->embed_flash = param->extend_param.embed_flash;
    h->use_cross_attn = param->extend_param.use_cross_attn != 0;
    h->callback = result_cb;

    h->slots = emu_calloc((size_t)n_batch, sizeof *h->slots);
    h->results = emu_calloc((size_t)n_batch, sizeof *h->results);
    h->out_buf = emu_calloc((size_t)n_batch, sizeof *h->out_buf);
    bool ok = h->slots != NULL && h->results != NULL && h->out_buf != NULL;
    for (int i = 0; ok && i < n_batch; i++) {
        h->slots[i].ids = emu_malloc(sizeof(int32_t) * (size_t)h->max_context_len);
        ok = h->slots[i].ids != NULL;
    }
    ok = ok && replace_string(&h->tmpl_system, m->chat_system) &&
         replace_string(&h->tmpl_prefix, m->chat_prefix) &&
         replace_string(&h->tmpl_postfix, m->chat_postfix);
    if (!ok) {
        init_failed(path, "out of memory");
        handle_free(h);
        return -1;
    }

    /* The banner: says loudly that this is an emulator. */
    double speed = emu_env_speed();
    emu_log('I', "%s, rknpu driver version: none (no NPU: this is the npu4j emulator, not "
                 "Rockchip hardware), platform: %s (emulated)",
            k_version_text, m->platform);
    emu_log('I', "loading rkllm model from %s", path);
    emu_log('I', "npu4j emulator model: %s, profile: %s, dtype: %s, max_context_limit: %d, "
                 "npu_core_num: %d (emulated), timing: %.1f ms per 128 prompt tokens, "
                 "%.2f tok/s decode, speed factor %g",
            m->name, m->profile, m->dtype, m->max_context_limit, m->npu_cores,
            m->prefill_ms_per_token * 128.0, 1000.0 / m->decode_ms_per_token, speed);
    char cpus[256];
    int n_cpus = 0;
    format_cpus(cpus, sizeof cpus, &h->cpus, &n_cpus);
    emu_log('I', "Enabled cpus: %s", cpus);
    emu_log('I', "Enabled cpus num: %d", n_cpus);
    emu_log('I', "base_domain_id: %d, n_batch: %d, use_cross_attn: %d, embed_flash: %d, "
                 "is_async: %d (rkllm_run always blocks until FINISH, rkllm_run_async never "
                 "does)",
            (int)h->base_domain_id, n_batch, h->use_cross_attn ? 1 : 0, h->embed_flash,
            h->is_async ? 1 : 0);
    char esc[256];
    escape_for_log(esc, sizeof esc, h->tmpl_system);
    emu_log('I', "system_prompt: %s", esc);
    escape_for_log(esc, sizeof esc, h->tmpl_prefix);
    emu_log('I', "prompt_prefix: %s", esc);
    escape_for_log(esc, sizeof esc, h->tmpl_postfix);
    emu_log('I', "prompt_postfix: %s", esc);

    /* Loading takes the board's time too. */
    uint64_t load_ns = ms_to_ns(m->load_ms * speed);
    if (load_ns > 0) {
        struct timespec ts = {.tv_sec = (time_t)(load_ns / 1000000000ULL),
                              .tv_nsec = (long)(load_ns % 1000000000ULL)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int e1 = pthread_mutex_init(&h->mu, NULL);
    int e2 = pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (e1 != 0 || e2 != 0) {
        if (e1 == 0) {
            pthread_mutex_destroy(&h->mu);
        }
        if (e2 == 0) {
            pthread_cond_destroy(&h->cv);
        }
        init_failed(path, "cannot create the worker's mutex or condition variable");
        handle_free(h);
        return -1;
    }
    atomic_init(&h->abort_requested, false);
    for (int i = 0; i < n_batch; i++) {
        atomic_init(&h->slots[i].published_len, 0);
    }
    h->magic = HANDLE_MAGIC;

    /* The worker runs on the chosen CPUs from its first instruction on. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    int e = pthread_attr_setaffinity_np(&attr, sizeof h->cpus, &h->cpus);
    if (e == 0) {
        e = pthread_create(&h->worker, &attr, worker_main, h);
    }
    pthread_attr_destroy(&attr);
    if (e != 0) {
        snprintf(err, sizeof err, "cannot start the runtime thread on CPUs %s: %s", cpus,
                 strerror(e));
        init_failed(path, err);
        pthread_mutex_destroy(&h->mu);
        pthread_cond_destroy(&h->cv);
        handle_free(h);
        return -1;
    }
    *handle = h;
    return 0;
}

EMU_EXPORT int rkllm_destroy(LLMHandle handle)
{
    emu_handle *h = as_handle(handle, "rkllm_destroy");
    if (h == NULL) {
        return -1;
    }
    if (on_worker(h)) {
        emu_log('E', "rkllm_destroy: cannot destroy a handle from its own result callback");
        return -1;
    }
    pthread_mutex_lock(&h->mu);
    h->shutting_down = true;
    atomic_store(&h->abort_requested, true);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->worker, NULL);
    /* Let callers still blocked in rkllm_run leave before freeing. */
    pthread_mutex_lock(&h->mu);
    while (h->waiters > 0) {
        pthread_cond_wait(&h->cv, &h->mu);
    }
    emu_job *orphan = h->pending;
    h->pending = NULL;
    pthread_mutex_unlock(&h->mu);
    job_free(orphan);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    handle_free(h);
    fprintf(stderr, "npu4j-emulator rkllm: destroy handle=%p live_allocations=%ld\n", handle,
            emu_live_allocations());
    fflush(stderr);
    return 0;
}

static int run_common(LLMHandle handle, RKLLMInput *input, RKLLMInferParam *params,
                      void *userdata, bool sync, const char *fn)
{
    emu_handle *h = as_handle(handle, fn);
    if (h == NULL) {
        return -1;
    }
    if (on_worker(h)) {
        emu_log('E', "%s: cannot start a task from the result callback (the runtime thread "
                     "would wait for itself); return 1 to pause, then call %s from your "
                     "own thread",
                fn, fn);
        return -1;
    }
    char err[ERRLEN];
    emu_job *job = make_job(h, input, params, userdata, err, sizeof err);
    if (job == NULL) {
        emu_log('E', "%s: %s", fn, err);
        return -1;
    }
    job->sync = sync;
    return submit(h, job);
}

EMU_EXPORT int rkllm_run(LLMHandle handle, RKLLMInput *rkllm_input,
                         RKLLMInferParam *rkllm_infer_params, void *userdata)
{
    return run_common(handle, rkllm_input, rkllm_infer_params, userdata, true, "rkllm_run");
}

EMU_EXPORT int rkllm_run_async(LLMHandle handle, RKLLMInput *rkllm_input,
                               RKLLMInferParam *rkllm_infer_params, void *userdata)
{
    return run_common(handle, rkllm_input, rkllm_infer_params, userdata, false,
                      "rkllm_run_async");
}

EMU_EXPORT int rkllm_abort(LLMHandle handle)
{
    emu_handle *h = as_handle(handle, "rkllm_abort");
    if (h == NULL) {
        return -1;
    }
    atomic_store(&h->abort_requested, true);
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

EMU_EXPORT int rkllm_is_running(LLMHandle handle)
{
    emu_handle *h = as_handle(handle, "rkllm_is_running");
    if (h == NULL) {
        return -1;
    }
    pthread_mutex_lock(&h->mu);
    bool running = h->running;
    pthread_mutex_unlock(&h->mu);
#if NPU4J_EMU_ABI_MINOR >= 3
    return running ? 1 : 0;   /* 1.3.0: 1 while a task runs */
#else
    return running ? 0 : -1;  /* 1.2.x: 0 while a task runs, non-zero otherwise */
#endif
}

EMU_EXPORT int rkllm_load_lora(LLMHandle handle, RKLLMLoraAdapter *lora_adapter)
{
    emu_handle *h = as_handle(handle, "rkllm_load_lora");
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
    if (!lock_idle(h, "rkllm_load_lora")) {
        return -1;
    }
    emu_lora_entry *l = (emu_lora_entry *)find_lora(h, lora_adapter->lora_adapter_name);
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

EMU_EXPORT int rkllm_load_prompt_cache(LLMHandle handle, const char *prompt_cache_path)
{
    emu_handle *h = as_handle(handle, "rkllm_load_prompt_cache");
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
    if (!lock_idle(h, "rkllm_load_prompt_cache")) {
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
    emu_handle *h = as_handle(handle, "rkllm_release_prompt_cache");
    if (h == NULL || !lock_idle(h, "rkllm_release_prompt_cache")) {
        return -1;
    }
    emu_free(h->cache_ids);
    h->cache_ids = NULL;
    h->n_cache_ids = 0;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

EMU_EXPORT int rkllm_clear_kv_cache(LLMHandle handle, int keep_system_prompt, int *start_pos,
                                    int *end_pos)
{
    emu_handle *h = as_handle(handle, "rkllm_clear_kv_cache");
    if (h == NULL || !lock_idle(h, "rkllm_clear_kv_cache")) {
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
            publish(s);
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
        publish(s);
    }
    pthread_mutex_unlock(&h->mu);
    return 0;
}

EMU_EXPORT int rkllm_get_kv_cache_size(LLMHandle handle, int *cache_sizes)
{
    emu_handle *h = as_handle(handle, "rkllm_get_kv_cache_size");
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

EMU_EXPORT int rkllm_set_chat_template(LLMHandle handle, const char *system_prompt,
                                       const char *prompt_prefix, const char *prompt_postfix)
{
    emu_handle *h = as_handle(handle, "rkllm_set_chat_template");
    if (h == NULL || !lock_idle(h, "rkllm_set_chat_template")) {
        return -1;
    }
    if (!replace_string(&h->tmpl_system, system_prompt) ||
        !replace_string(&h->tmpl_prefix, prompt_prefix) ||
        !replace_string(&h->tmpl_postfix, prompt_postfix)) {
        pthread_mutex_unlock(&h->mu);
        emu_log('E', "rkllm_set_chat_template: out of memory");
        return -1;
    }
    /* As documented for the runtime: after a custom template, enable_thinking
     * no longer changes the prompt; the template itself has to. */
    h->custom_template = true;
    drop_system_only_slots(h);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

/* Reads the tools JSON: an array of {"type": "function", "function": {...}}
 * or of bare {"name": ..., "parameters": ...} objects. */
static int parse_tools(emu_handle *h, const ej_value *v, char *err, size_t errlen)
{
    size_t n = v->type == EJ_ARRAY ? v->count : 1;
    h->tools = emu_calloc(n, sizeof *h->tools);
    if (h->tools == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const ej_value *item = v->type == EJ_ARRAY ? v->items[i] : v;
        const ej_value *fn = ej_member(item, "function");
        if (fn == NULL) {
            fn = item;
        }
        const ej_value *name = ej_member(fn, "name");
        if (name == NULL || name->type != EJ_STRING || name->text[0] == '\0') {
            snprintf(err, errlen, "tool %zu has no \"name\"", i);
            return -1;
        }
        emu_tool *t = &h->tools[h->n_tools++];
        t->name = emu_strdup(name->text);
        const ej_value *params = ej_member(fn, "parameters");
        const ej_value *props = ej_member(params, "properties");
        const ej_value *req = ej_member(params, "required");
        size_t na = 0;
        if (req != NULL && req->type == EJ_ARRAY) {
            na = req->count;
        } else if (props != NULL) {
            na = props->count;
        }
        t->args = emu_calloc(na, sizeof *t->args);
        t->types = emu_calloc(na, sizeof *t->types);
        t->first_enum = emu_calloc(na, sizeof *t->first_enum);
        if (t->name == NULL || t->args == NULL || t->types == NULL || t->first_enum == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t k = 0; k < na; k++) {
            const char *arg = NULL;
            if (req != NULL && req->type == EJ_ARRAY) {
                if (req->items[k]->type == EJ_STRING) {
                    arg = req->items[k]->text;
                }
            } else {
                arg = props->keys[k];
            }
            if (arg == NULL) {
                continue;
            }
            const ej_value *schema = ej_member(props, arg);
            const ej_value *type = ej_member(schema, "type");
            const ej_value *en = ej_member(schema, "enum");
            int a = t->n_args++;
            t->args[a] = emu_strdup(arg);
            if (type != NULL && type->type == EJ_STRING) {
                t->types[a] = emu_strdup(type->text);
            }
            if (en != NULL && en->type == EJ_ARRAY && en->count > 0) {
                emu_sb sb = {0};
                ej_write_value(&sb, en->items[0]);
                t->first_enum[a] = sb.failed ? NULL : sb.buf;
                if (sb.failed) {
                    emu_sb_free(&sb);
                }
            }
            if (t->args[a] == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
    }
    return 0;
}

static int set_function_tools_locked(emu_handle *h, const char *system_prompt,
                                     const char *tools, const char *tool_response_str)
{
    if (!h->model.qwen_tools) {
        emu_log('E', "rkllm_set_function_tools: the emulated model %s has no function calling "
                     "(descriptor: tool_calls = none)",
                h->model.name);
        return -1;
    }
    tools_free(h);
    drop_system_only_slots(h);
    if (tools == NULL || tools[0] == '\0') {
        return 0; /* function calling off */
    }
    char err[ERRLEN];
    ej_value *v = ej_parse(tools, err, sizeof err);
    if (v == NULL || (v->type != EJ_ARRAY && v->type != EJ_OBJECT)) {
        emu_log('E', "rkllm_set_function_tools: tools must be a JSON array of function "
                     "declarations: %s",
                v == NULL ? err : "got a JSON scalar");
        ej_free(v);
        return -1;
    }
    int rc = parse_tools(h, v, err, sizeof err);
    ej_free(v);
    if (rc != 0) {
        emu_log('E', "rkllm_set_function_tools: %s", err);
        tools_free(h);
        return -1;
    }
    /* The system turn the emulated model sees: the caller's system prompt and
     * the declarations, in Qwen's chat markup. */
    emu_sb sb = {0};
    emu_sb_puts(&sb, "<|im_start|>system\n");
    emu_sb_puts(&sb, system_prompt != NULL ? system_prompt : "");
    emu_sb_puts(&sb, "\n\n# Tools\n\nYou can call these functions; declarations in "
                     "<tools></tools>:\n<tools>\n");
    emu_sb_puts(&sb, tools);
    emu_sb_puts(&sb, "\n</tools>\n\nTo call one, answer with <tool_call></tool_call> around a "
                     "JSON object holding \"name\" and \"arguments\".<|im_end|>\n");
    h->tool_tag = emu_strdup(tool_response_str != NULL && tool_response_str[0] != '\0'
                                 ? tool_response_str
                                 : "tool_response");
    if (sb.failed || h->tool_tag == NULL) {
        emu_sb_free(&sb);
        tools_free(h);
        emu_log('E', "rkllm_set_function_tools: out of memory");
        return -1;
    }
    h->tools_system = sb.buf;
    return 0;
}

EMU_EXPORT int rkllm_set_function_tools(LLMHandle handle, const char *system_prompt,
                                        const char *tools, const char *tool_response_str)
{
    emu_handle *h = as_handle(handle, "rkllm_set_function_tools");
    if (h == NULL || !lock_idle(h, "rkllm_set_function_tools")) {
        return -1;
    }
    int rc = set_function_tools_locked(h, system_prompt, tools, tool_response_str);
    pthread_mutex_unlock(&h->mu);
    return rc;
}

EMU_EXPORT int rkllm_set_cross_attn_params(LLMHandle handle, RKLLMCrossAttnParam *p)
{
    emu_handle *h = as_handle(handle, "rkllm_set_cross_attn_params");
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
    if (read_floats(m, p->encoder_k_cache, n, n, NULL, &d, "encoder_k_cache", err,
                    sizeof err) != 0 ||
        read_floats(m, p->encoder_v_cache, n, n, NULL, &d, "encoder_v_cache", err,
                    sizeof err) != 0 ||
        read_floats(m, p->encoder_mask, (size_t)p->num_tokens, (size_t)p->num_tokens, NULL, &d,
                    "encoder_mask", err, sizeof err) != 0) {
        emu_log('E', "rkllm_set_cross_attn_params: %s", err);
        return -1;
    }
    for (int i = 0; i < p->num_tokens; i++) {
        d = emu_hash_u64(d, (uint32_t)p->encoder_pos[i]);
    }
    if (!lock_idle(h, "rkllm_set_cross_attn_params")) {
        return -1;
    }
    h->cross_digest = d;
    pthread_mutex_unlock(&h->mu);
    return 0;
}

/* ------------------------------------------------ npu4j introspection */

EMU_EXPORT long npu4j_emulator_live_allocations(void);
EMU_EXPORT long npu4j_emulator_run_count(void);
EMU_EXPORT const char *npu4j_emulator_version(void);

/* Process-wide number of runs started (rkllm_run and rkllm_run_async that
 * reached the runtime thread), on every handle: one per batch, whatever its
 * n_batch. */
EMU_EXPORT long npu4j_emulator_run_count(void)
{
    return atomic_load_explicit(&g_runs, memory_order_relaxed);
}

/* Process-wide number of heap blocks the emulator currently owns. */
EMU_EXPORT long npu4j_emulator_live_allocations(void)
{
    return emu_live_allocations();
}

/* The version text also printed by the banner. */
EMU_EXPORT const char *npu4j_emulator_version(void)
{
    return k_version_text;
}
