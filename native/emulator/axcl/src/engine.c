/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated runtime engine: model load/unload, IO descriptions, IO
 * bindings, engine contexts and execution.
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

static struct ax_model *model_find(uint64_t id) {
    for (struct ax_model *m = ax.models; m; m = m->next) {
        if (m->id == id) {
            return m;
        }
    }
    return NULL;
}

static struct ax_ioinfo *info_find(const void *h) {
    for (struct ax_ioinfo *i = ax.ioinfos; i && h; i = i->next) {
        if ((const void *)i == h) {
            return i->magic == AX_MAGIC_INFO ? i : NULL;
        }
    }
    return NULL;
}

static struct ax_io *io_find(const void *h) {
    for (struct ax_io *i = ax.ios; i && h; i = i->next) {
        if ((const void *)i == h) {
            return i->magic == AX_MAGIC_IO ? i : NULL;
        }
    }
    return NULL;
}

static int tensor_index(const struct ax_desc *d, bool input, const char *name) {
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
static axclrtEngineSet affinity_range(axclrtEngineVNpuKind k) {
    switch (k) {
    case AXCL_VNPU_ENABLE: return 0x7;
    case AXCL_VNPU_BIG_LITTLE:
    case AXCL_VNPU_LITTLE_BIG: return 0x3;
    default: return 0x1;
    }
}

static bool type_fits(axclrtEngineVNpuKind k, axclrtEngineModelKind t) {
    switch (k) {
    case AXCL_VNPU_ENABLE: return t == AXCL_MODEL_TYPE_1CORE;
    case AXCL_VNPU_BIG_LITTLE:
    case AXCL_VNPU_LITTLE_BIG: return t != AXCL_MODEL_TYPE_3CORE;
    default: return true;
    }
}

static const char *vnpu_name(axclrtEngineVNpuKind k) {
    switch (k) {
    case AXCL_VNPU_DISABLE: return "VNPU_DISABLE";
    case AXCL_VNPU_ENABLE: return "VNPU_ENABLE";
    case AXCL_VNPU_BIG_LITTLE: return "VNPU_BIG_LITTLE";
    case AXCL_VNPU_LITTLE_BIG: return "VNPU_LITTLE_BIG";
    }
    return "?";
}

/* Initialised runtime, live card, current context, engine initialised on its device. */
static axclError engine_enter(const char *fn, struct ax_ctx **ctx) {
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
                         vnpu_name(d->vnpu), vnpu_name(npuKind));
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
    axclError rc = engine_enter(fn, &ctx);
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
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/* Reads a descriptor given as memory: device memory (as documented) or,
 * tolerated with a warning, host memory. */
static axclError desc_from_mem(const void *model, uint64_t size, struct ax_desc **out, const char *fn) {
    char why[512];
    *out = NULL;
    if (!model) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "model is NULL");
    }
    if (size == 0) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "modelSize is 0");
    }
    const char *text = model;
    if (ax_in_device_region(model)) {
        text = (const char *)ax_shadow(model, size);
        if (!text) {
            return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p + %llu bytes is not inside a live device allocation",
                           model, (unsigned long long)size);
        }
    } else if (!ax.warned_host_model) {
        ax.warned_host_model = true;
        ax_log(AX_LOG_WARN,
               "%s: the model is in host memory; the AXCL documentation asks for device memory (axclrtMalloc +"
               " axclrtMemcpy). The emulator reads it anyway.",
               fn);
    }
    axclError rc = ax_desc_parse(text, size, out, why, sizeof why);
    if (rc != AXCL_SUCC) {
        ax_fail(rc, fn, "%s", why);
    }
    return rc;
}

static axclError desc_from_file(const char *path, struct ax_desc **out, const char *fn) {
    char why[768];
    *out = NULL;
    if (!path) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "modelPath is NULL");
    }
    axclError rc = ax_desc_load_file(path, out, why, sizeof why);
    if (rc != AXCL_SUCC) {
        ax_fail(rc, fn, "%s: %s", path, why);
    }
    return rc;
}

