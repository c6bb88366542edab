/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * IO of the emulated RKNN runtime: rknn_inputs_set, rknn_run,
 * rknn_outputs_get/release, and zero-copy tensor memory (rknn_create_mem*,
 * rknn_set_io_mem, rknn_mem_sync).
 *
 * Timing: a run takes the model's published time on the emulated platform
 * (descriptor time_ms, from shared/facts/rknn.md) times NPU4J_EMULATOR_SPEED,
 * counted from the start of the call so the host work is part of it. The
 * figures were measured on time_cores cores; other core masks do not change
 * them (multi-core modes split only some operators, rknn.md "Core masks").
 */
#include "rkemu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RK_MAGIC_MEM 0x524B4D4Du /* "RKMM" */

static int bad_ctx(const char *fn, rknn_context context) {
    return rk_fail(RKNN_ERR_CTX_INVALID, fn, "invalid context 0x%llx", (unsigned long long)context);
}

static const char *dims_text(const struct rk_tensor *t, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < t->n_dims && n < cap; i++) {
        n += (size_t)snprintf(buf + n, cap - n, i ? "x%u" : "%u", t->dims[i]);
    }
    return buf;
}

/* ---------------------------------------------------------------- inputs */

int rknn_inputs_set(rknn_context context, uint32_t n_inputs, rknn_input inputs[]) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return bad_ctx("rknn_inputs_set", context);
    }
    const struct rk_desc *d = c->desc;
    int rc = RKNN_SUCC;
    char why[300], dims[64];
    if (!inputs || n_inputs != (uint32_t)d->nin) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set", "%u inputs given, the model has %d", n_inputs, d->nin);
        goto out;
    }
    for (uint32_t i = 0; i < n_inputs; i++) {
        const rknn_input *in = &inputs[i];
        if (in->index >= (uint32_t)d->nin || !in->buf) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set", "input %u: bad index %u or NULL buffer", i,
                         in->index);
            goto out;
        }
        const struct rk_tensor *t = &d->in[in->index];
        struct rk_view v = {.fmt = in->fmt, .type = in->type};
        if (in->pass_through) { /* the model's own layout and type */
            v.fmt = t->fmt;
            v.type = t->type;
        }
        size_t want = rk_view_bytes(t, &v);
        if (rk_type_size(v.type) == 0 || in->size != want) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set",
                         "input %u (\"%s\") size %u bytes, expected %zu (%s %s %s)", in->index, t->name, in->size, want,
                         dims_text(t, dims, sizeof dims), rk_type_name(v.type), rk_fmt_name(v.fmt));
            goto out;
        }
        if (rk_input_import(t, &v, in->buf, c->canon_in, why, sizeof why) != 0) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set", "input %u: %s", in->index, why);
            goto out;
        }
    }
    c->input_set = true;
out:
    rk_ctx_release(c);
    return rc;
}

/* ---------------------------------------------------------------- run */

static void *mem_data(const struct rk_mem *m) {
    return (uint8_t *)m->pub.virt_addr + m->pub.offset;
}

