/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Devices, contexts and streams.
 *
 * Device ids are PCI bus numbers, as with the real runtime (the default card
 * sits at 0000:01:00.0, so its id is 1); axclrtGetDeviceList gives them.
 *
 * Contexts follow the AXCL documentation: axclrtSetDevice creates (once per
 * device and process) an implicit default context, reference-counts the
 * device and makes that context current in the calling thread; the context is
 * released when axclrtResetDevice brings the count back to zero, together with
 * the explicit contexts of the device. axclrtCreateContext creates an explicit
 * context and makes it current in the calling thread. The current context is
 * per thread; engine and memory calls fail with CONTEXT/NO_BIND_CONTEXT in a
 * thread that has none.
 *
 * Streams run their tasks in order on a worker thread each. Errors of a
 * queued task are kept and returned by the next synchronize of the stream.
 * A NULL stream means the default stream of the current context.
 */
#include "axemu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The calling thread's current context (one TLS block, looked up once per use). */
struct current {
    struct ax_ctx *ctx;
    uint64_t generation; /* ax.generation when it was set */
    uint64_t serial;     /* the context's serial when it was set */
};
static _Thread_local struct current t_cur;
static uint64_t g_ctx_serial;

/* Contexts carry a serial so that a stale thread-local pointer is never
 * mistaken for a newer context allocated at the same address. */
struct ax_ctx_ext {
    struct ax_ctx base;
    uint64_t serial;
};

struct ax_device *ax_device_by_id(int32_t id) {
    for (int i = 0; i < ax.ndev; i++) {
        if (ax.dev[i].id == id) {
            return &ax.dev[i];
        }
    }
    return NULL;
}

ax_link ax_device_link(const struct ax_device *d) {
    ax_link l;
    if (ax_env_link(&l)) {
        return l;
    }
    return d->cfg.has_link ? d->cfg.link : AX_LINK_GEN2X1;
}

ax_profile ax_device_profile(const struct ax_device *d) {
    ax_profile p;
    if (ax_env_profile(&p)) {
        return p;
    }
    if (d->cfg.has_profile) {
        return d->cfg.profile;
    }
    return ax_device_link(d) == AX_LINK_NATIVE ? AX_PROFILE_NATIVE : AX_PROFILE_DEFAULT;
}

/* ------------------------------------------------------------------ */
/* Contexts                                                            */
/* ------------------------------------------------------------------ */

bool ax_ctx_live(const struct ax_ctx *ctx) {
    if (!ctx) {
        return false;
    }
    for (struct ax_ctx *c = ax.contexts; c; c = c->next) {
        if (c == ctx) {
            return c->magic == AX_MAGIC_CTX;
        }
    }
    return false;
}

struct ax_ctx *ax_current_ctx(void) {
    struct current *cur = &t_cur;
    if (!cur->ctx || cur->generation != ax.generation || !ax.initialized) {
        return NULL;
    }
    if (!ax_ctx_live(cur->ctx) || ((struct ax_ctx_ext *)cur->ctx)->serial != cur->serial) {
        cur->ctx = NULL;
        return NULL;
    }
    return cur->ctx;
}

void ax_set_current_ctx(struct ax_ctx *ctx) {
    struct current *cur = &t_cur;
    cur->ctx = ctx;
    cur->generation = ax.generation;
    cur->serial = ctx ? ((struct ax_ctx_ext *)ctx)->serial : 0;
}

struct ax_ctx *ax_ctx_create(struct ax_device *dev, bool is_default) {
    struct ax_ctx_ext *e = calloc(1, sizeof *e);
    if (!e) {
        return NULL;
    }
    e->serial = ++g_ctx_serial;
    e->base.magic = AX_MAGIC_CTX;
    e->base.dev = dev;
    e->base.is_default = is_default;
    e->base.next = ax.contexts;
    ax.contexts = &e->base;
    return &e->base;
}

void ax_ctx_destroy_locked(struct ax_ctx *ctx) {
    /* Streams first; destroying one may unlock, so rescan each time. */
    for (;;) {
        struct ax_stream *s = ax.streams;
        while (s && s->ctx != ctx) {
            s = s->next;
        }
        if (!s) {
            break;
        }
        ax_stream_destroy_locked(s, false);
    }
    for (struct ax_ctx **pp = &ax.contexts; *pp; pp = &(*pp)->next) {
        if (*pp == ctx) {
            *pp = ctx->next;
            break;
        }
    }
    if (ctx->dev && ctx->dev->default_ctx == ctx) {
        ctx->dev->default_ctx = NULL;
    }
    ctx->magic = 0;
    free((struct ax_ctx_ext *)ctx);
}

