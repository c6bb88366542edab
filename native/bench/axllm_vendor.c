/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The vendor call pattern (axllm_vendor.h). Buffers as the AXCL runner's
 * sub_init: group 0 allocates every tensor, the last group every tensor but
 * K/V (which alias group 0's), middle groups alias the last group's buffers.
 */
#include "axllm_vendor.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axcl.h"
#include "axemu.h" /* the emulator's JSON reader (json.c is compiled in) */

#define MAX_LAYERS 128
#define MAX_GROUPS 16
#define MASKED 0xC780u /* bf16 -65536 */

enum { T_INPUT, T_INDICES, T_MASK, T_KC, T_VC, T_NIN };
enum { T_KOUT, T_VOUT, T_OUTPUT, T_NOUT };
static const char *const IN_NAMES[T_NIN] = {"input", "indices", "mask", "K_cache", "V_cache"};
static const char *const OUT_NAMES[T_NOUT] = {"K_cache_out", "V_cache_out", "output"};

struct layer {
    uint64_t model, ctx;
    axclrtEngineIOInfo info;
    int ngroups;
    axclrtEngineIO io[MAX_GROUPS];
    int in_idx[MAX_GROUPS][T_NIN], out_idx[MAX_GROUPS][T_NOUT];
    void *in_buf[2][T_NIN], *out_buf[2][T_NOUT]; /* [0] group 0, [1] the last group */
    uint64_t in_size[2][T_NIN], out_size[2][T_NOUT];
};

struct axllm_vendor {
    int nlayers, H, kv, C, P, vocab, stop;
    int ncaps, caps[MAX_GROUPS]; /* history capacity of groups 1.. */
    struct layer layer[MAX_LAYERS];
    uint64_t post_model, post_ctx;
    axclrtEngineIOInfo post_info;
    axclrtEngineIO post_io;
    void *post_in, *post_out;
    const uint16_t *embed;
    size_t embed_len;
    uint16_t *host_logits, *host_hidden, *host_mask;
    uint32_t *host_idx;
    int pos;
    int fault;
};

#define TRY(expr)                                                                             \
    do {                                                                                      \
        axclError rc_ = (expr);                                                               \
        if (rc_ != AXCL_SUCC) {                                                               \
            fprintf(stderr, "axllm_vendor: %s failed: 0x%08X\n", #expr, (unsigned)rc_);     \
            return -1;                                                                        \
        }                                                                                     \
    } while (0)

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static const char *jstr(const ax_json *root, const char *key) {
    const ax_json *v = ax_json_get(root, key);
    return v && v->type == AX_JSON_STRING ? v->string : NULL;
}

static int jint(const ax_json *root, const char *key) {
    const ax_json *v = ax_json_get(root, key);
    return v && v->type == AX_JSON_NUMBER ? (int)v->number : -1;
}

/* Index of a tensor in group g: NAME, else NAME_<g> (as G3 looks them up). */
static int lookup(axclrtEngineIOInfo info, bool input, const char *name, int g) {
    int32_t i = input ? axclrtEngineGetInputIndexByName(info, name) : axclrtEngineGetOutputIndexByName(info, name);
    if (i < 0) {
        char s[128];
        snprintf(s, sizeof s, "%s_%d", name, g);
        i = input ? axclrtEngineGetInputIndexByName(info, s) : axclrtEngineGetOutputIndexByName(info, s);
    }
    return i;
}

static int dims_of(axclrtEngineIOInfo info, int g, int index, int which) {
    axclrtEngineIODims d;
    if (axclrtEngineGetInputDims(info, (uint32_t)g, (uint32_t)index, &d) != AXCL_SUCC || which >= d.dimCount) {
        return -1;
    }
    return d.dims[which];
}

static int open_layer(struct axllm_vendor *r, struct layer *L, const char *path) {
    TRY(axclrtEngineLoadFromFile(path, &L->model));
    TRY(axclrtEngineCreateContext(L->model, &L->ctx));
    TRY(axclrtEngineGetIOInfo(L->model, &L->info));
    int32_t n = 0;
    TRY(axclrtEngineGetShapeGroupsCount(L->info, &n));
    if (n < 2 || n > MAX_GROUPS) {
        fprintf(stderr, "axllm_vendor: %s has %d shape groups (2..%d expected)\n", path, n, MAX_GROUPS);
        return -1;
    }
    L->ngroups = n;
    for (int g = 0; g < n; g++) {
        TRY(axclrtEngineCreateIO(L->info, &L->io[g]));
        for (int t = 0; t < T_NIN; t++) {
            L->in_idx[g][t] = lookup(L->info, true, IN_NAMES[t], g);
        }
        for (int t = 0; t < T_NOUT; t++) {
            L->out_idx[g][t] = lookup(L->info, false, OUT_NAMES[t], g);
        }
        for (int t = 0; t < T_NIN; t++) {
            if (L->in_idx[g][t] < 0 || (t < T_NOUT && L->out_idx[g][t] < 0)) {
                fprintf(stderr, "axllm_vendor: %s group %d lacks %s\n", path, g,
                        L->in_idx[g][t] < 0 ? IN_NAMES[t] : OUT_NAMES[t]);
                return -1;
            }
        }
    }
    /* Buffers: group 0 all, the last group all but K/V. */
    for (int k = 0; k < 2; k++) {
        int g = k == 0 ? 0 : n - 1;
        for (int t = 0; t < T_NIN; t++) {
            if (k == 1 && (t == T_KC || t == T_VC)) {
                L->in_buf[1][t] = L->in_buf[0][t];
                L->in_size[1][t] = L->in_size[0][t];
                continue;
            }
            uint64_t s = axclrtEngineGetInputSizeByIndex(L->info, (uint32_t)g, (uint32_t)L->in_idx[g][t]);
            L->in_size[k][t] = s;
            TRY(axclrtMalloc(&L->in_buf[k][t], s, AXCL_MEM_MALLOC_HUGE_FIRST));
            TRY(axclrtMemset(L->in_buf[k][t], 0, s));
        }
        for (int t = 0; t < T_NOUT; t++) {
            uint64_t s = axclrtEngineGetOutputSizeByIndex(L->info, (uint32_t)g, (uint32_t)L->out_idx[g][t]);
            L->out_size[k][t] = s;
            TRY(axclrtMalloc(&L->out_buf[k][t], s, AXCL_MEM_MALLOC_HUGE_FIRST));
        }
    }
    for (int g = 0; g < n; g++) {
        int k = g == 0 ? 0 : 1;
        for (int t = 0; t < T_NIN; t++) {
            TRY(axclrtEngineSetInputBufferByIndex(L->io[g], (uint32_t)L->in_idx[g][t], L->in_buf[k][t], L->in_size[k][t]));
        }
        for (int t = 0; t < T_NOUT; t++) {
            TRY(axclrtEngineSetOutputBufferByIndex(L->io[g], (uint32_t)L->out_idx[g][t], L->out_buf[k][t],
                                                   L->out_size[k][t]));
        }
    }
    (void)r;
    return 0;
}

static int read_stop(const char *dir, const char *tok) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, tok);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    int magic, type, nsp, nstop, npre, v, stop = -1;
    if (fscanf(f, "%d %d %d %d %d", &magic, &type, &nsp, &nstop, &npre) == 5 && magic == 430 && nstop >= 1) {
        for (int i = 0; i < nsp && fscanf(f, "%d", &v) == 1; i++) {
        }
        if (fscanf(f, "%d", &v) == 1) {
            stop = v;
        }
    }
    fclose(f);
    return stop;
}