int rknn_run(rknn_context context, rknn_run_extend *extend) {
    uint64_t t0 = rk_now_ns();
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return bad_ctx("rknn_run", context);
    }
    const struct rk_desc *d = c->desc;
    char why[300];
    int rc = RKNN_SUCC;
    pthread_mutex_lock(&rk.lock);
    uint64_t nth = ++rk.runs;
    pthread_mutex_unlock(&rk.lock);
    long fail_at = -1;
    const char *fv = getenv("NPU4J_EMULATOR_RKNN_FAIL_RUN");
    if (fv && *fv) {
        fail_at = strtol(fv, NULL, 10);
    }
    if (fail_at > 0 && nth == (uint64_t)fail_at) {
        rc = rk_fail(RKNN_ERR_FAIL, "rknn_run", "failed to submit! (fault injected by NPU4J_EMULATOR_RKNN_FAIL_RUN=%ld)",
                     fail_at);
        goto out;
    }
    if (c->in_mem[0].mem) {
        const struct rk_binding *b = &c->in_mem[0];
        if (rk_input_import(&d->in[0], &b->view, mem_data(b->mem), c->canon_in, why, sizeof why) != 0) {
            rc = rk_fail(RKNN_ERR_INPUT_INVALID, "rknn_run", "input memory: %s", why);
            goto out;
        }
    } else if (!c->input_set) {
        rc = rk_fail(RKNN_ERR_INPUT_INVALID, "rknn_run", "no input: call rknn_inputs_set or bind one with rknn_set_io_mem");
        goto out;
    }
    rk_platform p = rk_env_platform();
    uint32_t cores = rk_cores_take(c->core_mask, p);
    if (rk_compute_run(d, c->canon_in, c->canon_out, why, sizeof why) != 0) {
        rk_cores_give(cores);
        rc = rk_fail(RKNN_ERR_FAIL, "rknn_run", "%s", why);
        goto out;
    }
    for (int i = 0; i < d->nout; i++) {
        const struct rk_binding *b = &c->out_mem[i];
        if (b->mem && rk_output_export(&d->out[i], &b->view, c->canon_out[i], mem_data(b->mem), why, sizeof why)) {
            rk_cores_give(cores);
            rc = rk_fail(RKNN_ERR_OUTPUT_INVALID, "rknn_run", "output memory %d: %s", i, why);
            goto out;
        }
    }
    double ms = d->time_ms[p] >= 0 ? d->time_ms[p] : d->time_ms[p == RK_RK3588 ? RK_RK3576 : RK_RK3588];
    double speed = rk_env_speed();
    long stall = -1;
    const char *sv = getenv("NPU4J_EMULATOR_RKNN_STALL_MS");
    if (sv && *sv) {
        stall = strtol(sv, NULL, 10);
    }
    if (speed > 0 && ms > 0) {
        rk_sleep_ns(ms * 1e6 * speed - (double)(rk_now_ns() - t0));
    }
    if (stall > 0) { /* fault injection: a run that hangs for a while */
        rk_sleep_ns((double)stall * 1e6);
    }
    rk_cores_give(cores);
    c->has_output = true;
    c->last_run_us = (int64_t)((rk_now_ns() - t0) / 1000);
    if (extend) {
        extend->frame_id = nth;
    }
out:
    rk_ctx_release(c);
    return rc;
}

int rknn_wait(rknn_context context, rknn_run_extend *extend) {
    (void)extend;
    (void)context;
    return rk_fail(RKNN_ERR_FAIL, "rknn_wait", "rknn_wait is not supported (as in librknnrt 2.3.2)");
}

/* ---------------------------------------------------------------- outputs */

int rknn_outputs_get(rknn_context context, uint32_t n_outputs, rknn_output outputs[], rknn_output_extend *extend) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return bad_ctx("rknn_outputs_get", context);
    }
    const struct rk_desc *d = c->desc;
    int rc = RKNN_SUCC;
    char why[300];
    if (!outputs || n_outputs == 0 || n_outputs > (uint32_t)d->nout) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_get", "%u outputs asked for, the model has %d", n_outputs,
                     d->nout);
        goto out;
    }
    if (!c->has_output) {
        rc = rk_fail(RKNN_ERR_OUTPUT_INVALID, "rknn_outputs_get", "no output yet: call rknn_run first");
        goto out;
    }
    for (uint32_t i = 0; i < n_outputs; i++) {
        rknn_output *o = &outputs[i];
        if (o->index >= (uint32_t)d->nout) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_get", "output %u: index %u out of range", i, o->index);
            goto out;
        }
        const struct rk_tensor *t = &d->out[o->index];
        struct rk_view v = {.fmt = t->n_dims == 4 ? RKNN_TENSOR_NCHW : t->fmt,
                            .type = o->want_float ? RKNN_TENSOR_FLOAT32 : t->type};
        size_t bytes = rk_view_bytes(t, &v);
        if (o->is_prealloc) {
            if (!o->buf || o->size < bytes) {
                rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_get",
                             "output %u (\"%s\"): preallocated buffer of %u bytes, %zu needed", o->index, t->name,
                             o->size, bytes);
                goto out;
            }
        } else {
            struct rk_outbuf *b = emu_calloc(1, sizeof *b);
            void *buf = emu_malloc(bytes);
            if (!b || !buf) {
                emu_free(b);
                emu_free(buf);
                rc = rk_fail(RKNN_ERR_MALLOC_FAIL, "rknn_outputs_get", "out of memory");
                goto out;
            }
            b->buf = buf;
            b->next = c->outbufs;
            c->outbufs = b;
            pthread_mutex_lock(&rk.lock);
            rk.live_outputs++;
            pthread_mutex_unlock(&rk.lock);
            o->buf = buf;
        }
        o->size = (uint32_t)bytes;
        if (rk_output_export(t, &v, c->canon_out[o->index], o->buf, why, sizeof why) != 0) {
            rc = rk_fail(RKNN_ERR_OUTPUT_INVALID, "rknn_outputs_get", "output %u: %s", o->index, why);
            goto out;
        }
    }
    if (extend) {
        extend->frame_id = rk.runs;
    }
