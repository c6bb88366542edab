/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated runtime engine: model load/unload, IO descriptions, IO
 * bindings, engine contexts and execution. This file holds the lookups the
 * engine files share, engine init, engine contexts and execution;
 * engine_load.c loads models and answers queries on them, engine_io.c holds
 * IO info and IO bindings.
 *
 * Rules (those of the real engine where it documents them):
 * - axclrtEngineInit is per device (reference-counted) and must precede
 *   loading and executing; it fixes the VNPU kind, which limits the model
 *   types that load (VNPU_ENABLE: 1-core models; BIG_LITTLE/LITTLE_BIG:
 *   1- or 2-core models; DISABLE: any) and the affinity masks allowed.
 * - IO buffers are device memory (axclrtMalloc); a buffer smaller than the
 *   tensor's smallest shape-group size is refused when set, and at execute
 *   every buffer must hold the group's size times the dynamic batch size.
 * - Model ids and engine context ids are non-zero and never reused within
 *   one axclInit; an IO belongs to the model its IO info came from.
 */
#include "axemu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Lookups                                                             */
/* ------------------------------------------------------------------ */

struct ax_model *ax_model_find(uint64_t id) {
    for (struct ax_model *m = ax.models; m; m = m->next) {
        if (m->id == id) {
            return m;
        }
    }
    return NULL;
}

struct ax_ioinfo *ax_info_find(const void *h) {
    for (struct ax_ioinfo *i = ax.ioinfos; i && h; i = i->next) {
        if ((const void *)i == h) {
            return i->magic == AX_MAGIC_INFO ? i : NULL;
        }
    }
    return NULL;
}

struct ax_io *ax_io_find(const void *h) {
    for (struct ax_io *i = ax.ios; i && h; i = i->next) {
        if ((const void *)i == h) {
            return i->magic == AX_MAGIC_IO ? i : NULL;
        }
    }
    return NULL;
}

int ax_tensor_index(const struct ax_desc *d, bool input, const char *name) {
    if (!name) {
        return -1;
    }
    int n = input ? d->nin : d->nout;
    const struct ax_tensor *t = input ? d->in : d->out;
    for (int i = 0; i < n; i++) {
        if (ax_tensor_named(&t[i], d->ngroups, name)) {
            return i;
        }
    }
    return -1;
}

/* Affinity masks allowed under a VNPU kind (bit N = virtual NPU N). */
axclrtEngineSet ax_affinity_range(axclrtEngineVNpuKind k) {
    switch (k) {
    case AXCL_VNPU_ENABLE: return 0x7;
    case AXCL_VNPU_BIG_LITTLE:
    case AXCL_VNPU_LITTLE_BIG: return 0x3;
    default: return 0x1;
    }
}

bool ax_type_fits(axclrtEngineVNpuKind k, axclrtEngineModelKind t) {
    switch (k) {
    case AXCL_VNPU_ENABLE: return t == AXCL_MODEL_TYPE_1CORE;
    case AXCL_VNPU_BIG_LITTLE:
    case AXCL_VNPU_LITTLE_BIG: return t != AXCL_MODEL_TYPE_3CORE;
    default: return true;
    }
}

const char *ax_vnpu_name(axclrtEngineVNpuKind k) {
    switch (k) {
    case AXCL_VNPU_DISABLE: return "VNPU_DISABLE";
    case AXCL_VNPU_ENABLE: return "VNPU_ENABLE";
    case AXCL_VNPU_BIG_LITTLE: return "VNPU_BIG_LITTLE";
    case AXCL_VNPU_LITTLE_BIG: return "VNPU_LITTLE_BIG";
    }
    return "?";
}

