/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Private to the runtime part of the npu4j RKLLM emulator (emu_runtime.c,
 * emu_request.c, emu_worker.c, emu_run.c, emu_context.c, emu_tools.c,
 * emu_adapters.c): the handle, its conversations, jobs and the working state
 * of a run, and the functions those files share. Nothing here is exported.
 *
 * Locking: the fields of emu_handle under "worker and task state" are
 * guarded by its mutex mu; conversation state (slots, templates, tools,
 * LoRA, prompt cache) changes only with mu held and no task running
 * (emu_lock_idle), or on the worker thread during a task.
 */
#ifndef NPU4J_EMU_RUNTIME_H
#define NPU4J_EMU_RUNTIME_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu_internal.h"

/* Size of the error message buffers of the runtime. */
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

typedef struct {
    int32_t *ids;
    int len;
    int cap;
    bool failed;
} id_list;

/* ---------------------------------------------------------------- helpers */

static inline uint64_t emu_ms_to_ns(double ms)
{
    return ms <= 0.0 ? 0 : (uint64_t)(ms * 1e6);
}

/* emu_runtime.c: the handle */

/* The handle behind an LLMHandle, or NULL (logged, naming fn) when it is
 * NULL, destroyed or not from rkllm_init. */
emu_handle *emu_as_handle(LLMHandle handle, const char *fn);
/* True on the handle's worker thread (inside a result callback). */
bool emu_on_worker(const emu_handle *h);
/* Replaces *field by a copy of value ("" for NULL); false when out of memory. */
bool emu_replace_string(char **field, const char *value);

/* emu_request.c: requests */

emu_sampling emu_sampling_from_param(const RKLLMParam *p);
uint64_t emu_hash_float(uint64_t h, float f);
uint64_t emu_hash_sampling(uint64_t h, const emu_sampling *s);
/* Reads count floats, rejecting NaN and infinities, and folds every one of
 * them into *digest. Each group of `group` floats (one token) also yields a
 * token id in ids[] when ids is not NULL. 0, or -1 with a message in err. */
int emu_read_floats(const emu_model *m, const float *data, size_t count, size_t group,
                    int32_t *ids, uint64_t *digest, const char *what, char *err,
                    size_t errlen);
/* Builds a job from the caller's arguments; NULL with a message on error.
 * Takes h->mu briefly (LoRA lookup). */
emu_job *emu_job_make(emu_handle *h, const RKLLMInput *input, const RKLLMInferParam *ip,
                      void *userdata, char *err, size_t errlen);
void emu_job_free(emu_job *j); /* NULL is fine */

/* emu_worker.c: the worker thread */

void *emu_worker_main(void *arg);
/* Waits until the monotonic deadline or an abort; true when aborted. */
bool emu_wait_until(emu_handle *h, uint64_t deadline_ns);
/* Takes h->mu and returns true when no task runs (the caller then unlocks);
 * otherwise logs (naming fn), unlocks and returns false. */
bool emu_lock_idle(emu_handle *h, const char *fn);

/* emu_run.c: one run */

/* Runs one job on the worker thread; returns the value rkllm_run returns. */
int emu_run_job(emu_handle *h, emu_job *job);
/* Frees the per-slot hidden state / logits buffers. */
void emu_release_buffers(emu_handle *h);

/* emu_context.c: templating and the KV cache */

/* Makes s->len visible to rkllm_get_kv_cache_size. */
void emu_slot_publish(emu_slot *s);
/* True when the model's own (thinking) chat template is in use. */
bool emu_thinking_template(const emu_handle *h);
/* Token ids of the new input for one slot, templated like the runtime does;
 * *system_tokens: how many of them are the system prompt. 0, or -1 when out
 * of memory. */
int emu_build_input_ids(emu_handle *h, const emu_slot *slot, const emu_request *rq,
                        id_list *out, int *system_tokens);
/* The tokens a context shift keeps: n_keep, or the system prompt. */
int emu_effective_keep(const emu_handle *h, const emu_slot *s);
/* Appends a token, shifting the context first when it is full. */
void emu_kv_append(emu_handle *h, emu_slot *s, int32_t id);
/* Forgets conversations that hold nothing but a system prompt. */
void emu_drop_system_only_slots(emu_handle *h);

/* emu_tools.c: function calling and the answer plan */

void emu_tools_free(emu_handle *h);
/* Plans the answer of one batch entry into r->gen. */
void emu_plan_answer(emu_handle *h, slot_run *r, const emu_request *rq, emu_script script);

/* emu_adapters.c: LoRA and cross-attention */

/* The loaded LoRA adapter of that name, or NULL; h->mu must be held. */
const emu_lora_entry *emu_lora_find(const emu_handle *h, const char *name);

#endif /* NPU4J_EMU_RUNTIME_H */