int axllm_vendor_open(struct axllm_vendor **out, const char *dir) {
    *out = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    size_t len = 0;
    char *text = read_file(path, &len);
    ax_json *root = NULL;
    char err[128];
    if (!text || ax_json_parse(text, len, &root, err, sizeof err) != 0) {
        fprintf(stderr, "axllm_vendor: cannot read %s\n", path);
        free(text);
        return -1;
    }
    free(text);
    struct axllm_vendor *r = calloc(1, sizeof *r);
    const char *tmpl = jstr(root, "template_filename_axmodel"), *post = jstr(root, "filename_post_axmodel");
    const char *emb = jstr(root, "filename_tokens_embed"), *tok = jstr(root, "url_tokenizer_model");
    r->nlayers = jint(root, "axmodel_num");
    r->vocab = jint(root, "tokens_embed_num");
    r->H = jint(root, "tokens_embed_size");
    int rc = -1;
    if (!r || !tmpl || !post || !emb || !tok || r->nlayers < 1 || r->nlayers > MAX_LAYERS || r->vocab < 1 || r->H < 1) {
        fprintf(stderr, "axllm_vendor: %s lacks a required key\n", path);
        goto done;
    }
    r->stop = read_stop(dir, tok);
    for (int i = 0; i < r->nlayers; i++) {
        char name[512];
        snprintf(name, sizeof name, tmpl, i);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (open_layer(r, &r->layer[i], path) != 0) {
            goto done;
        }
    }
    /* Sizes from layer 0, as G2: C from the decode mask, kv from K_cache_out, P from indices of group 1. */
    struct layer *L0 = &r->layer[0];
    r->C = (int)(L0->in_size[0][T_MASK] / 2) - 1;
    r->kv = (int)(L0->out_size[0][T_KOUT] / 2);
    r->P = dims_of(L0->info, 1, L0->in_idx[1][T_INDICES], 1);
    r->ncaps = L0->ngroups - 1;
    for (int g = 1; g < L0->ngroups; g++) {
        r->caps[g - 1] = dims_of(L0->info, g, L0->in_idx[g][T_MASK], 2) - r->P; /* G3: mask columns - P */
    }
    snprintf(path, sizeof path, "%s/%s", dir, post);
    if (axclrtEngineLoadFromFile(path, &r->post_model) != AXCL_SUCC ||
        axclrtEngineCreateContext(r->post_model, &r->post_ctx) != AXCL_SUCC ||
        axclrtEngineGetIOInfo(r->post_model, &r->post_info) != AXCL_SUCC ||
        axclrtEngineCreateIO(r->post_info, &r->post_io) != AXCL_SUCC ||
        axclrtMalloc(&r->post_in, (size_t)r->H * 2, AXCL_MEM_MALLOC_HUGE_FIRST) != AXCL_SUCC ||
        axclrtMalloc(&r->post_out, (size_t)r->vocab * 2, AXCL_MEM_MALLOC_HUGE_FIRST) != AXCL_SUCC ||
        axclrtEngineSetInputBufferByIndex(r->post_io, 0, r->post_in, (uint64_t)r->H * 2) != AXCL_SUCC ||
        axclrtEngineSetOutputBufferByIndex(r->post_io, 0, r->post_out, (uint64_t)r->vocab * 2) != AXCL_SUCC) {
        fprintf(stderr, "axllm_vendor: cannot set up the post model %s\n", path);
        goto done;
    }
    snprintf(path, sizeof path, "%s/%s", dir, emb);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size != (size_t)r->vocab * (size_t)r->H * 2) {
        fprintf(stderr, "axllm_vendor: %s missing or not vocab x hidden x 2 bytes\n", path);
        if (fd >= 0) {
            close(fd);
        }
        goto done;
    }
    r->embed_len = (size_t)st.st_size;
    void *m = mmap(NULL, r->embed_len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        goto done;
    }
    r->embed = m;
    int cols = r->caps[r->ncaps - 1] + r->P;
    r->host_logits = malloc((size_t)r->vocab * 2);
    r->host_hidden = malloc((size_t)r->P * (size_t)r->H * 2);
    r->host_mask = malloc((size_t)r->P * (size_t)(cols > r->C + 1 ? cols : r->C + 1) * 2);
    r->host_idx = malloc((size_t)r->P * 4);
    if (r->host_logits && r->host_hidden && r->host_mask && r->host_idx) {
        rc = 0;
    }