/* Destroys the default and explicit contexts of a device. */
static void release_device_contexts_locked(struct ax_device *dev) {
    for (;;) {
        struct ax_ctx *c = ax.contexts;
        while (c && c->dev != dev) {
            c = c->next;
        }
        if (!c) {
            break;
        }
        ax_ctx_destroy_locked(c);
    }
}

void ax_devices_release_all_locked(void) {
    /* Queued work is dropped at finalize. */
    while (ax.streams) {
        ax_stream_destroy_locked(ax.streams, true);
    }
    while (ax.contexts) {
        ax_ctx_destroy_locked(ax.contexts);
    }
    for (int i = 0; i < ax.ndev; i++) {
        ax.dev[i].set_refs = 0;
        ax.dev[i].engine_refs = 0;
        ax.dev[i].default_ctx = NULL;
    }
    t_cur.ctx = NULL;
}

axclError axclrtCreateContext(axclrtContext *context, int32_t deviceId) {
    static const char fn[] = "axclrtCreateContext";
    AX_LOCK();
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    if (rc == AXCL_SUCC && !context) {
        rc = ax_fail(AXCL_ERR_CONTEXT_NULL_POINTER, fn, "context is NULL");
    }
    struct ax_device *dev = NULL;
    if (rc == AXCL_SUCC && !(dev = ax_device_by_id(deviceId))) {
        rc = ax_fail(AXCL_ERR_DEVICE_INVALID_ID, fn, "no device with id %d (ids are PCI bus numbers; see axclrtGetDeviceList)",
                     deviceId);
    }
    if (rc == AXCL_SUCC) {
        struct ax_ctx *c = ax_ctx_create(dev, false);
        if (!c) {
            rc = ax_fail(AXCL_ERR_CONTEXT_CREATE, fn, "out of host memory");
        } else {
            ax_set_current_ctx(c);
            *context = c;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtDestroyContext(axclrtContext context) {
    static const char fn[] = "axclrtDestroyContext";
    AX_LOCK();
    if (!ax.initialized) {
        AX_UNLOCK();
        return ax_fail(AX_E_NOT_INIT, fn, "the runtime is not initialised");
    }
    axclError rc = AXCL_SUCC;
    struct ax_ctx *c = context;
    if (!c) {
        rc = ax_fail(AXCL_ERR_CONTEXT_NULL_POINTER, fn, "context is NULL");
    } else if (!ax_ctx_live(c)) {
        rc = ax_fail(AXCL_ERR_CONTEXT_DESTROY, fn, "%p is not a live context", context);
    } else if (c->is_default) {
        rc = ax_fail(AXCL_ERR_CONTEXT_DESTROY, fn,
                     "the implicit context of axclrtSetDevice cannot be destroyed; axclrtResetDevice releases it");
    } else {
        ax_ctx_destroy_locked(c);
    }
    /* A lost card still lets the host side go, but the call reports the loss. */
    if (rc == AXCL_SUCC && ax_device_lost()) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtSetCurrentContext(axclrtContext context) {
    static const char fn[] = "axclrtSetCurrentContext";
    AX_LOCK();
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    if (rc == AXCL_SUCC) {
        if (!context) {
            rc = ax_fail(AXCL_ERR_CONTEXT_NULL_POINTER, fn, "context is NULL");
        } else if (!ax_ctx_live(context)) {
            rc = ax_fail(AXCL_ERR_CONTEXT_BIND_THREAD, fn, "%p is not a live context (destroyed, or its device reset)",
                         context);
        } else {
            ax_set_current_ctx(context);
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtGetCurrentContext(axclrtContext *context) {
    static const char fn[] = "axclrtGetCurrentContext";
    AX_LOCK();
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    if (rc == AXCL_SUCC && !context) {
        rc = ax_fail(AXCL_ERR_CONTEXT_NULL_POINTER, fn, "context is NULL");
    }
    if (rc == AXCL_SUCC) {
        struct ax_ctx *c = ax_current_ctx();
        if (!c) {
            *context = NULL;
            rc = ax_fail(AX_E_NO_CTX, fn, "the calling thread has no current context");
        } else {
            *context = c;
        }
    }
    AX_UNLOCK();
    return rc;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

axclError axclrtSetDevice(int32_t deviceId) {
    static const char fn[] = "axclrtSetDevice";
    AX_LOCK();
    if (ax_no_card_uninitialised()) {
        /* The real 3.10.2 runtime without a card: no device has this id (shared/facts/axllm.md). */
        AX_UNLOCK();
        return ax_fail(AXCL_ERR_DEVICE_INVALID_ID, fn, "no device with id %d: this machine has no AXCL card", deviceId);
    }
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    struct ax_device *dev = NULL;
    if (rc == AXCL_SUCC && !(dev = ax_device_by_id(deviceId))) {
        rc = ax_fail(AXCL_ERR_DEVICE_INVALID_ID, fn,
                     "no device with id %d (ids are PCI bus numbers, e.g. 1 for 0000:01:00.0; see axclrtGetDeviceList)",
                     deviceId);
    }
    if (rc == AXCL_SUCC && !dev->default_ctx) {
        dev->default_ctx = ax_ctx_create(dev, true);
        if (!dev->default_ctx) {
            rc = ax_fail(AXCL_ERR_CONTEXT_CREATE, fn, "out of host memory");
        }
    }
    if (rc == AXCL_SUCC) {
        dev->set_refs++;
        ax_set_current_ctx(dev->default_ctx);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtResetDevice(int32_t deviceId) {
    static const char fn[] = "axclrtResetDevice";
    AX_LOCK();
    if (!ax.initialized) {
        AX_UNLOCK();
        return ax_fail(AX_E_NOT_INIT, fn, "the runtime is not initialised");
    }
    axclError rc = AXCL_SUCC;
    struct ax_device *dev = ax_device_by_id(deviceId);
    if (!dev) {
        rc = ax_fail(AXCL_ERR_DEVICE_INVALID_ID, fn, "no device with id %d", deviceId);
    } else if (dev->set_refs <= 0) {
        rc = ax_fail(AXCL_ERR_DEVICE_NOT_ACTIVE, fn, "device %d is not set (axclrtSetDevice was not called for it)",
                     deviceId);
    } else if (--dev->set_refs == 0) {
        release_device_contexts_locked(dev);
    }
    if (rc == AXCL_SUCC && ax_device_lost()) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtGetDevice(int32_t *deviceId) {
    static const char fn[] = "axclrtGetDevice";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    if (rc == AXCL_SUCC && !deviceId) {
        rc = ax_fail(AXCL_ERR_DEVICE_NULL_POINTER, fn, "deviceId is NULL");
    }
    if (rc == AXCL_SUCC) {
        rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    }
    if (rc == AXCL_SUCC) {
        *deviceId = ctx->dev->id;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtGetDeviceCount(uint32_t *count) {
    static const char fn[] = "axclrtGetDeviceCount";
    AX_LOCK();
    /* Without a card the real 3.10.2 runtime answers success and 0 devices, before and after a
     * failed axclInit (shared/facts/axllm.md). */
    bool no_card = ax_no_card_uninitialised();
    axclError rc = no_card ? AXCL_SUCC : ax_enter(AX_NEED_INIT, fn, NULL);
    if (!count) {
        if (rc == AXCL_SUCC) {
            rc = ax_fail(AXCL_ERR_DEVICE_NULL_POINTER, fn, "count is NULL");
        }
    } else {
        *count = rc == AXCL_SUCC && !no_card ? (uint32_t)ax.ndev : 0; /* never garbage, also on failure */
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtGetDeviceList(axclrtDeviceList *deviceList) {
    static const char fn[] = "axclrtGetDeviceList";
    AX_LOCK();
    bool no_card = ax_no_card_uninitialised(); /* as axclrtGetDeviceCount */
    axclError rc = no_card ? AXCL_SUCC : ax_enter(AX_NEED_INIT, fn, NULL);
    if (!deviceList) {
        if (rc == AXCL_SUCC) {
            rc = ax_fail(AXCL_ERR_DEVICE_NULL_POINTER, fn, "deviceList is NULL");
        }
    } else {
        memset(deviceList, 0, sizeof *deviceList); /* never garbage, also on failure */
        if (rc == AXCL_SUCC && !no_card) {
            deviceList->num = (uint32_t)ax.ndev;
            for (int i = 0; i < ax.ndev; i++) {
                deviceList->devices[i] = ax.dev[i].id;
            }
        }
    }
    AX_UNLOCK();
    return rc;
}

static axclError sync_stream_locked(struct ax_stream *s, int32_t timeout_ms);

axclError axclrtSynchronizeDevice(void) {
    static const char fn[] = "axclrtSynchronizeDevice";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC) {
        /* Waiting may drop the lock, so restart after each stream. */
        bool again = true;
        while (again) {
            again = false;
            for (struct ax_stream *s = ax.streams; s; s = s->next) {
                if (s->ctx->dev == ctx->dev && (s->pending > 0 || s->sticky)) {
                    axclError r = sync_stream_locked(s, NO_TIMEOUT);
                    if (rc == AXCL_SUCC) {
                        rc = r;
                    }
                    again = true;
                    break;
                }
            }
        }
    }
    AX_UNLOCK();
    return rc;
}

/* Percent * 100 of emulated NPU busy time since the previous sample (>= 100 ms apart). */
static uint32_t npu_load_locked(struct ax_device *d) {
    uint64_t now = ax_now_ns();
    uint64_t busy = __atomic_load_n(&d->busy_ns, __ATOMIC_RELAXED);
    uint64_t wall = now - d->load_mark_ns;
    if (wall >= 100000000ull) {
        uint64_t b = busy - d->load_mark_busy;
        double load = wall ? (double)b / (double)wall : 0;
        if (load > 1) {
            load = 1;
        }
        d->last_load = (uint32_t)(load * 10000.0 + 0.5);
        d->load_mark_ns = now;
        d->load_mark_busy = busy;
    }
    return d->last_load;
}

axclError axclrtGetDeviceProperties(int32_t deviceId, axclrtDeviceProperties *properties) {
    static const char fn[] = "axclrtGetDeviceProperties";
    AX_LOCK();
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    struct ax_device *d = NULL;
    if (rc == AXCL_SUCC && !properties) {
        rc = ax_fail(AXCL_ERR_DEVICE_NULL_POINTER, fn, "properties is NULL");
    }
    if (rc == AXCL_SUCC && !(d = ax_device_by_id(deviceId))) {
        rc = ax_fail(AXCL_ERR_DEVICE_INVALID_ID, fn, "no device with id %d", deviceId);
    }
    if (rc == AXCL_SUCC) {
        axclrtDeviceProperties *p = properties;
        memset(p, 0, sizeof *p);
        snprintf(p->swVersion, sizeof p->swVersion, "%s", AX_DEVICE_SW_VERSION);
        /* "NPU4" in the high half marks an emulated card. */
        p->uid = (0x4E505534ull << 32) | ((uint64_t)d->cfg.domain << 16) | ((uint64_t)d->cfg.bus << 8) |
                 ((uint64_t)d->cfg.slot << 3) | d->cfg.function;
        p->pciDomain = d->cfg.domain;
        p->pciBusID = d->cfg.bus;
        p->pciDeviceID = d->cfg.slot;
        uint32_t load = npu_load_locked(d);
        p->npuLoading = load;
        p->cpuLoading = 200 + load / 10;
        p->temperature = d->cfg.temperature_mc + (int32_t)(load * 2); /* +20 C at full load */
        /* The card's own OS keeps ~16% of its system memory (153 of 945 MiB on an AX650N card). */
        uint64_t sys_used = d->cfg.mem_bytes * 153 / 945 + d->sys_models;
        uint64_t sys_free = sys_used < d->cfg.mem_bytes ? d->cfg.mem_bytes - sys_used : 0;
        uint64_t cmm_used = d->cmm_alloc + d->cmm_models;
        uint64_t cmm_free = cmm_used < d->cfg.cmm_bytes ? d->cfg.cmm_bytes - cmm_used : 0;
        p->totalMemSize = (uint32_t)(d->cfg.mem_bytes >> 10);
        p->freeMemSize = (uint32_t)(sys_free >> 10);
        p->totalCmmSize = (uint32_t)(d->cfg.cmm_bytes >> 10);
        p->freeCmmSize = (uint32_t)(cmm_free >> 10);
    }
    AX_UNLOCK();
    return rc;
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */
/* ------------------------------------------------------------------ */

bool ax_stream_live(const struct ax_stream *s) {
    if (!s) {
        return false;
    }
    for (struct ax_stream *x = ax.streams; x; x = x->next) {
        if (x == s) {
            return x->magic == AX_MAGIC_STREAM;
        }
    }
    return false;
}

static axclError run_task_locked(struct ax_stream *s, const struct ax_task *t, double *delay, struct ax_device **dev,
                                 bool *npu, uint64_t *t0) {
    *delay = 0;
    *dev = NULL;
    *npu = false;
    *t0 = 0;
    if (!ax.initialized) {
        return AX_E_NOT_INIT;
    }
    if (ax_device_lost()) {
        return AX_E_LOST;
    }
    *t0 = ax_work_start();
    switch (t->kind) {
    case AX_TASK_MEMCPY:
        return ax_memcpy_locked(t->dst, t->src, t->count, t->copy_kind, "axclrtMemcpyAsync", delay, dev);
    case AX_TASK_MEMSET: return ax_memset_locked(t->dst, t->value, t->count, "axclrtMemsetAsync", delay, dev);
    case AX_TASK_MEMCMP: return ax_memcmp_locked(t->dst, t->src, t->count, "axclrtMemcmpAsync", delay, dev);
    case AX_TASK_EXECUTE:
        *npu = true;
        return ax_execute_locked(t->model_id, t->context_id, t->group, t->io, s->ctx, "axclrtEngineExecuteAsync", delay,
                                 dev);
    }
    return AX_E_STREAM(AXCL_ERR_ILLEGAL_PARAM);
}

static void *stream_main(void *arg) {
    struct ax_stream *s = arg;
    AX_LOCK();
    for (;;) {
        while (!s->stop && !s->head) {
            pthread_cond_wait(&s->wake, &ax.lock);
        }
        if (!s->head) {
            break; /* stop requested and nothing left */
        }
        struct ax_task *t = s->head;
        s->head = t->next;
        if (!s->head) {
            s->tail = NULL;
        }
        double delay;
        struct ax_device *dev;
        bool npu;
        uint64_t t0;
        axclError rc = run_task_locked(s, t, &delay, &dev, &npu, &t0);
        if (rc != AXCL_SUCC && s->sticky == AXCL_SUCC) {
            s->sticky = rc;
        }
        AX_UNLOCK();
        if (npu) {
            ax_delay_npu(delay, dev, t0);
        } else {
            ax_delay(delay, dev ? &dev->link_lock : NULL, t0);
        }
        free(t);
        AX_LOCK();
        if (--s->pending == 0) {
            pthread_cond_broadcast(&s->idle);
        }
    }
    AX_UNLOCK();
    return NULL;
}

static struct ax_stream *stream_create_locked(struct ax_ctx *ctx, bool is_default, axclError *rc) {
    struct ax_stream *s = calloc(1, sizeof *s);
    if (!s) {
        *rc = AXCL_ERR_STREAM_CREATE;
        return NULL;
    }
    s->magic = AX_MAGIC_STREAM;
    s->ctx = ctx;
    s->is_default = is_default;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->idle, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->thread, NULL, stream_main, s) != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_cond_destroy(&s->idle);
        free(s);
        *rc = AXCL_ERR_STREAM_CREATE;
        return NULL;
    }
    s->next = ax.streams;
    ax.streams = s;
    if (is_default) {
        ctx->default_stream = s;
    }
    *rc = AXCL_SUCC;
    return s;
}

void ax_stream_destroy_locked(struct ax_stream *s, bool force) {
    /* Unlink first, so no other call finds it while we wait. */
    for (struct ax_stream **pp = &ax.streams; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    s->magic = 0;
    if (s->ctx && s->ctx->default_stream == s) {
        s->ctx->default_stream = NULL;
    }
    if (force) {
        while (s->head) {
            struct ax_task *t = s->head;
            s->head = t->next;
            free(t);
            s->pending--;
        }
        s->tail = NULL;
    }
    while (s->pending > 0) {
        pthread_cond_wait(&s->idle, &ax.lock);
    }
    s->stop = true;
    pthread_cond_signal(&s->wake);
    AX_UNLOCK();
    pthread_join(s->thread, NULL);
    AX_LOCK();
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->idle);
    free(s);
}

struct ax_stream *ax_stream_resolve(struct ax_ctx *ctx, axclrtStream stream, axclError *rc) {
    *rc = AXCL_SUCC;
    if (stream) {
        if (!ax_stream_live(stream)) {
            *rc = AX_E_STREAM(AXCL_ERR_ILLEGAL_PARAM);
            return NULL;
        }
        return stream;
    }
    if (!ctx) {
        *rc = AX_E_NO_CTX;
        return NULL;
    }
    if (ctx->default_stream) {
        return ctx->default_stream;
    }
    return stream_create_locked(ctx, true, rc);
}

axclError ax_stream_enqueue(struct ax_stream *s, const struct ax_task *task) {
    struct ax_task *t = malloc(sizeof *t);
    if (!t) {
        return AX_E_STREAM(AXCL_ERR_NO_MEMORY);
    }
    *t = *task;
    t->next = NULL;
    if (s->tail) {
        s->tail->next = t;
    } else {
        s->head = t;
    }
    s->tail = t;
    s->pending++;
    pthread_cond_signal(&s->wake);
    return AXCL_SUCC;
}

/* Waits until the stream is idle; returns and clears its first asynchronous error. */
static axclError sync_stream_locked(struct ax_stream *s, int32_t timeout_ms) {
    struct timespec deadline;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    /* The stream cannot be freed while we wait: only destroy frees it, and
     * destroy itself waits for pending to reach zero first. */
    while (s->pending > 0) {
        if (timeout_ms >= 0) {
            if (pthread_cond_timedwait(&s->idle, &ax.lock, &deadline) == ETIMEDOUT && s->pending > 0) {
                return AXCL_ERR_STREAM_SYNC_TIMEOUT;
            }
        } else {
            pthread_cond_wait(&s->idle, &ax.lock);
        }
    }
    axclError rc = s->sticky;
    s->sticky = AXCL_SUCC;
    return rc;
}

axclError axclrtCreateStream(axclrtStream *stream) {
    static const char fn[] = "axclrtCreateStream";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    if (rc == AXCL_SUCC && !stream) {
        rc = ax_fail(AXCL_ERR_STREAM_NULL_POINTER, fn, "stream is NULL");
    }
    if (rc == AXCL_SUCC) {
        rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    }
    if (rc == AXCL_SUCC) {
        struct ax_stream *s = stream_create_locked(ctx, false, &rc);
        if (s) {
            *stream = s;
        } else {
            ax_fail(rc, fn, "cannot start the stream's thread");
        }
    }
    AX_UNLOCK();
    return rc;
}

static axclError destroy_stream(axclrtStream stream, bool force, const char *fn) {
    AX_LOCK();
    if (!ax.initialized) {
        AX_UNLOCK();
        return ax_fail(AX_E_NOT_INIT, fn, "the runtime is not initialised");
    }
    axclError rc = AXCL_SUCC;
    struct ax_stream *s = stream;
    if (!s) {
        rc = ax_fail(AXCL_ERR_STREAM_NULL_POINTER, fn, "stream is NULL");
    } else if (!ax_stream_live(s) || s->is_default) {
        rc = ax_fail(AXCL_ERR_STREAM_DESTROY, fn, "%p is not a stream created by axclrtCreateStream (or is destroyed)",
                     stream);
    } else {
        ax_stream_destroy_locked(s, force);
    }
    if (rc == AXCL_SUCC && ax_device_lost()) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtDestroyStream(axclrtStream stream) {
    return destroy_stream(stream, false, "axclrtDestroyStream");
}

axclError axclrtDestroyStreamForce(axclrtStream stream) {
    return destroy_stream(stream, true, "axclrtDestroyStreamForce");
}

static axclError synchronize(axclrtStream stream, int32_t timeout, const char *fn) {
    AX_LOCK();
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    struct ax_ctx *ctx = NULL;
    if (rc == AXCL_SUCC && !stream) {
        rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    }
    if (rc == AXCL_SUCC && timeout < NO_TIMEOUT) {
        rc = ax_fail(AX_E_STREAM(AXCL_ERR_ILLEGAL_PARAM), fn, "timeout %d ms is invalid (-1 waits forever)", timeout);
    }
    struct ax_stream *s = NULL;
    if (rc == AXCL_SUCC) {
        s = ax_stream_resolve(ctx, stream, &rc);
        if (!s) {
            ax_fail(rc, fn, "%p is not a live stream", stream);
        }
    }
    if (s) {
        rc = sync_stream_locked(s, timeout);
        if (rc == AXCL_ERR_STREAM_SYNC_TIMEOUT) {
            ax_fail(rc, fn, "stream still busy after %d ms", timeout);
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtSynchronizeStream(axclrtStream stream) {
    return synchronize(stream, NO_TIMEOUT, "axclrtSynchronizeStream");
}

axclError axclrtSynchronizeStreamWithTimeout(axclrtStream stream, int32_t timeout) {
    return synchronize(stream, timeout, "axclrtSynchronizeStreamWithTimeout");
}