/* Registers a parsed descriptor as a loaded model; takes the reference. */
static axclError load_desc(struct ax_desc *d, struct ax_ctx *ctx, uint64_t *modelId, const char *fn, double *delay) {
    struct ax_device *dev = ctx->dev;
    if (!type_fits(dev->vnpu, d->model_type)) {
        int cores = (int)d->model_type + 1;
        ax_desc_unref(d);
        return ax_fail(AXCL_ERR_ENGINE_AXCL_UNSUPPORTED, fn, "a %d-core model does not run with the engine in %s",
                       cores, vnpu_name(dev->vnpu));
    }
    uint64_t cmm_used = dev->cmm_alloc + dev->cmm_models;
    uint64_t cmm_free = cmm_used < dev->cfg.cmm_bytes ? dev->cfg.cmm_bytes - cmm_used : 0;
    uint64_t sys_cap = dev->cfg.mem_bytes - dev->cfg.mem_bytes * 153 / 945;
    if ((uint64_t)d->cmm_usage > cmm_free || dev->sys_models + (uint64_t)d->sys_usage > sys_cap) {
        int64_t need = d->cmm_usage;
        ax_desc_unref(d);
        return ax_fail(AX_E_ENGINE(AXCL_ERR_NO_MEMORY), fn, "the model needs %lld bytes of CMM, device %d has %llu free",
                       (long long)need, dev->id, (unsigned long long)cmm_free);
    }
    struct ax_model *m = calloc(1, sizeof *m);
    if (!m) {
        ax_desc_unref(d);
        return ax_fail(AX_E_ENGINE(AXCL_ERR_NO_MEMORY), fn, "out of host memory");
    }
    m->id = ax.next_id++;
    m->desc = d;
    m->dev = (int)(dev - ax.dev);
    m->affinity = affinity_range(dev->vnpu);
    m->next = ax.models;
    ax.models = m;
    dev->cmm_models += (uint64_t)d->cmm_usage;
    dev->sys_models += (uint64_t)d->sys_usage;
    *modelId = m->id;
    /* Loading moves the compiled model over PCIe. */
    const struct ax_link_params *l = ax_link_params(ax_device_link(dev));
    *delay = l->round_trip_ns + (l->bytes_per_s > 0 ? (double)d->cmm_usage / l->bytes_per_s * 1e9 : 0);
    ax_log(AX_LOG_INFO, "%s: model %llu \"%s\" loaded on device %d", fn, (unsigned long long)m->id, d->name, dev->id);
    return AXCL_SUCC;
}

static axclError load(const char *path, const void *mem, uint64_t size, uint64_t *modelId, const char *fn) {
    double delay = 0;
    struct ax_device *dev = NULL;
    uint64_t t0 = 0;
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = engine_enter(fn, &ctx);
    if (rc == AXCL_SUCC && !modelId) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "modelId is NULL");
    }
    struct ax_desc *d = NULL;
    if (rc == AXCL_SUCC) {
        t0 = ax_work_start();
        rc = path ? desc_from_file(path, &d, fn) : desc_from_mem(mem, size, &d, fn);
    }
    if (rc == AXCL_SUCC) {
        rc = load_desc(d, ctx, modelId, fn, &delay);
        dev = ctx->dev;
    }
    AX_UNLOCK();
    ax_delay(delay, dev ? &dev->link_lock : NULL, t0);
    return rc;
}

axclError axclrtEngineLoadFromFile(const char *modelPath, uint64_t *modelId) {
    if (!modelPath) {
        AX_LOCK();
        axclError rc = ax_enter(AX_NEED_INIT, "axclrtEngineLoadFromFile", NULL);
        AX_UNLOCK();
        return rc ? rc : ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineLoadFromFile", "modelPath is NULL");
    }
    return load(modelPath, NULL, 0, modelId, "axclrtEngineLoadFromFile");
}

axclError axclrtEngineLoadFromMem(const void *model, uint64_t modelSize, uint64_t *modelId) {
    return load(NULL, model, modelSize, modelId, "axclrtEngineLoadFromMem");
}