done:
    ax_json_free(root);
    if (rc != 0) {
        axllm_vendor_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

void axllm_vendor_close(struct axllm_vendor *r) {
    if (!r) {
        return;
    }
    for (int i = 0; i < r->nlayers; i++) {
        struct layer *L = &r->layer[i];
        for (int g = 0; g < L->ngroups; g++) {
            if (L->io[g]) {
                axclrtEngineDestroyIO(L->io[g]);
            }
        }
        for (int k = 0; k < 2; k++) {
            for (int t = 0; t < T_NIN; t++) {
                if (L->in_buf[k][t] && !(k == 1 && (t == T_KC || t == T_VC))) {
                    axclrtFree(L->in_buf[k][t]);
                }
            }
            for (int t = 0; t < T_NOUT; t++) {
                if (L->out_buf[k][t]) {
                    axclrtFree(L->out_buf[k][t]);
                }
            }
        }
        if (L->info) {
            axclrtEngineDestroyIOInfo(L->info);
        }
        if (L->model) {
            axclrtEngineUnload(L->model);
        }
    }
    if (r->post_io) {
        axclrtEngineDestroyIO(r->post_io);
    }
    if (r->post_info) {
        axclrtEngineDestroyIOInfo(r->post_info);
    }
    if (r->post_in) {
        axclrtFree(r->post_in);
    }
    if (r->post_out) {
        axclrtFree(r->post_out);
    }
    if (r->post_model) {
        axclrtEngineUnload(r->post_model);
    }
    if (r->embed) {
        munmap((void *)r->embed, r->embed_len);
    }
    free(r->host_logits);
    free(r->host_hidden);
    free(r->host_mask);
    free(r->host_idx);
    free(r);
}

static int argmax(const struct axllm_vendor *r) {
    int best = 0;
    float bv = -1e30f;
    for (int i = 0; i < r->vocab; i++) {
        uint32_t bits = (uint32_t)r->host_logits[i] << 16;
        float f;
        memcpy(&f, &bits, sizeof f);
        if (f > bv) {
            bv = f;
            best = i;
        }
    }
    return best;
}

static int post(struct axllm_vendor *r) {
    TRY(axclrtEngineExecute(r->post_model, r->post_ctx, 0, r->post_io));
    TRY(axclrtMemcpy(r->host_logits, r->post_out, (size_t)r->vocab * 2, AXCL_MEMCPY_DEVICE_TO_HOST));
    return argmax(r);
}

int axllm_vendor_decode(struct axllm_vendor *r, int32_t token) {
    if (r->pos >= r->C || token < 0 || token >= r->vocab) {
        return -1;
    }
    size_t row = (size_t)r->H * 2, kvrow = (size_t)r->kv * 2;
    TRY(axclrtMemcpy(r->layer[0].in_buf[0][T_INPUT], r->embed + (size_t)token * r->H, row, AXCL_MEMCPY_HOST_TO_DEVICE));
    /* mask: [0, pos) and the last element attend */
    for (int c = 0; c <= r->C; c++) {
        r->host_mask[c] = c < r->pos || c == r->C ? 0 : MASKED;
    }
    r->host_idx[0] = (uint32_t)(r->pos + (r->fault == AXLLM_FAULT_INDEX));
    if (r->fault == AXLLM_FAULT_MASK && r->pos > 0) {
        r->host_mask[r->pos - 1] = MASKED;
    }
    size_t at = (size_t)(r->pos + (r->fault == AXLLM_FAULT_KV_ROW && r->pos + 1 < r->C)) * kvrow;
    for (int i = 0; i < r->nlayers; i++) {
        struct layer *L = &r->layer[i];
        TRY(axclrtMemcpy(L->in_buf[0][T_INDICES], r->host_idx, 4, AXCL_MEMCPY_HOST_TO_DEVICE));
        TRY(axclrtMemcpy(L->in_buf[0][T_MASK], r->host_mask, (size_t)(r->C + 1) * 2, AXCL_MEMCPY_HOST_TO_DEVICE));
        TRY(axclrtEngineExecute(L->model, L->ctx, 0, L->io[0]));
        TRY(axclrtMemcpy((uint8_t *)L->in_buf[0][T_KC] + at, L->out_buf[0][T_KOUT], kvrow,
                         AXCL_MEMCPY_DEVICE_TO_DEVICE));
        TRY(axclrtMemcpy((uint8_t *)L->in_buf[0][T_VC] + at, L->out_buf[0][T_VOUT], kvrow,
                         AXCL_MEMCPY_DEVICE_TO_DEVICE));
        void *next = i + 1 < r->nlayers ? r->layer[i + 1].in_buf[0][T_INPUT] : r->post_in;
        TRY(axclrtMemcpy(next, L->out_buf[0][T_OUTPUT], row, AXCL_MEMCPY_DEVICE_TO_DEVICE));
    }
    r->pos++;
    return post(r);
}

int axllm_vendor_prefill(struct axllm_vendor *r, const int32_t *ids, int n) {
    if (n <= 0 || r->pos + n > r->caps[r->ncaps - 1] + r->P || r->pos + n > r->C) {
        return -1;
    }
    size_t kvrow = (size_t)r->kv * 2;
    int next = -1;
    for (int done = 0; done < n; done += r->P) {
        int m = n - done < r->P ? n - done : r->P, hist = r->pos;
        int g = 1;
        while (g <= r->ncaps && r->caps[g - 1] < hist) {
            g++;
        }
        if (g > r->ncaps) {
            return -1;
        }
        int cap = r->caps[g - 1], cols = cap + r->P;
        memset(r->host_hidden, 0, (size_t)r->P * r->H * 2);
        for (int j = 0; j < m; j++) {
            if (ids[done + j] < 0 || ids[done + j] >= r->vocab) {
                return -1;
            }
            memcpy(r->host_hidden + (size_t)j * r->H, r->embed + (size_t)ids[done + j] * r->H, (size_t)r->H * 2);
        }
        for (int j = 0; j < r->P; j++) {
            r->host_idx[j] = (uint32_t)(hist + j);
        }
        for (int i = 0; i < r->P; i++) {
            uint16_t *row = r->host_mask + (size_t)i * cols;
            for (int c = 0; c < cols; c++) {
                row[c] = i < m && (c < hist || (c >= cap && c <= cap + i)) ? 0 : MASKED;
            }
        }
        for (int i = 0; i < r->nlayers; i++) {
            struct layer *L = &r->layer[i];
            TRY(axclrtMemcpy(L->in_buf[1][T_INDICES], r->host_idx, (size_t)r->P * 4, AXCL_MEMCPY_HOST_TO_DEVICE));
            TRY(axclrtMemcpy(L->in_buf[1][T_MASK], r->host_mask, (size_t)r->P * cols * 2, AXCL_MEMCPY_HOST_TO_DEVICE));
            TRY(axclrtMemcpy(L->in_buf[1][T_INPUT], r->host_hidden, (size_t)r->P * r->H * 2, AXCL_MEMCPY_HOST_TO_DEVICE));
            TRY(axclrtEngineExecute(L->model, L->ctx, (uint32_t)g, L->io[g]));
            TRY(axclrtMemcpy((uint8_t *)L->in_buf[0][T_KC] + (size_t)hist * kvrow, L->out_buf[1][T_KOUT],
                             (size_t)m * kvrow, AXCL_MEMCPY_DEVICE_TO_DEVICE));
            TRY(axclrtMemcpy((uint8_t *)L->in_buf[0][T_VC] + (size_t)hist * kvrow, L->out_buf[1][T_VOUT],
                             (size_t)m * kvrow, AXCL_MEMCPY_DEVICE_TO_DEVICE));
            TRY(axclrtMemcpy(r->host_hidden, L->out_buf[1][T_OUTPUT], (size_t)r->P * r->H * 2,
                             AXCL_MEMCPY_DEVICE_TO_HOST));
        }
        r->pos += m;
        if (done + m == n) {
            TRY(axclrtMemcpy(r->post_in, r->host_hidden + (size_t)(m - 1) * r->H, (size_t)r->H * 2,
                             AXCL_MEMCPY_HOST_TO_DEVICE));
            next = post(r);
        }
    }
    return next;
}

void axllm_vendor_fault(struct axllm_vendor *r, int fault) {
    r->fault = fault;
}

void axllm_vendor_reset(struct axllm_vendor *r) {
    r->pos = 0;
}

int axllm_vendor_position(const struct axllm_vendor *r) {
    return r->pos;
}

int axllm_vendor_capacity(const struct axllm_vendor *r) {
    return r->C;
}

int axllm_vendor_chunk(const struct axllm_vendor *r) {
    return r->P;
}

int axllm_vendor_layers(const struct axllm_vendor *r) {
    return r->nlayers;
}

int axllm_vendor_stop_id(const struct axllm_vendor *r) {
    return r->stop;
}
