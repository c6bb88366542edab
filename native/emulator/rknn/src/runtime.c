/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Contexts of the emulated RKNN runtime: rknn_init, rknn_dup_context,
 * rknn_destroy, rknn_query, core masks; logging, environment, NPU cores and
 * the introspection helpers. IO and memory are in io.c.
 *
 * Contexts are integers from a registry (rknn_context is not a pointer), so a
 * destroyed or made-up handle is refused with RKNN_ERR_CTX_INVALID.
 */
#include "rkemu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rk_state rk = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cores_free = PTHREAD_COND_INITIALIZER,
    .next_id = 0x1000,
};

/* ---------------------------------------------------------------- logging and environment */

static int log_level(void) {
    const char *v = getenv("RKNN_LOG_LEVEL");
    return v ? atoi(v) : 0;
}

int rk_fail(int code, const char *fn, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "E RKNN: [npu4j emulator] %s: %s\n", fn, msg);
    return code;
}

void rk_info(const char *fmt, ...) {
    if (log_level() < 3) {
        return;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "I RKNN: [npu4j emulator] %s\n", msg);
}

const char *rk_platform_name(rk_platform p) {
    return p == RK_RK3576 ? "rk3576" : "rk3588";
}

uint32_t rk_platform_cores(rk_platform p) {
    return p == RK_RK3576 ? 0x3u : 0x7u;
}

rk_platform rk_env_platform(void) {
    const char *v = getenv("NPU4J_EMULATOR_RKNN_PLATFORM");
    return v && strcmp(v, "rk3576") == 0 ? RK_RK3576 : RK_RK3588;
}

double rk_env_speed(void) {
    const char *v = getenv("NPU4J_EMULATOR_SPEED");
    if (!v || !*v) {
        return 1.0;
    }
    char *end;
    double s = strtod(v, &end);
    return *end || s < 0 ? 1.0 : s;
}

static long env_long(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        return -1;
    }
    char *end;
    long n = strtol(v, &end, 10);
    return *end ? -1 : n;
}