static void model_free(struct ax_model *m) {
    while (m->contexts) {
        struct ax_engine_ctx *e = m->contexts;
        m->contexts = e->next;
        free(e);
    }
    ax_desc_unref(m->desc);
    free(m);
}

axclError axclrtEngineUnload(uint64_t modelId) {
    static const char fn[] = "axclrtEngineUnload";
    AX_LOCK();
    struct ax_ctx *ctx;
    bool lost = ax.initialized && ax_device_lost();
    axclError rc = lost ? AXCL_SUCC : ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC && lost && !ax_current_ctx()) {
        rc = AX_E_NO_CTX;
    }
    if (rc == AXCL_SUCC) {
        struct ax_model **pp = &ax.models;
        while (*pp && (*pp)->id != modelId) {
            pp = &(*pp)->next;
        }
        if (!*pp) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
        } else {
            struct ax_model *m = *pp;
            *pp = m->next;
            struct ax_device *dev = &ax.dev[m->dev];
            dev->cmm_models -= (uint64_t)m->desc->cmm_usage;
            dev->sys_models -= (uint64_t)m->desc->sys_usage;
            model_free(m);
        }
    }
    if (rc == AXCL_SUCC && lost) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

const char *axclrtEngineGetModelCompilerVersion(uint64_t modelId) {
    AX_LOCK();
    struct ax_model *m = model_find(modelId);
    const char *v = m ? m->desc->compiler : "";
    AX_UNLOCK();
    return v;
}

/* ------------------------------------------------------------------ */
/* Affinity                                                            */
/* ------------------------------------------------------------------ */

axclError axclrtEngineSetAffinity(uint64_t modelId, axclrtEngineSet set) {
    static const char fn[] = "axclrtEngineSetAffinity";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !(m = model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        axclrtEngineSet range = affinity_range(ax.dev[m->dev].vnpu);
        if (set == 0 || (set & ~range)) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "affinity 0x%x is empty or outside 0x%x (%s)", set, range,
                         vnpu_name(ax.dev[m->dev].vnpu));
        } else {
            m->affinity = set;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetAffinity(uint64_t modelId, axclrtEngineSet *set) {
    static const char fn[] = "axclrtEngineGetAffinity";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !set) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "set is NULL");
    }
    if (rc == AXCL_SUCC && !(m = model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        *set = m->affinity;
    }
    AX_UNLOCK();
    return rc;
}