out:
    rk_ctx_release(c);
    return rc;
}

int rknn_outputs_release(rknn_context context, uint32_t n_ouputs, rknn_output outputs[]) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return bad_ctx("rknn_outputs_release", context);
    }
    int rc = RKNN_SUCC;
    for (uint32_t i = 0; outputs && i < n_ouputs; i++) {
        if (outputs[i].is_prealloc || !outputs[i].buf) {
            continue;
        }
        struct rk_outbuf **pp = &c->outbufs;
        while (*pp && (*pp)->buf != outputs[i].buf) {
            pp = &(*pp)->next;
        }
        if (!*pp) {
            rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_release", "output %u: buffer %p was not handed out by "
                         "rknn_outputs_get on this context (or was released already)", i, outputs[i].buf);
            continue;
        }
        struct rk_outbuf *b = *pp;
        *pp = b->next;
        emu_free(b->buf);
        emu_free(b);
        pthread_mutex_lock(&rk.lock);
        rk.live_outputs--;
        pthread_mutex_unlock(&rk.lock);
        outputs[i].buf = NULL;
    }
    rk_ctx_release(c);
    return rc;
}

/* ---------------------------------------------------------------- tensor memory */

struct rk_mem *rk_mem_find(const rknn_tensor_mem *m) {
    for (struct rk_mem *r = rk.mems; r; r = r->next) {
        if (&r->pub == m && r->magic == RK_MAGIC_MEM) {
            return r;
        }
    }
    return NULL;
}

static rknn_tensor_mem *mem_new(rknn_context ctx, uint64_t size, void *virt, int32_t fd, uint64_t phys,
                                uint32_t flags, const char *fn) {
    if (ctx != 0) {
        pthread_mutex_lock(&rk.lock);
        bool matmul = rk_mm_known(ctx);
        pthread_mutex_unlock(&rk.lock);
        struct rk_ctx *c = matmul ? NULL : rk_ctx_acquire(ctx);
        if (!c && !matmul) {
            bad_ctx(fn, ctx);
            return NULL;
        }
        if (c) {
            rk_ctx_release(c);
        }
    }
    if (size == 0 || size > UINT32_MAX) {
        rk_fail(RKNN_ERR_PARAM_INVALID, fn, "size %llu out of range 1..4294967295", (unsigned long long)size);
        return NULL;
    }
    struct rk_mem *m = emu_calloc(1, sizeof *m);
    void *buf = virt;
    if (m && !buf) {
        buf = emu_calloc(1, (size_t)size);
    }
    if (!m || !buf) {
        emu_free(m);
        rk_fail(RKNN_ERR_MALLOC_FAIL, fn, "out of memory for %llu bytes", (unsigned long long)size);
        return NULL;
    }
    m->magic = RK_MAGIC_MEM;
    m->owner = ctx;
    m->owns_buffer = virt == NULL;
    m->pub.virt_addr = buf;
    m->pub.phys_addr = phys;
    m->pub.fd = fd;
    m->pub.size = (uint32_t)size;
    m->pub.flags = flags;
    m->pub.priv_data = m;
    pthread_mutex_lock(&rk.lock);
    m->next = rk.mems;
    rk.mems = m;
    rk.live_mems++;
    pthread_mutex_unlock(&rk.lock);
    return &m->pub;
}

rknn_tensor_mem *rknn_create_mem(rknn_context ctx, uint32_t size) {
    return mem_new(ctx, size, NULL, -1, 0, RKNN_TENSOR_MEMORY_FLAGS_ALLOC_INSIDE, "rknn_create_mem");
}