uint64_t rk_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rk_sleep_ns(double ns) {
    if (ns <= 0) {
        return;
    }
    struct timespec ts = {(time_t)(ns / 1e9), (long)((uint64_t)ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void banner(void) {
    if (rk.banner_done) {
        return;
    }
    rk.banner_done = true;
    rk_platform p = rk_env_platform();
    fprintf(stderr, "npu4j emulator: %s; emulated %s NPU (%d cores), no hardware, speed %g\n", RK_VERSION_STRING,
            p == RK_RK3576 ? "RK3576" : "RK3588", p == RK_RK3576 ? 2 : 3, rk_env_speed());
}

/* ---------------------------------------------------------------- NPU cores */

uint32_t rk_cores_take(uint32_t mask, rk_platform p) {
    uint32_t all = rk_platform_cores(p);
    pthread_mutex_lock(&rk.lock);
    uint32_t taken = 0;
    for (;;) {
        if (mask == 0) { /* AUTO: the lowest free core */
            uint32_t free_cores = all & ~rk.cores_busy;
            if (free_cores) {
                taken = free_cores & -free_cores;
                break;
            }
        } else if ((rk.cores_busy & mask) == 0) {
            taken = mask;
            break;
        }
        pthread_cond_wait(&rk.cores_free, &rk.lock);
    }
    rk.cores_busy |= taken;
    pthread_mutex_unlock(&rk.lock);
    return taken;
}

void rk_cores_give(uint32_t taken) {
    pthread_mutex_lock(&rk.lock);
    rk.cores_busy &= ~taken;
    pthread_cond_broadcast(&rk.cores_free);
    pthread_mutex_unlock(&rk.lock);
}

/* ---------------------------------------------------------------- registry */

struct rk_ctx *rk_ctx_acquire(rknn_context id) {
    pthread_mutex_lock(&rk.lock);
    struct rk_ctx *c = rk.contexts;
    while (c && c->id != id) {
        c = c->next;
    }
    if (c && c->closing) {
        c = NULL;
    }
    if (c) {
        c->users++;
    }
    pthread_mutex_unlock(&rk.lock);
    if (c) {
        pthread_mutex_lock(&c->lock);
    }
    return c;
}

void rk_ctx_release(struct rk_ctx *c) {
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_lock(&rk.lock);
    if (--c->users == 0) {
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&rk.lock);
}

static void ctx_free(struct rk_ctx *c) {
    for (int i = 0; i < RK_MAX_TENSORS; i++) {
        emu_free(c->canon_out[i]);
    }
    emu_free(c->canon_in);
    while (c->outbufs) {
        struct rk_outbuf *b = c->outbufs;
        c->outbufs = b->next;
        emu_free(b->buf);
        emu_free(b);
        rk.live_outputs--;
    }
    emu_free(c->perf_detail);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->idle);
    emu_free(c);
}

/* A new context on desc (one reference taken), registered under a fresh id. */
static int ctx_new(struct rk_desc *d, uint32_t flags, rknn_context *out) {
    struct rk_ctx *c = emu_calloc(1, sizeof *c);
    if (!c) {
        return RKNN_ERR_MALLOC_FAIL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->idle, NULL);
    c->desc = d;
    c->flags = flags;
    c->batch_core_num = 1;
    c->canon_in = emu_calloc(1, rk_tensor_elems(&d->in[0]));
    bool ok = c->canon_in != NULL;
    for (int i = 0; i < d->nout && ok; i++) {
        c->canon_out[i] = emu_calloc(1, rk_tensor_bytes(&d->out[i]));
        ok = c->canon_out[i] != NULL;
    }
    if (!ok) {
        ctx_free(c);
        return RKNN_ERR_MALLOC_FAIL;
    }
    pthread_mutex_lock(&rk.lock);
    d->refs++;
    c->id = rk.next_id++;
    c->next = rk.contexts;
    rk.contexts = c;
    rk.live_contexts++;
    pthread_mutex_unlock(&rk.lock);
    *out = c->id;
    return RKNN_SUCC;
}

static int read_file(const char *path, char **text, size_t *len, char *why, size_t whylen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "cannot open model file \"%s\": %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = emu_malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            break;
        }
        if (cap >= (2u << 20)) { /* more than a descriptor can be: read just enough to refuse it */
            break;
        }
        char *nb = emu_realloc(buf, cap * 2);
        if (!nb) {
            emu_free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    if (!buf) {
        snprintf(why, whylen, "out of memory reading \"%s\"", path);
        return -1;
    }
    *text = buf;
    *len = n;
    return 0;
}

int rknn_init(rknn_context *context, void *model, uint32_t size, uint32_t flag, rknn_init_extend *extend) {
    pthread_mutex_lock(&rk.lock);
    banner();
    pthread_mutex_unlock(&rk.lock);
    if (!context || !model) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_init", "context and model must not be NULL");
    }
    *context = 0;
    if (env_long("NPU4J_EMULATOR_RKNN_FAIL_INIT") > 0) {
        return rk_fail(RKNN_ERR_DEVICE_UNAVAILABLE, "rknn_init",
                       "failed to open rknpu module (fault injected by NPU4J_EMULATOR_RKNN_FAIL_INIT)");
    }
    if (flag & RKNN_FLAG_MODEL_BUFFER_ZERO_COPY) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_init",
                       "RKNN_FLAG_MODEL_BUFFER_ZERO_COPY (a model in NPU memory) is not emulated");
    }
    char why[400];
    char *text = model;
    size_t len = size;
    bool owned = false;
    if (size == 0) {
        if (read_file((const char *)model, &text, &len, why, sizeof why) != 0) {
            return rk_fail(RKNN_ERR_MODEL_INVALID, "rknn_init", "%s", why);
        }
        owned = true;
    }
    struct rk_desc *d = NULL;
    int rc = rk_desc_parse(text, len, &d, why, sizeof why);
    if (owned) {
        emu_free(text);
    }
    if (rc != RKNN_SUCC) {
        return rk_fail(rc, "rknn_init", "%s", why);
    }
    rc = ctx_new(d, flag, context);
    pthread_mutex_lock(&rk.lock);
    rk_desc_unref(d); /* the context holds its own reference */
    pthread_mutex_unlock(&rk.lock);
    if (rc != RKNN_SUCC) {
        return rk_fail(rc, "rknn_init", "out of memory");
    }
    if (extend) {
        extend->ctx = *context;
    }
    rk_info("rknn_init: model \"%s\" (%d inputs, %d outputs), context 0x%llx", d->name, d->nin, d->nout,
            (unsigned long long)*context);
    return RKNN_SUCC;
}

int rknn_dup_context(rknn_context *context_in, rknn_context *context_out) {
    if (!context_in || !context_out) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_dup_context", "context pointers must not be NULL");
    }
    struct rk_ctx *c = rk_ctx_acquire(*context_in);
    if (!c) {
        return rk_fail(RKNN_ERR_CTX_INVALID, "rknn_dup_context", "invalid context 0x%llx",
                       (unsigned long long)*context_in);
    }
    int rc = ctx_new(c->desc, c->flags, context_out);
    rk_ctx_release(c);
    return rc == RKNN_SUCC ? rc : rk_fail(rc, "rknn_dup_context", "out of memory");
}