/* Documented by the vendor as "not supported yet": the emulator says the same. */
static axclError context_affinity(uint64_t modelId, uint64_t contextId, const char *fn) {
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = engine_enter(fn, &ctx);
    if (rc == AXCL_SUCC) {
        rc = ax_fail(AXCL_ERR_ENGINE_AXCL_UNSUPPORTED, fn,
                     "per-context affinity is not supported (model %llu, context %llu); use axclrtEngineSetAffinity",
                     (unsigned long long)modelId, (unsigned long long)contextId);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineSetContextAffinity(uint64_t modelId, uint64_t contextId, axclrtEngineSet set) {
    (void)set;
    return context_affinity(modelId, contextId, "axclrtEngineSetContextAffinity");
}

axclError axclrtEngineGetContextAffinity(uint64_t modelId, uint64_t contextId, axclrtEngineSet *set) {
    if (set) {
        *set = 0;
    }
    return context_affinity(modelId, contextId, "axclrtEngineGetContextAffinity");
}

/* ------------------------------------------------------------------ */
/* Usage and model type                                                */
/* ------------------------------------------------------------------ */

/* Parses a descriptor from a path or memory for a query (no engine init needed). */
static axclError query_desc(const char *path, const void *mem, uint64_t size, struct ax_desc **d, const char *fn) {
    axclError rc = ax_enter(AX_NEED_CTX, fn, NULL);
    if (rc != AXCL_SUCC) {
        return rc;
    }
    return path ? desc_from_file(path, d, fn) : desc_from_mem(mem, size, d, fn);
}

static axclError usage(const char *path, const void *mem, uint64_t size, int64_t *sysSize, int64_t *cmmSize,
                       const char *fn) {
    AX_LOCK();
    struct ax_desc *d = NULL;
    axclError rc = ax_enter(AX_NEED_CTX, fn, NULL);
    if (rc == AXCL_SUCC && (!sysSize || !cmmSize || (!path && !mem))) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    }
    if (rc == AXCL_SUCC) {
        rc = query_desc(path, mem, size, &d, fn);
    }
    if (rc == AXCL_SUCC) {
        *sysSize = d->sys_usage;
        *cmmSize = d->cmm_usage;
        ax_desc_unref(d);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetUsage(const char *modelPath, int64_t *sysSize, int64_t *cmmSize) {
    return usage(modelPath, NULL, 0, sysSize, cmmSize, "axclrtEngineGetUsage");
}

axclError axclrtEngineGetUsageFromMem(const void *model, uint64_t modelSize, int64_t *sysSize, int64_t *cmmSize) {
    if (!model) {
        AX_LOCK();
        axclError rc = ax_enter(AX_NEED_CTX, "axclrtEngineGetUsageFromMem", NULL);
        AX_UNLOCK();
        return rc ? rc : ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineGetUsageFromMem", "model is NULL");
    }
    return usage(NULL, model, modelSize, sysSize, cmmSize, "axclrtEngineGetUsageFromMem");
}

axclError axclrtEngineGetUsageFromModelId(uint64_t modelId, int64_t *sysSize, int64_t *cmmSize) {
    static const char fn[] = "axclrtEngineGetUsageFromModelId";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && (!sysSize || !cmmSize)) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    }
    if (rc == AXCL_SUCC && !(m = model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        *sysSize = m->desc->sys_usage;
        *cmmSize = m->desc->cmm_usage;
    }
    AX_UNLOCK();
    return rc;
}

static axclError model_type(const char *path, const void *mem, uint64_t size, axclrtEngineModelKind *type,
                            const char *fn) {
    AX_LOCK();
    struct ax_desc *d = NULL;
    axclError rc = ax_enter(AX_NEED_CTX, fn, NULL);
    if (rc == AXCL_SUCC && (!type || (!path && !mem))) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    }
    if (rc == AXCL_SUCC) {
        rc = query_desc(path, mem, size, &d, fn);
    }
    if (rc == AXCL_SUCC) {
        *type = d->model_type;
        ax_desc_unref(d);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetModelType(const char *modelPath, axclrtEngineModelKind *modelType) {
    return model_type(modelPath, NULL, 0, modelType, "axclrtEngineGetModelType");
}

axclError axclrtEngineGetModelTypeFromMem(const void *model, uint64_t modelSize, axclrtEngineModelKind *modelType) {
    if (!model) {
        AX_LOCK();
        axclError rc = ax_enter(AX_NEED_CTX, "axclrtEngineGetModelTypeFromMem", NULL);
        AX_UNLOCK();
        return rc ? rc : ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineGetModelTypeFromMem", "model is NULL");
    }
    return model_type(NULL, model, modelSize, modelType, "axclrtEngineGetModelTypeFromMem");
}

axclError axclrtEngineGetModelTypeFromModelId(uint64_t modelId, axclrtEngineModelKind *modelType) {
    static const char fn[] = "axclrtEngineGetModelTypeFromModelId";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !modelType) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "modelType is NULL");
    }
    if (rc == AXCL_SUCC && !(m = model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        *modelType = m->desc->model_type;
    }
    AX_UNLOCK();
    return rc;
}

/* ------------------------------------------------------------------ */
/* IO info                                                             */
/* ------------------------------------------------------------------ */

axclError axclrtEngineGetIOInfo(uint64_t modelId, axclrtEngineIOInfo *ioInfo) {
    static const char fn[] = "axclrtEngineGetIOInfo";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !ioInfo) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "ioInfo is NULL");
    }
    if (rc == AXCL_SUCC && !(m = model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        struct ax_ioinfo *i = calloc(1, sizeof *i);
        if (!i) {
            rc = ax_fail(AX_E_ENGINE(AXCL_ERR_NO_MEMORY), fn, "out of host memory");
        } else {
            i->magic = AX_MAGIC_INFO;
            i->desc = m->desc;
            i->desc->refs++;
            i->model_id = modelId;
            i->next = ax.ioinfos;
            ax.ioinfos = i;
            *ioInfo = i;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineDestroyIOInfo(axclrtEngineIOInfo ioInfo) {
    static const char fn[] = "axclrtEngineDestroyIOInfo";
    AX_LOCK();
    axclError rc = ax.initialized ? AXCL_SUCC : ax_fail(AX_E_NOT_INIT, fn, "the runtime is not initialised");
    if (rc == AXCL_SUCC && !ioInfo) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "ioInfo is NULL");
    }
    if (rc == AXCL_SUCC) {
        struct ax_ioinfo **pp = &ax.ioinfos;
        while (*pp && (void *)*pp != ioInfo) {
            pp = &(*pp)->next;
        }
        if (!*pp) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO info", ioInfo);
        } else {
            struct ax_ioinfo *i = *pp;
            *pp = i->next;
            i->magic = 0;
            ax_desc_unref(i->desc);
            free(i);
        }
    }
    if (rc == AXCL_SUCC && ax_device_lost()) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetShapeGroupsCount(axclrtEngineIOInfo ioInfo, int32_t *count) {
    static const char fn[] = "axclrtEngineGetShapeGroupsCount";
    AX_LOCK();
    struct ax_ioinfo *i = info_find(ioInfo);
    axclError rc = AXCL_SUCC;
    if (!count || !ioInfo) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    } else if (!i) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO info", ioInfo);
    } else {
        *count = i->desc->ngroups;
    }
    AX_UNLOCK();
    return rc;
}