/* Initialised runtime, live card, current context, engine initialised on its device. */
axclError ax_engine_enter(const char *fn, struct ax_ctx **ctx) {
    axclError rc = ax_enter(AX_NEED_CTX, fn, ctx);
    if (rc == AXCL_SUCC && (*ctx)->dev->engine_refs <= 0) {
        rc = ax_fail(AX_E_ENGINE_NOT_INIT, fn, "the engine of device %d is not initialised (call axclrtEngineInit)",
                     (*ctx)->dev->id);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Engine init                                                         */
/* ------------------------------------------------------------------ */

axclError axclrtEngineInit(axclrtEngineVNpuKind npuKind) {
    static const char fn[] = "axclrtEngineInit";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC && ((unsigned)npuKind > AXCL_VNPU_LITTLE_BIG)) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "VNPU kind %d is not 0..3", (int)npuKind);
    }
    if (rc == AXCL_SUCC) {
        struct ax_device *d = ctx->dev;
        if (d->engine_refs > 0 && d->vnpu != npuKind) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "the engine of device %d already runs as %s, not %s", d->id,
                         ax_vnpu_name(d->vnpu), ax_vnpu_name(npuKind));
        } else {
            d->engine_refs++;
            d->vnpu = npuKind;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetVNpuKind(axclrtEngineVNpuKind *npuKind) {
    static const char fn[] = "axclrtEngineGetVNpuKind";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_engine_enter(fn, &ctx);
    if (rc == AXCL_SUCC && !npuKind) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "npuKind is NULL");
    }
    if (rc == AXCL_SUCC) {
        *npuKind = ctx->dev->vnpu;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineFinalize(void) {
    static const char fn[] = "axclrtEngineFinalize";
    AX_LOCK();
    struct ax_ctx *ctx = NULL;
    bool lost = ax.initialized && ax_device_lost();
    axclError rc = AXCL_SUCC;
    if (lost) {
        ctx = ax_current_ctx();
        if (!ctx) {
            rc = AX_E_NO_CTX;
        }
    } else {
        rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    }
    if (rc == AXCL_SUCC) {
        if (ctx->dev->engine_refs <= 0) {
            rc = ax_fail(AX_E_ENGINE_NOT_INIT, fn, "the engine of device %d is not initialised", ctx->dev->id);
        } else {
            ctx->dev->engine_refs--;
        }
    }
    if (rc == AXCL_SUCC && lost) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

/* ------------------------------------------------------------------ */
/* Engine contexts and execution                                       */
/* ------------------------------------------------------------------ */

axclError axclrtEngineCreateContext(uint64_t modelId, uint64_t *contextId) {
    static const char fn[] = "axclrtEngineCreateContext";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !contextId) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "contextId is NULL");
    }
    if (rc == AXCL_SUCC && !(m = ax_model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        struct ax_engine_ctx *e = calloc(1, sizeof *e);
        if (!e) {
            rc = ax_fail(AX_E_ENGINE(AXCL_ERR_NO_MEMORY), fn, "out of host memory");
        } else {
            e->id = ax.next_id++;
            e->affinity = m->affinity;
            e->next = m->contexts;
            m->contexts = e;
            *contextId = e->id;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError ax_execute_locked(uint64_t model_id, uint64_t context_id, uint32_t group, void *io, struct ax_ctx *ctx,
                            const char *fn, double *delay_ns, struct ax_device **npu_dev) {
    if (delay_ns) {
        *delay_ns = 0;
        *npu_dev = NULL;
    }
    struct ax_model *m = ax_model_find(model_id);
    if (!m) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)model_id);
    }
    struct ax_device *dev = &ax.dev[m->dev];
    if (ctx->dev != dev) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "model %llu is on device %d, the current context on device %d",
                       (unsigned long long)model_id, dev->id, ctx->dev->id);
    }
    if (dev->engine_refs <= 0) {
        return ax_fail(AX_E_ENGINE_NOT_INIT, fn, "the engine of device %d is not initialised", dev->id);
    }
    struct ax_engine_ctx *e = m->contexts;
    while (e && e->id != context_id) {
        e = e->next;
    }
    if (!e) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn,
                       "context id %llu was not created for model %llu (axclrtEngineCreateContext)",
                       (unsigned long long)context_id, (unsigned long long)model_id);
    }
    if (!io) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "io is NULL");
    }
    struct ax_io *x = ax_io_find(io);
    if (!x) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
    }
    if (x->model_id != model_id) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "the IO was created for model %llu, not %llu",
                       (unsigned long long)x->model_id, (unsigned long long)model_id);
    }
    const struct ax_desc *d = m->desc;
    if (group >= (uint32_t)d->ngroups) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "group %u is not below the model's %d shape groups", group,
                       d->ngroups);
    }
    const uint8_t *in[AX_MAX_TENSORS];
    uint8_t *out[AX_MAX_TENSORS];
    for (int k = 0; k < d->nin + d->nout; k++) {
        bool input = k < d->nin;
        int i = input ? k : k - d->nin;
        const struct ax_tensor *t = input ? &d->in[i] : &d->out[i];
        const struct ax_binding *b = input ? &x->in[i] : &x->out[i];
        uint64_t need = t->size[group] * x->batch;
        if (!b->ptr) {
            return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "%s \"%s\" has no buffer", input ? "input" : "output",
                           t->name);
        }
        const char *what = input ? "input" : "output";
        if (b->size < need) {
            return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn,
                           "%s \"%s\": the bound size %llu is smaller than the %llu bytes group %u uses at batch %u",
                           what, t->name, (unsigned long long)b->size, (unsigned long long)need, group, x->batch);
        }
        uint8_t *sh = ax_shadow(b->ptr, need);
        if (!sh) {
            struct ax_dalloc *a = ax_dalloc_find(b->ptr, 1);
            if (a) {
                return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn,
                               "%s \"%s\": the %llu bytes group %u uses from %p run past the end of its device"
                               " allocation (%p, %llu bytes; the buffer starts at offset %llu)",
                               what, t->name, (unsigned long long)need, group, b->ptr, (void *)a->addr,
                               (unsigned long long)a->size, (unsigned long long)((uintptr_t)b->ptr - a->addr));
            }
            return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn,
                           "%s \"%s\": %p is not in a live device allocation (host memory, or freed; bind"
                           " axclrtMalloc memory)",
                           what, t->name, b->ptr);
        }
        if (input) {
            in[i] = sh;
        } else {
            out[i] = sh;
        }
    }
    if (!delay_ns) {
        return AXCL_SUCC; /* validation only (asynchronous submit) */
    }
    uint64_t n = ax_execute_count_next();
    ax_count_call(AX_CALL_EXECUTE);
    long long fail_at = ax_env_fail_execute();
    if (fail_at >= 0 && (uint64_t)fail_at == n) {
        return ax_fail(AXCL_ERR_ENGINE_EXECUTE_FAIL, fn, "execute #%llu fails (NPU4J_EMULATOR_AXCL_FAIL_EXECUTE=%lld)",
                       (unsigned long long)n, fail_at);
    }
    char why[256];
    if (ax_compute_run(d, (int)group, x->batch, in, out, why, sizeof why) != 0) {
        return ax_fail(AXCL_ERR_ENGINE_EXECUTE_FAIL, fn, "%s", why);
    }
    *delay_ns = ax_env_speed() > 0 ? ax_desc_time_ns(d, (int)group, ax_device_profile(dev)) * x->batch : 0;
    *npu_dev = dev;
    return AXCL_SUCC;
}