int rknn_destroy(rknn_context context) {
    pthread_mutex_lock(&rk.lock);
    struct rk_ctx **pp = &rk.contexts;
    while (*pp && (*pp)->id != context) {
        pp = &(*pp)->next;
    }
    struct rk_ctx *c = *pp;
    if (!c || c->closing) {
        pthread_mutex_unlock(&rk.lock);
        return rk_fail(RKNN_ERR_CTX_INVALID, "rknn_destroy", "invalid context 0x%llx", (unsigned long long)context);
    }
    /* New calls are refused from here on; a call in progress (a run) finishes first. */
    c->closing = true;
    while (c->users > 0) {
        pthread_cond_wait(&c->idle, &rk.lock);
    }
    *pp = c->next;
    rk.live_contexts--;
    long mems = 0;
    for (struct rk_mem *m = rk.mems; m; m = m->next) {
        mems += m->owner == context;
    }
    struct rk_desc *d = c->desc;
    ctx_free(c);
    rk_desc_unref(d);
    long live = emu_live_allocations();
    pthread_mutex_unlock(&rk.lock);
    if (mems) {
        rk_fail(RKNN_SUCC, "rknn_destroy", "%ld tensor memories of this context were not destroyed (leaked)", mems);
    }
    rk_info("rknn_destroy: context 0x%llx destroyed; live allocations %ld", (unsigned long long)context, live);
    return RKNN_SUCC;
}

/* ---------------------------------------------------------------- queries */

static int need(uint32_t size, size_t want, const char *what) {
    if (size < want) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_query", "%s needs %zu bytes, got %u", what, want, size);
    }
    return RKNN_SUCC;
}

static int query_attr(struct rk_ctx *c, bool input, enum rk_attr_kind kind, void *info, uint32_t size) {
    int rc = need(size, sizeof(rknn_tensor_attr), "a tensor attribute query");
    if (rc) {
        return rc;
    }
    rknn_tensor_attr *a = info;
    uint32_t n = (uint32_t)(input ? c->desc->nin : c->desc->nout);
    if (a->index >= n) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_query", "%s index %u out of range (the model has %u)",
                       input ? "input" : "output", a->index, n);
    }
    uint32_t index = a->index;
    rk_attr_fill(input ? &c->desc->in[index] : &c->desc->out[index], index, input, kind, a);
    return RKNN_SUCC;
}

int rknn_query(rknn_context context, rknn_query_cmd cmd, void *info, uint32_t size) {
    if (!info) {
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_query", "info must not be NULL");
    }
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return rk_fail(RKNN_ERR_CTX_INVALID, "rknn_query", "invalid context 0x%llx", (unsigned long long)context);
    }
    const struct rk_desc *d = c->desc;
    int rc = RKNN_SUCC;
    switch (cmd) {
    case RKNN_QUERY_IN_OUT_NUM:
        if (!(rc = need(size, sizeof(rknn_input_output_num), "RKNN_QUERY_IN_OUT_NUM"))) {
            ((rknn_input_output_num *)info)->n_input = (uint32_t)d->nin;
            ((rknn_input_output_num *)info)->n_output = (uint32_t)d->nout;
        }
        break;
    case RKNN_QUERY_INPUT_ATTR:
    case RKNN_QUERY_CURRENT_INPUT_ATTR: rc = query_attr(c, true, RK_ATTR_NORMAL, info, size); break;
    case RKNN_QUERY_OUTPUT_ATTR:
    case RKNN_QUERY_CURRENT_OUTPUT_ATTR: rc = query_attr(c, false, RK_ATTR_NORMAL, info, size); break;
    case RKNN_QUERY_NATIVE_INPUT_ATTR:
    case RKNN_QUERY_CURRENT_NATIVE_INPUT_ATTR: rc = query_attr(c, true, RK_ATTR_NATIVE, info, size); break;
    case RKNN_QUERY_NATIVE_OUTPUT_ATTR:
    case RKNN_QUERY_CURRENT_NATIVE_OUTPUT_ATTR: rc = query_attr(c, false, RK_ATTR_NATIVE, info, size); break;
    case RKNN_QUERY_NATIVE_NHWC_INPUT_ATTR: rc = query_attr(c, true, RK_ATTR_NATIVE_NHWC, info, size); break;
    case RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR: rc = query_attr(c, false, RK_ATTR_NATIVE_NHWC, info, size); break;
    case RKNN_QUERY_PERF_RUN:
        if (!(rc = need(size, sizeof(rknn_perf_run), "RKNN_QUERY_PERF_RUN"))) {
            ((rknn_perf_run *)info)->run_duration = c->last_run_us;
        }
        break;
    case RKNN_QUERY_PERF_DETAIL:
        if (!(c->flags & RKNN_FLAG_COLLECT_PERF_MASK)) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_query",
                         "RKNN_QUERY_PERF_DETAIL needs RKNN_FLAG_COLLECT_PERF_MASK at rknn_init");
        } else if (!(rc = need(size, sizeof(rknn_perf_detail), "RKNN_QUERY_PERF_DETAIL"))) {
            emu_free(c->perf_detail);
            c->perf_detail = emu_malloc(256);
            int n = c->perf_detail ? snprintf(c->perf_detail, 256,
                                              "npu4j emulator: no per-layer timing; whole model \"%s\" %lld us\n",
                                              d->name, (long long)c->last_run_us)
                                   : 0;
            ((rknn_perf_detail *)info)->perf_data = c->perf_detail;
            ((rknn_perf_detail *)info)->data_len = (uint64_t)n;
        }
        break;
    case RKNN_QUERY_SDK_VERSION:
        if (!(rc = need(size, sizeof(rknn_sdk_version), "RKNN_QUERY_SDK_VERSION"))) {
            rknn_sdk_version *v = info;
            memset(v, 0, sizeof *v);
            snprintf(v->api_version, sizeof v->api_version, "%s", RK_API_VERSION);
            snprintf(v->drv_version, sizeof v->drv_version, "%s", RK_DRV_VERSION);
        }
        break;
    case RKNN_QUERY_MEM_SIZE:
        if (!(rc = need(size, sizeof(rknn_mem_size), "RKNN_QUERY_MEM_SIZE"))) {
            rknn_mem_size *m = info;
            memset(m, 0, sizeof *m);
            m->total_weight_size = d->weight_bytes;
            m->total_internal_size = d->internal_bytes;
            m->total_dma_allocated_size = (uint64_t)d->weight_bytes + d->internal_bytes;
        }
        break;
    case RKNN_QUERY_CUSTOM_STRING:
        if (!(rc = need(size, sizeof(rknn_custom_string), "RKNN_QUERY_CUSTOM_STRING"))) {
            memset(info, 0, sizeof(rknn_custom_string));
            snprintf(((rknn_custom_string *)info)->string, sizeof(rknn_custom_string), "%s", d->custom);
        }
        break;
    default:
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_query", "query command %d is not supported by the emulator",
                     (int)cmd);
    }
    rk_ctx_release(c);
    return rc;
}

