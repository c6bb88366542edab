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
 * All state is per handle; the only globals are the allocation counter, the
 * run counter and constant tables.
 *
 * This file holds the handle's life: rkllm_init (model, parameters, CPUs,
 * banner, worker thread) and rkllm_destroy. The rest of the runtime is split
 * by responsibility, sharing emu_runtime.h: emu_request.c (validating and
 * copying a request), emu_worker.c (the worker thread and the run/abort
 * calls), emu_run.c (one run: prefill, decode loop, timing, callbacks, fault
 * injection), emu_context.c (chat template, KV cache, prompt cache),
 * emu_tools.c (function calling and the answer plan) and emu_adapters.c
 * (LoRA, cross-attention).
 */

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emu_runtime.h"

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

/* ------------------------------------------------------- handle checks */

emu_handle *emu_as_handle(LLMHandle handle, const char *fn)
{
    emu_handle *h = handle;
    if (h == NULL || h->magic != HANDLE_MAGIC) {
        emu_log('E', "%s: invalid handle %p (NULL, destroyed, or not from rkllm_init)", fn,
                handle);
        return NULL;
    }
    return h;
}

bool emu_on_worker(const emu_handle *h)
{
    return pthread_equal(pthread_self(), h->worker) != 0;
}

/* Replaces *field by a copy of value ("" for NULL). */
bool emu_replace_string(char **field, const char *value)
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

/* ---------------------------------------------------------- CPU choice */

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

/* ------------------------------------------------------------- the ABI */

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
        emu_release_buffers(h);
    }
    emu_free(h->out_buf);
    emu_free(h->results);
    emu_free(h->tmpl_system);
    emu_free(h->tmpl_prefix);
    emu_free(h->tmpl_postfix);
    emu_tools_free(h);
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
    h->sampling = emu_sampling_from_param(param);
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
    ok = ok && emu_replace_string(&h->tmpl_system, m->chat_system) &&
         emu_replace_string(&h->tmpl_prefix, m->chat_prefix) &&
         emu_replace_string(&h->tmpl_postfix, m->chat_postfix);
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
    uint64_t load_ns = emu_ms_to_ns(m->load_ms * speed);
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
        e = pthread_create(&h->worker, &attr, emu_worker_main, h);
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
    emu_handle *h = emu_as_handle(handle, "rkllm_destroy");
    if (h == NULL) {
        return -1;
    }
    if (emu_on_worker(h)) {
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
    emu_job_free(orphan);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    handle_free(h);
    fprintf(stderr, "npu4j-emulator rkllm: destroy handle=%p live_allocations=%ld\n", handle,
            emu_live_allocations());
    fflush(stderr);
    return 0;
}

/* ------------------------------------------------- npu4j introspection */

EMU_EXPORT long npu4j_emulator_live_allocations(void);
EMU_EXPORT const char *npu4j_emulator_version(void);

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