rknn_tensor_mem *rknn_create_mem2(rknn_context ctx, uint64_t size, uint64_t alloc_flags) {
    uint64_t known = RKNN_FLAG_MEMORY_CACHEABLE | RKNN_FLAG_MEMORY_NON_CACHEABLE | RKNN_FLAG_MEMORY_TRY_ALLOC_SRAM |
                     RKNN_MEM_FLAG_ALLOC_NO_CONTEXT;
    if (alloc_flags & ~known) {
        rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_create_mem2", "unknown alloc_flags 0x%llx",
                (unsigned long long)alloc_flags);
        return NULL;
    }
    return mem_new((alloc_flags & RKNN_MEM_FLAG_ALLOC_NO_CONTEXT) ? 0 : ctx, size, NULL, -1, 0,
                   RKNN_TENSOR_MEMORY_FLAGS_ALLOC_INSIDE, "rknn_create_mem2");
}

rknn_tensor_mem *rknn_create_mem_from_fd(rknn_context ctx, int32_t fd, void *virt_addr, uint32_t size,
                                         int32_t offset) {
    if (fd < 0 || !virt_addr || offset < 0) {
        rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_create_mem_from_fd",
                "the emulator imports a dma-buf through its CPU mapping: fd >= 0, virt_addr and offset >= 0 needed");
        return NULL;
    }
    rknn_tensor_mem *m = mem_new(ctx, size, virt_addr, fd, 0, RKNN_TENSOR_MEMORY_FLAGS_FROM_FD, "rknn_create_mem_from_fd");
    if (m) {
        m->offset = offset;
    }
    return m;
}

rknn_tensor_mem *rknn_create_mem_from_phys(rknn_context ctx, uint64_t phys_addr, void *virt_addr, uint32_t size) {
    if (!virt_addr) {
        rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_create_mem_from_phys",
                "the emulator has no physical memory: the CPU mapping virt_addr is needed");
        return NULL;
    }
    return mem_new(ctx, size, virt_addr, -1, phys_addr, RKNN_TENSOR_MEMORY_FLAGS_FROM_PHYS,
                   "rknn_create_mem_from_phys");
}

/* Unbinds m from every context that bound it (called with rk.lock held). */
static void unbind_everywhere(const struct rk_mem *m) {
    for (struct rk_ctx *c = rk.contexts; c; c = c->next) {
        for (int i = 0; i < RK_MAX_TENSORS; i++) {
            if (c->out_mem[i].mem == m) {
                c->out_mem[i].mem = NULL;
            }
        }
        if (c->in_mem[0].mem == m) {
            c->in_mem[0].mem = NULL;
        }
    }
    rk_mm_unbind(m);
}

int rknn_destroy_mem(rknn_context ctx, rknn_tensor_mem *mem) {
    (void)ctx; /* memory outlives its context (the runtime allows destroying it after rknn_destroy) */
    pthread_mutex_lock(&rk.lock);
    struct rk_mem **pp = &rk.mems;
    while (*pp && &(*pp)->pub != mem) {
        pp = &(*pp)->next;
    }
    struct rk_mem *m = *pp;
    if (!m) {
        pthread_mutex_unlock(&rk.lock);
        return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_destroy_mem", "%p is not a live tensor memory", (void *)mem);
    }
    *pp = m->next;
    rk.live_mems--;
    unbind_everywhere(m);
    pthread_mutex_unlock(&rk.lock);
    if (m->owns_buffer) {
        emu_free(m->pub.virt_addr);
    }
    m->magic = 0;
    emu_free(m);
    return RKNN_SUCC;
}

static int check_mem(const char *fn, rknn_tensor_mem *mem) {
    pthread_mutex_lock(&rk.lock);
    struct rk_mem *m = mem ? rk_mem_find(mem) : NULL;
    pthread_mutex_unlock(&rk.lock);
    return m ? RKNN_SUCC : rk_fail(RKNN_ERR_PARAM_INVALID, fn, "%p is not a live tensor memory", (void *)mem);
}

static int set_model_mem(rknn_context context, rknn_tensor_mem *mem, uint32_t flag, const char *fn) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return bad_ctx(fn, context);
    }
    int rc = check_mem(fn, mem);
    if (rc == RKNN_SUCC && !(c->flags & flag)) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, fn, "the context was not initialised with the matching "
                     "RKNN_FLAG_*_ALLOC_OUTSIDE flag");
    }
    rk_ctx_release(c);
    return rc;
}

int rknn_set_weight_mem(rknn_context ctx, rknn_tensor_mem *mem) {
    return set_model_mem(ctx, mem, RKNN_FLAG_MEM_ALLOC_OUTSIDE, "rknn_set_weight_mem");
}

