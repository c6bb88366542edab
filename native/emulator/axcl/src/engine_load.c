/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated runtime engine, models: loading from a file or memory,
 * unloading, affinity, and the usage and type queries on a model.
 * Shared rules: engine.c.
 */
#include "axemu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (!ax_type_fits(dev->vnpu, d->model_type)) {
        int cores = (int)d->model_type + 1;
        ax_desc_unref(d);
        return ax_fail(AXCL_ERR_ENGINE_AXCL_UNSUPPORTED, fn, "a %d-core model does not run with the engine in %s",
                       cores, ax_vnpu_name(dev->vnpu));
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
    m->affinity = ax_affinity_range(dev->vnpu);
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
    axclError rc = ax_engine_enter(fn, &ctx);
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

void ax_model_free(struct ax_model *m) {
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
            ax_model_free(m);
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
    struct ax_model *m = ax_model_find(modelId);
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
    axclError rc = ax_engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !(m = ax_model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        axclrtEngineSet range = ax_affinity_range(ax.dev[m->dev].vnpu);
        if (set == 0 || (set & ~range)) {
            rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "affinity 0x%x is empty or outside 0x%x (%s)", set, range,
                         ax_vnpu_name(ax.dev[m->dev].vnpu));
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
    axclError rc = ax_engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !set) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "set is NULL");
    }
    if (rc == AXCL_SUCC && !(m = ax_model_find(modelId))) {
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
    axclError rc = ax_engine_enter(fn, &ctx);
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
    if (rc == AXCL_SUCC && !(m = ax_model_find(modelId))) {
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
    if (rc == AXCL_SUCC && !(m = ax_model_find(modelId))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "no loaded model has id %llu", (unsigned long long)modelId);
    }
    if (rc == AXCL_SUCC) {
        *modelType = m->desc->model_type;
    }
    AX_UNLOCK();
    return rc;
}