axclError axclrtEngineExecute(uint64_t modelId, uint64_t contextId, uint32_t group, axclrtEngineIO io) {
    static const char fn[] = "axclrtEngineExecute";
    double delay = 0;
    struct ax_device *dev = NULL;
    uint64_t t0 = 0;
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_engine_enter(fn, &ctx);
    if (rc == AXCL_SUCC) {
        t0 = ax_work_start();
        rc = ax_execute_locked(modelId, contextId, group, io, ctx, fn, &delay, &dev);
    }
    AX_UNLOCK();
    ax_delay_npu(delay, dev, t0);
    return rc;
}

axclError axclrtEngineExecuteAsync(uint64_t modelId, uint64_t contextId, uint32_t group, axclrtEngineIO io,
                                   axclrtStream stream) {
    static const char fn[] = "axclrtEngineExecuteAsync";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_engine_enter(fn, &ctx);
    if (rc == AXCL_SUCC) {
        rc = ax_execute_locked(modelId, contextId, group, io, ctx, fn, NULL, NULL);
    }
    struct ax_stream *s = NULL;
    if (rc == AXCL_SUCC) {
        s = ax_stream_resolve(ctx, stream, &rc);
        if (!s) {
            ax_fail(rc, fn, "%p is not a live stream", stream);
        } else if (s->ctx->dev != ctx->dev) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "the stream belongs to device %d", s->ctx->dev->id);
            s = NULL;
        }
    }
    if (s) {
        struct ax_task t = {
            .kind = AX_TASK_EXECUTE, .model_id = modelId, .context_id = contextId, .group = group, .io = io};
        rc = ax_stream_enqueue(s, &t);
    }
    AX_UNLOCK();
    return rc;
}

void ax_engine_release_all_locked(void) {
    while (ax.models) {
        struct ax_model *m = ax.models;
        ax.models = m->next;
        ax_model_free(m);
    }
    while (ax.ioinfos) {
        struct ax_ioinfo *i = ax.ioinfos;
        ax.ioinfos = i->next;
        ax_desc_unref(i->desc);
        free(i);
    }
    while (ax.ios) {
        struct ax_io *x = ax.ios;
        ax.ios = x->next;
        ax_desc_unref(x->desc);
        free(x);
    }
    for (int i = 0; i < ax.ndev; i++) {
        ax.dev[i].cmm_models = 0;
        ax.dev[i].sys_models = 0;
    }
}