/* ---------------------------------------------------------------- cores */

int rknn_set_core_mask(rknn_context context, rknn_core_mask core_mask) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return rk_fail(RKNN_ERR_CTX_INVALID, "rknn_set_core_mask", "invalid context 0x%llx",
                       (unsigned long long)context);
    }
    uint32_t all = rk_platform_cores(rk_env_platform()), m = (uint32_t)core_mask;
    /* The enum's values only; on RK3576 none naming core 2 (rknpu 0.9.8: 0x3). */
    bool known = m == RKNN_NPU_CORE_AUTO || m == RKNN_NPU_CORE_0 || m == RKNN_NPU_CORE_1 || m == RKNN_NPU_CORE_2 ||
                 m == RKNN_NPU_CORE_0_1 || m == RKNN_NPU_CORE_0_1_2 || m == RKNN_NPU_CORE_ALL;
    int rc = RKNN_SUCC;
    if (!known || (m != RKNN_NPU_CORE_ALL && (m & ~all))) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_core_mask", "Not support core mask: %x (%s has cores 0x%x)", m,
                     rk_platform_name(rk_env_platform()), all);
    } else {
        c->core_mask = m == RKNN_NPU_CORE_ALL ? all : m;
    }
    rk_ctx_release(c);
    return rc;
}

int rknn_set_batch_core_num(rknn_context context, int core_num) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return rk_fail(RKNN_ERR_CTX_INVALID, "rknn_set_batch_core_num", "invalid context 0x%llx",
                       (unsigned long long)context);
    }
    int cores = __builtin_popcount(rk_platform_cores(rk_env_platform())), rc = RKNN_SUCC;
    if (core_num < 1 || core_num > cores) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_batch_core_num", "core_num %d out of range 1..%d", core_num,
                     cores);
    } else {
        c->batch_core_num = core_num;
    }
    rk_ctx_release(c);
    return rc;
}

/* ---------------------------------------------------------------- introspection */

int64_t npu4j_emulator_rknn_live(const char *kind) {
    if (!kind) {
        return -1;
    }
    pthread_mutex_lock(&rk.lock);
    int64_t v = -1;
    if (strcmp(kind, "allocations") == 0) {
        v = emu_live_allocations();
    } else if (strcmp(kind, "contexts") == 0) {
        v = rk.live_contexts;
    } else if (strcmp(kind, "mems") == 0) {
        v = rk.live_mems;
    } else if (strcmp(kind, "outputs") == 0) {
        v = rk.live_outputs;
    } else if (strcmp(kind, "matmuls") == 0) {
        v = rk.live_matmuls;
    }
    pthread_mutex_unlock(&rk.lock);
    return v;
}

uint64_t npu4j_emulator_rknn_run_count(void) {
    pthread_mutex_lock(&rk.lock);
    uint64_t n = rk.runs;
    pthread_mutex_unlock(&rk.lock);
    return n;
}