uint32_t axclrtEngineGetNumInputs(axclrtEngineIOInfo ioInfo) {
    AX_LOCK();
    struct ax_ioinfo *i = info_find(ioInfo);
    uint32_t n = i ? (uint32_t)i->desc->nin : 0;
    AX_UNLOCK();
    return n;
}

uint32_t axclrtEngineGetNumOutputs(axclrtEngineIOInfo ioInfo) {
    AX_LOCK();
    struct ax_ioinfo *i = info_find(ioInfo);
    uint32_t n = i ? (uint32_t)i->desc->nout : 0;
    AX_UNLOCK();
    return n;
}

/* The tensor at (group, index), or NULL. */
static const struct ax_tensor *info_tensor(axclrtEngineIOInfo ioInfo, bool input, uint32_t group, uint32_t index) {
    struct ax_ioinfo *i = info_find(ioInfo);
    if (!i || group >= (uint32_t)i->desc->ngroups || index >= (uint32_t)(input ? i->desc->nin : i->desc->nout)) {
        return NULL;
    }
    return input ? &i->desc->in[index] : &i->desc->out[index];
}

uint64_t axclrtEngineGetInputSizeByIndex(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index) {
    AX_LOCK();
    const struct ax_tensor *t = info_tensor(ioInfo, true, group, index);
    uint64_t s = t ? t->size[group] : 0;
    AX_UNLOCK();
    return s;
}

uint64_t axclrtEngineGetOutputSizeByIndex(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index) {
    AX_LOCK();
    const struct ax_tensor *t = info_tensor(ioInfo, false, group, index);
    uint64_t s = t ? t->size[group] : 0;
    AX_UNLOCK();
    return s;
}

const char *axclrtEngineGetInputNameByIndex(axclrtEngineIOInfo ioInfo, uint32_t index) {
    AX_LOCK();
    const struct ax_tensor *t = info_tensor(ioInfo, true, 0, index);
    AX_UNLOCK();
    return t ? t->name : NULL;
}

const char *axclrtEngineGetOutputNameByIndex(axclrtEngineIOInfo ioInfo, uint32_t index) {
    AX_LOCK();
    const struct ax_tensor *t = info_tensor(ioInfo, false, 0, index);
    AX_UNLOCK();
    return t ? t->name : NULL;
}

int32_t axclrtEngineGetInputIndexByName(axclrtEngineIOInfo ioInfo, const char *name) {
    AX_LOCK();
    struct ax_ioinfo *i = info_find(ioInfo);
    int32_t r = i ? tensor_index(i->desc, true, name) : -1;
    AX_UNLOCK();
    return r;
}

