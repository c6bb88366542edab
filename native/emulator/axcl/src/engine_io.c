/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated runtime engine, IO: the IO info of a loaded model (tensor
 * counts, sizes, names, dims, types, layouts) and IO bindings (device
 * buffers per tensor, dynamic batch size).
 * Shared rules: engine.c.
 */
#include "axemu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* IO info                                                             */
/* ------------------------------------------------------------------ */

axclError axclrtEngineGetIOInfo(uint64_t modelId, axclrtEngineIOInfo *ioInfo) {
    static const char fn[] = "axclrtEngineGetIOInfo";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_engine_enter(fn, &ctx);
    struct ax_model *m = NULL;
    if (rc == AXCL_SUCC && !ioInfo) {
        rc = ax_fail(AXCL_ERR_ENGINE_NULL_POINTER, fn, "ioInfo is NULL");
    }
    if (rc == AXCL_SUCC && !(m = ax_model_find(modelId))) {
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
    struct ax_ioinfo *i = ax_info_find(ioInfo);
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
    struct ax_ioinfo *i = ax_info_find(ioInfo);
    uint32_t n = i ? (uint32_t)i->desc->nin : 0;
    AX_UNLOCK();
    return n;
}

uint32_t axclrtEngineGetNumOutputs(axclrtEngineIOInfo ioInfo) {
    AX_LOCK();
    struct ax_ioinfo *i = ax_info_find(ioInfo);
    uint32_t n = i ? (uint32_t)i->desc->nout : 0;
    AX_UNLOCK();
    return n;
}

/* The tensor at (group, index), or NULL. */
static const struct ax_tensor *info_tensor(axclrtEngineIOInfo ioInfo, bool input, uint32_t group, uint32_t index) {
    struct ax_ioinfo *i = ax_info_find(ioInfo);
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
    struct ax_ioinfo *i = ax_info_find(ioInfo);
    int32_t r = i ? ax_tensor_index(i->desc, true, name) : -1;
    AX_UNLOCK();
    return r;
}

int32_t axclrtEngineGetOutputIndexByName(axclrtEngineIOInfo ioInfo, const char *name) {
    AX_LOCK();
    struct ax_ioinfo *i = ax_info_find(ioInfo);
    int32_t r = i ? ax_tensor_index(i->desc, false, name) : -1;
    AX_UNLOCK();
    return r;
}

/* Shared checks of the per-index queries: which error a bad argument gives. */
static axclError info_check(axclrtEngineIOInfo ioInfo, bool input, uint32_t group, uint32_t index, const void *out,
                            const char *fn, const struct ax_tensor **t) {
    struct ax_ioinfo *i = ax_info_find(ioInfo);
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
    if (rc == AXCL_SUCC && !(i = ax_info_find(ioInfo))) {
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
    if (rc == AXCL_SUCC && !(x = ax_io_find(io))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
    }
    const char *what = input ? "input" : "output";
    if (rc == AXCL_SUCC && name) {
        int i = ax_tensor_index(x->desc, input, name);
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
    if (rc == AXCL_SUCC && !(x = ax_io_find(io))) {
        rc = ax_fail(AXCL_ERR_ENGINE_ILLEGAL_PARAM, fn, "%p is not a live IO", io);
    }
    if (rc == AXCL_SUCC && name) {
        int i = ax_tensor_index(x->desc, input, name);
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
    if (rc == AXCL_SUCC && !(x = ax_io_find(io))) {
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