int rknn_set_internal_mem(rknn_context ctx, rknn_tensor_mem *mem) {
    return set_model_mem(ctx, mem, RKNN_FLAG_INTERNAL_ALLOC_OUTSIDE | RKNN_FLAG_MEM_ALLOC_OUTSIDE,
                         "rknn_set_internal_mem");
}

int rknn_set_io_mem(rknn_context ctx, rknn_tensor_mem *mem, rknn_tensor_attr *attr) {
    struct rk_ctx *c = rk_ctx_acquire(ctx);
    if (!c) {
        return bad_ctx("rknn_set_io_mem", ctx);
    }
    const struct rk_desc *d = c->desc;
    int rc = check_mem("rknn_set_io_mem", mem);
    if (rc != RKNN_SUCC) {
        goto out;
    }
    if (!attr) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem", "attr must not be NULL");
        goto out;
    }
    /* The tensor is named by the attribute (as queried): its name, at its index. */
    bool input = attr->index < (uint32_t)d->nin && strncmp(attr->name, d->in[attr->index].name, RKNN_MAX_NAME_LEN) == 0;
    bool output =
        attr->index < (uint32_t)d->nout && strncmp(attr->name, d->out[attr->index].name, RKNN_MAX_NAME_LEN) == 0;
    if (!input && !output) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem",
                     "attr (index %u, name \"%.64s\") names no tensor of the model: pass an attribute from rknn_query",
                     attr->index, attr->name);
        goto out;
    }
    const struct rk_tensor *t = input ? &d->in[attr->index] : &d->out[attr->index];
    struct rk_view v = {.fmt = attr->fmt, .type = attr->type, .w_stride = input ? attr->w_stride : 0,
                        .c2 = attr->fmt == RKNN_TENSOR_NC1HWC2 && attr->n_dims == 5 ? attr->dims[4] : 0};
    if (input && (v.fmt != RKNN_TENSOR_NHWC || (v.type != RKNN_TENSOR_UINT8 && v.type != t->type))) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem",
                     "input \"%s\": zero-copy inputs are NHWC UINT8 (or the model type %s), got %s %s", t->name,
                     rk_type_name(t->type), rk_fmt_name(v.fmt), rk_type_name(v.type));
        goto out;
    }
    if (!input && v.fmt == RKNN_TENSOR_NC1HWC2 && v.c2 == 0) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem", "output \"%s\": NC1HWC2 needs 5 dims with C2 in dims[4]",
                     t->name);
        goto out;
    }
    size_t need = rk_view_bytes(t, &v);
    if (rk_type_size(v.type) == 0 || (size_t)mem->size - (size_t)mem->offset < need) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem", "%s \"%s\": memory of %u bytes, %zu needed (%s %s)",
                     input ? "input" : "output", t->name, mem->size, need, rk_fmt_name(v.fmt), rk_type_name(v.type));
        goto out;
    }
    pthread_mutex_lock(&rk.lock);
    struct rk_binding *b = input ? &c->in_mem[attr->index] : &c->out_mem[attr->index];
    b->mem = rk_mem_find(mem);
    b->view = v;
    pthread_mutex_unlock(&rk.lock);
out:
    rk_ctx_release(c);
    return rc;
}

int rknn_set_input_shapes(rknn_context ctx, uint32_t n_inputs, rknn_tensor_attr attr[]) {
    (void)n_inputs;
    (void)attr;
    struct rk_ctx *c = rk_ctx_acquire(ctx);
    if (!c) {
        return bad_ctx("rknn_set_input_shapes", ctx);
    }
    rk_ctx_release(c);
    return rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_set_input_shapes",
                   "the model has no dynamic input shapes (the emulator's models are all static)");
}

int rknn_mem_sync(rknn_context context, rknn_tensor_mem *mem, rknn_mem_sync_mode mode) {
    struct rk_ctx *c = rk_ctx_acquire(context);
    if (!c) {
        return bad_ctx("rknn_mem_sync", context);
    }
    int rc = check_mem("rknn_mem_sync", mem);
    if (rc == RKNN_SUCC && (mode < RKNN_MEMORY_SYNC_TO_DEVICE || mode > RKNN_MEMORY_SYNC_BIDIRECTIONAL)) {
        rc = rk_fail(RKNN_ERR_PARAM_INVALID, "rknn_mem_sync", "mode %d (1 to device, 2 from device, 3 both)", (int)mode);
    }
    rk_ctx_release(c);
    return rc;
}