int32_t axclrtEngineGetOutputIndexByName(axclrtEngineIOInfo ioInfo, const char *name) {
    AX_LOCK();
    struct ax_ioinfo *i = info_find(ioInfo);
    int32_t r = i ? tensor_index(i->desc, false, name) : -1;
    AX_UNLOCK();
    return r;
}

/* Shared checks of the per-index queries: which error a bad argument gives. */
static axclError info_check(axclrtEngineIOInfo ioInfo, bool input, uint32_t group, uint32_t index, const void *out,
                            const char *fn, const struct ax_tensor **t) {
    struct ax_ioinfo *i = info_find(ioInfo);
    *t = NULL;
    if (!out || !ioInfo) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    }
    if (!i) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO info", ioInfo);
    }
    if (group >= (uint32_t)i->desc->ngroups) {
        return ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "group %u is not below the model's %d shape groups", group,
                       i->desc->ngroups);
    }
    int n = input ? i->desc->nin : i->desc->nout;
    if (index >= (uint32_t)n) {
        return ax_fail(AXCL_ERR_ENGINE_INVALID_INDEX, fn, "%s index %u is not below %d", input ? "input" : "output",
                       index, n);
    }
    *t = input ? &i->desc->in[index] : &i->desc->out[index];
    return AXCL_SUCC;
}

static axclError get_dims(axclrtEngineIOInfo ioInfo, bool input, uint32_t group, uint32_t index,
                          axclrtEngineIODims *dims, const char *fn) {
    AX_LOCK();
    const struct ax_tensor *t;
    axclError rc = info_check(ioInfo, input, group, index, dims, fn, &t);
    if (rc == AXCL_SUCC) {
        memset(dims, 0, sizeof *dims);
        dims->dimCount = t->ndims[group];
        memcpy(dims->dims, t->dims[group], sizeof(int32_t) * (size_t)t->ndims[group]);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetInputDims(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index,
                                   axclrtEngineIODims *dims) {
    return get_dims(ioInfo, true, group, index, dims, "axclrtEngineGetInputDims");
}

axclError axclrtEngineGetOutputDims(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index,
                                    axclrtEngineIODims *dims) {
    return get_dims(ioInfo, false, group, index, dims, "axclrtEngineGetOutputDims");
}

static axclError get_type(axclrtEngineIOInfo ioInfo, bool input, uint32_t index, axclrtEngineDataType *type,
                          const char *fn) {
    AX_LOCK();
    const struct ax_tensor *t;
    axclError rc = info_check(ioInfo, input, 0, index, type, fn, &t);
    if (rc == AXCL_SUCC) {
        *type = t->type;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetInputDataType(axclrtEngineIOInfo ioInfo, uint32_t index, axclrtEngineDataType *type) {
    return get_type(ioInfo, true, index, type, "axclrtEngineGetInputDataType");
}

axclError axclrtEngineGetOutputDataType(axclrtEngineIOInfo ioInfo, uint32_t index, axclrtEngineDataType *type) {
    return get_type(ioInfo, false, index, type, "axclrtEngineGetOutputDataType");
}

static axclError get_layout(axclrtEngineIOInfo ioInfo, bool input, uint32_t index, axclrtEngineDataLayout *layout,
                            const char *fn) {
    AX_LOCK();
    const struct ax_tensor *t;
    axclError rc = info_check(ioInfo, input, 0, index, layout, fn, &t);
    if (rc == AXCL_SUCC) {
        *layout = t->layout;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetInputDataLayout(axclrtEngineIOInfo ioInfo, uint32_t index, axclrtEngineDataLayout *layout) {
    return get_layout(ioInfo, true, index, layout, "axclrtEngineGetInputDataLayout");
}

axclError axclrtEngineGetOutputDataLayout(axclrtEngineIOInfo ioInfo, uint32_t index,
                                          axclrtEngineDataLayout *layout) {
    return get_layout(ioInfo, false, index, layout, "axclrtEngineGetOutputDataLayout");
}

/* ------------------------------------------------------------------ */
/* IO bindings                                                         */
/* ------------------------------------------------------------------ */

axclError axclrtEngineCreateIO(axclrtEngineIOInfo ioInfo, axclrtEngineIO *io) {
    static const char fn[] = "axclrtEngineCreateIO";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    struct ax_ioinfo *i = NULL;
    if (rc == AXCL_SUCC && (!io || !ioInfo)) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    }
    if (rc == AXCL_SUCC && !(i = info_find(ioInfo))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO info", ioInfo);
    }
    if (rc == AXCL_SUCC) {
        struct ax_io *x = calloc(1, sizeof *x);
        if (!x) {
            rc = ax_fail(AX_E_ENGINE(AXCL_ERR_NO_MEMORY), fn, "out of host memory");
        } else {
            x->magic = AX_MAGIC_IO;
            x->desc = i->desc;
            x->desc->refs++;
            x->model_id = i->model_id;
            x->batch = 1;
            x->next = ax.ios;
            ax.ios = x;
            *io = x;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineDestroyIO(axclrtEngineIO io) {
    static const char fn[] = "axclrtEngineDestroyIO";
    AX_LOCK();
    axclError rc = ax.initialized ? AXCL_SUCC : ax_fail(AX_E_NOT_INIT, fn, "the runtime is not initialised");
    if (rc == AXCL_SUCC && !io) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "io is NULL");
    }
    if (rc == AXCL_SUCC) {
        struct ax_io **pp = &ax.ios;
        while (*pp && (void *)*pp != io) {
            pp = &(*pp)->next;
        }
        if (!*pp) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
        } else {
            struct ax_io *x = *pp;
            *pp = x->next;
            x->magic = 0;
            ax_desc_unref(x->desc);
            free(x);
        }
    }
    if (rc == AXCL_SUCC && ax_device_lost()) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

static axclError set_buffer(axclrtEngineIO io, bool input, const char *name, uint32_t index, const void *buf,
                            uint64_t size, const char *fn) {
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    struct ax_io *x = NULL;
    if (rc == AXCL_SUCC && (!io || !buf)) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "%s is NULL", io ? "dataBuffer" : "io");
    }
    if (rc == AXCL_SUCC && !(x = io_find(io))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
    }
    const char *what = input ? "input" : "output";
    if (rc == AXCL_SUCC && name) {
        int i = tensor_index(x->desc, input, name);
        if (i < 0) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "model \"%s\" has no %s named \"%s\"", x->desc->name, what,
                         name);
        }
        index = (uint32_t)i;
    }
    if (rc == AXCL_SUCC && index >= (uint32_t)(input ? x->desc->nin : x->desc->nout)) {
        rc = ax_fail(AXCL_ERR_ENGINE_INVALID_INDEX, fn, "%s index %u is not below %d", what, index,
                     input ? x->desc->nin : x->desc->nout);
    }
    /* As the real 3.10 runtime: NULL IO or buffer, size 0 and a bad index are all it
     * rejects here; it stores pointer and size without a device round trip. Whether
     * the bytes a tensor uses are device memory is checked at execute. */
    if (rc == AXCL_SUCC && size == 0) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%s %u: size is 0", what, index);
    }
    if (rc == AXCL_SUCC) {
        struct ax_binding *b = input ? &x->in[index] : &x->out[index];
        b->ptr = (void *)buf;
        b->size = size;
        ax_count_call(AX_CALL_BIND);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineSetInputBufferByIndex(axclrtEngineIO io, uint32_t index, const void *dataBuffer, uint64_t size) {
    return set_buffer(io, true, NULL, index, dataBuffer, size, "axclrtEngineSetInputBufferByIndex");
}

axclError axclrtEngineSetOutputBufferByIndex(axclrtEngineIO io, uint32_t index, const void *dataBuffer,
                                             uint64_t size) {
    return set_buffer(io, false, NULL, index, dataBuffer, size, "axclrtEngineSetOutputBufferByIndex");
}

axclError axclrtEngineSetInputBufferByName(axclrtEngineIO io, const char *name, const void *dataBuffer,
                                           uint64_t size) {
    if (!name) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineSetInputBufferByName", "name is NULL");
    }
    return set_buffer(io, true, name, 0, dataBuffer, size, "axclrtEngineSetInputBufferByName");
}

axclError axclrtEngineSetOutputBufferByName(axclrtEngineIO io, const char *name, const void *dataBuffer,
                                            uint64_t size) {
    if (!name) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineSetOutputBufferByName", "name is NULL");
    }
    return set_buffer(io, false, name, 0, dataBuffer, size, "axclrtEngineSetOutputBufferByName");
}

static axclError get_buffer(axclrtEngineIO io, bool input, const char *name, uint32_t index, void **buf,
                            uint64_t *size, const char *fn) {
    AX_LOCK();
    axclError rc = ax_enter(AX_NEED_INIT, fn, NULL);
    struct ax_io *x = NULL;
    if (rc == AXCL_SUCC && (!io || !buf || !size)) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "NULL argument");
    }
    if (rc == AXCL_SUCC && !(x = io_find(io))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
    }
    if (rc == AXCL_SUCC && name) {
        int i = tensor_index(x->desc, input, name);
        if (i < 0) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "model \"%s\" has no %s named \"%s\"", x->desc->name,
                         input ? "input" : "output", name);
        }
        index = (uint32_t)i;
    }
    if (rc == AXCL_SUCC && index >= (uint32_t)(input ? x->desc->nin : x->desc->nout)) {
        rc = ax_fail(AXCL_ERR_ENGINE_INVALID_INDEX, fn, "%s index %u out of range", input ? "input" : "output", index);
    }
    if (rc == AXCL_SUCC) {
        /* An unset binding reads as NULL / 0. */
        const struct ax_binding *b = input ? &x->in[index] : &x->out[index];
        *buf = b->ptr;
        *size = b->size;
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtEngineGetInputBufferByIndex(axclrtEngineIO io, uint32_t index, void **dataBuffer, uint64_t *size) {
    return get_buffer(io, true, NULL, index, dataBuffer, size, "axclrtEngineGetInputBufferByIndex");
}

axclError axclrtEngineGetOutputBufferByIndex(axclrtEngineIO io, uint32_t index, void **dataBuffer, uint64_t *size) {
    return get_buffer(io, false, NULL, index, dataBuffer, size, "axclrtEngineGetOutputBufferByIndex");
}

axclError axclrtEngineGetInputBufferByName(axclrtEngineIO io, const char *name, void **dataBuffer, uint64_t *size) {
    if (!name) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineGetInputBufferByName", "name is NULL");
    }
    return get_buffer(io, true, name, 0, dataBuffer, size, "axclrtEngineGetInputBufferByName");
}

axclError axclrtEngineGetOutputBufferByName(axclrtEngineIO io, const char *name, void **dataBuffer,
                                            uint64_t *size) {
    if (!name) {
        return ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, "axclrtEngineGetOutputBufferByName", "name is NULL");
    }
    return get_buffer(io, false, name, 0, dataBuffer, size, "axclrtEngineGetOutputBufferByName");
}

axclError axclrtEngineSetDynamicBatchSize(axclrtEngineIO io, uint32_t batchSize) {
    static const char fn[] = "axclrtEngineSetDynamicBatchSize";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    struct ax_io *x = NULL;
    if (rc == AXCL_SUCC && !io) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "io is NULL");
    }
    if (rc == AXCL_SUCC && !(x = io_find(io))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
    }
    if (rc == AXCL_SUCC) {
        if (batchSize < 1 || batchSize > x->desc->max_batch) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "batch size %u is not in 1..%u for model \"%s\"", batchSize,
                         x->desc->max_batch, x->desc->name);
        } else {
            x->batch = batchSize;
        }
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
    axclError rc = engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !contextId) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "contextId is NULL");
    }
    if (rc == AXCL_SUCC && !(m = model_find(modelId))) {
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
    struct ax_model *m = model_find(model_id);
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
    struct ax_io *x = io_find(io);
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
    axclError rc = engine_enter(fn, &ctx);
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
    axclError rc = engine_enter(fn, &ctx);
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
        model_free(m);
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
