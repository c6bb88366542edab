/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The toy decoder layers and post model of the emulated LLM packages
 * ("compute axllm_layer layer=N" and "compute axllm_post special_base=N").
 *
 * A deterministic toy, not a trained network, but a real causal transformer
 * over the KV cache at a small internal width: every layer computes, for each
 * token of its input, K and V rows from that token's hidden state and its
 * position (`indices`), writes them to K_cache_out / V_cache_out, and lets
 * each row attend (softmax over scores of its query against the keys) to the
 * cache rows and chunk rows its `mask` allows; the heads' results are written
 * into lanes of the hidden state (the residual stream), which the next layer
 * reads. A wrong position, mask or cache row changes what the heads find, and
 * so the tokens.
 *
 * Hidden lanes (axllm.h): the embedding gives the token id (3 base-64
 * digits), a class (im_start, </think>, "name", ...) and hash features; the
 * rest of the row is noise that passes through. Heads:
 *   layer 0: PREV1 / PREV2 (sharp attention at position p-1 / p-2: previous
 *            token ids), MEAN (uniform attention: mean hash features and
 *            whether a "<tools" token occurred), and the own position.
 *   layer 1: LAST im_start (position, and the MEAN lanes as they were there:
 *            the seed of the answer), LAST </think>, FIRST and LAST tool-name
 *            opener ("name" "\":" " \"" or "name" "\":\"").
 *   layer 2: FIRST quote after the first opener (end of the first tool's
 *            name), AT (copy head: the token at first opener + 1 + (p - last
 *            opener), i.e. the next name token to copy).
 *   layer >=3: DEEP (rotary dot-product attention with a per-layer
 *            frequency, mixing per-layer hash features into a fingerprint).
 *
 * Multimodal RoPE (Qwen-VL): a layer whose prefill `indices` hold three rows
 * [3, T] (temporal, height, width position of each token; a decode group's
 * single position is all three) is an mRoPE layer. The heads above use the
 * temporal row; in layers >= 3 an mRoPE layer adds a VIS head: a hash, in
 * cache order, of every attended row's three positions and its deepstack
 * lanes (AXLLM_L_DS) as its K/V rows hold them, added to the DEEP lanes. So
 * one wrong height or width id, or one missing deepstack add, changes the
 * fingerprint the answer is drawn from. Layers 1 and 2 halve the deepstack
 * lanes (zero in text), so it also matters after which layer a Qwen3-VL
 * deepstack feature is added (after layer k for feature k, as HF
 * transformers' Qwen3-VL text model does).
 * Retrieval scores differ by >= 200 between candidates, so exp() of the
 * losers underflows to exactly 0 and a retrieval is an exact copy. Decode
 * and prefill add the same terms in the same (position) order, so a token
 * decoded step by step sees bit-identical lanes to a full recompute.
 *
 * The post model reads the last position's lanes and picks the next token
 * with a small state machine (axllm_next_token): "<think>\n", a thinking
 * sentence, "\n</think>\n\n", then either an answer sentence from a word
 * grammar (word choice driven by the deep fingerprint and the seed) or, when
 * the context declares tools, "<tool_call>\n{\"name\": \"<first tool's
 * name, copied token by token>\", \"arguments\": {}}\n</tool_call>"; then
 * <|im_end|>. An empty think block in the prompt (no_think) skips the
 * thinking. Logits: the chosen token 16, every other token between -8 and -6.
 */
#include "axemu.h"
#include "axllm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BIG 1.0e6f
#define STEP 200.0f
#define NHEAD 4

/* ------------------------------------------------------------------ */
/* Lanes                                                               */
/* ------------------------------------------------------------------ */

static int digits3(const float *l) {
    return (int)lrintf(l[0]) * 4096 + (int)lrintf(l[1]) * 64 + (int)lrintf(l[2]);
}

static int digits2(const float *l) {
    return (int)lrintf(l[0]) * 64 + (int)lrintf(l[1]);
}

static void put_pos(float *l, int p) {
    l[0] = (float)(p / 64);
    l[1] = (float)(p % 64);
}

uint32_t axllm_mix32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

static uint32_t lanes_hash(const float *l, int n, uint32_t h) {
    for (int i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &l[i], sizeof b);
        h = axllm_mix32(h ^ b) + 0x9E3779B9u;
    }
    return h;
}

/* ------------------------------------------------------------------ */
/* Heads                                                               */
/* ------------------------------------------------------------------ */

enum head_kind { H_NONE, H_PREV1, H_PREV2, H_MEAN, H_LAST, H_FIRST, H_FIRST_AFTER, H_AT, H_DEEP, H_VIS };

struct head {
    enum head_kind kind;
    int flag;      /* which key flag (LAST/FIRST) */
    int out_lane;  /* first lane written */
    int out_n;     /* lanes written (= V values used) */
};

enum { F_IM_START, F_THINK_END, F_NAME_OPEN, F_QUOTE, F_TRESP_END };

static int layer_heads(int layer, bool mrope, struct head *h) {
    memset(h, 0, sizeof(struct head) * NHEAD);
    switch (layer) {
    case 0:
        h[0] = (struct head){H_PREV1, 0, AXLLM_L_PREV1, 4};
        h[1] = (struct head){H_PREV2, 0, AXLLM_L_PREV2, 4};
        h[2] = (struct head){H_MEAN, 0, AXLLM_L_MEAN, 5};
        return 3;
    case 1:
        h[0] = (struct head){H_LAST, F_IM_START, AXLLM_L_START, 8}; /* found, pos, then the 5 MEAN lanes */
        h[1] = (struct head){H_LAST, F_THINK_END, AXLLM_L_TEND, 3};
        h[2] = (struct head){H_FIRST, F_NAME_OPEN, AXLLM_L_NAMEF, 3};
        h[3] = (struct head){H_LAST, F_NAME_OPEN, AXLLM_L_NAMEL, 3};
        return 4;
    case 2:
        h[0] = (struct head){H_FIRST_AFTER, F_QUOTE, AXLLM_L_QEND, 3};
        h[1] = (struct head){H_AT, 0, AXLLM_L_COPY, 4};
        h[2] = (struct head){H_LAST, F_TRESP_END, AXLLM_L_TRESP, 3};
        return 3;
    default:
        h[0] = (struct head){H_DEEP, 0, AXLLM_L_DEEP, 4};
        if (mrope) {
            h[1] = (struct head){H_VIS, 0, AXLLM_L_DEEP, 4}; /* added to DEEP's result */
            return 2;
        }
        return 1;
    }
}

static bool key_flag(const float *x, int flag) {
    int cls = (int)lrintf(x[AXLLM_L_CLASS]);
    switch (flag) {
    case F_IM_START: return cls == AXLLM_C_IM_START;
    case F_THINK_END: return cls == AXLLM_C_THINK_END;
    case F_NAME_OPEN: {
        int p1 = (int)lrintf(x[AXLLM_L_PREV1 + 3]), p2 = (int)lrintf(x[AXLLM_L_PREV2 + 3]);
        return (cls == AXLLM_C_SPACE_Q && p1 == AXLLM_C_COLON_Q && p2 == AXLLM_C_NAME_KEY) ||
               (cls == AXLLM_C_COLON_QQ && p1 == AXLLM_C_NAME_KEY);
    }
    case F_TRESP_END: return cls == AXLLM_C_TOOL_RESPONSE_END;
    case F_QUOTE:
        return cls == AXLLM_C_COLON_Q || cls == AXLLM_C_SPACE_Q || cls == AXLLM_C_COLON_QQ || cls == AXLLM_C_QUOTE;
    }
    return false;
}

static float deep_freq(int layer) {
    return 0.05f + 0.037f * (float)(layer % 11);
}

/* Per-layer hash feature of a token for the DEEP heads, k/16 in [-1, 1). */
static float deep_feature(const float *x, int layer, int m) {
    uint32_t h = axllm_mix32((uint32_t)digits3(x + AXLLM_L_ID) * 0x9E3779B1u ^ (uint32_t)(layer * 8 + m) * 0x85EBCA6Bu);
    return (float)((int)(h & 31) - 16) / 16.0f;
}

/* A token's rotary positions: temporal, height, width (all equal for text). */
struct pos3 {
    int t, h, w;
};

/* K and V rows of one token for one layer (floats, rounded to bf16 later). */
static void key_value(int layer, const struct head *h, int nh, const float *x, struct pos3 p3, float *k, float *v) {
    int pos = p3.t;
    for (int j = 0; j < nh; j++) {
        float *kk = k + 4 * j, *vv = v + 8 * j;
        switch (h[j].kind) {
        case H_PREV1:
        case H_PREV2:
        case H_AT:
            put_pos(kk + 1, pos);
            memcpy(vv, x + AXLLM_L_ID, 3 * sizeof(float));
            vv[3] = x[AXLLM_L_CLASS];
            break;
        case H_MEAN:
            memcpy(vv, x + AXLLM_L_HASH, 4 * sizeof(float));
            vv[4] = x[AXLLM_L_CLASS] == (float)AXLLM_C_TOOLS ? 1.0f : 0.0f;
            break;
        case H_LAST:
        case H_FIRST:
        case H_FIRST_AFTER:
            kk[0] = key_flag(x, h[j].flag) ? 1.0f : 0.0f;
            put_pos(kk + 1, pos);
            vv[0] = kk[0];
            put_pos(vv + 1, pos);
            if (h[j].out_n == 8) {
                memcpy(vv + 3, x + AXLLM_L_MEAN, 5 * sizeof(float));
            }
            break;
        case H_DEEP: {
            float w = deep_freq(layer) * (float)pos;
            kk[0] = cosf(w);
            kk[1] = sinf(w);
            for (int m = 0; m < 4; m++) {
                vv[m] = 0.5f * (x[AXLLM_L_DEEP + m] + deep_feature(x, layer, m));
            }
            break;
        }
        case H_VIS:
            put_pos(kk, p3.t);
            put_pos(kk + 2, p3.h);
            put_pos(vv, p3.w);
            memcpy(vv + 2, x + AXLLM_L_DS, 4 * sizeof(float));
            break;
        case H_NONE: break;
        }
    }
}

/* Score of the query (row lanes q, position pq) against key k (pk its position). */
static float score(const struct head *h, int layer, const float *q, int pq, const float *k) {
    int pk = digits2(k + 1);
    switch (h->kind) {
    case H_PREV1: return -STEP * fabsf((float)(pk - (pq - 1)));
    case H_PREV2: return -STEP * fabsf((float)(pk - (pq - 2)));
    case H_MEAN: return 0.0f;
    case H_LAST: return BIG * k[0] + STEP * (float)pk;
    case H_FIRST: return BIG * k[0] - STEP * (float)pk;
    case H_FIRST_AFTER: {
        bool after = q[AXLLM_L_NAMEF] > 0.5f && pk > digits2(q + AXLLM_L_NAMEF + 1);
        return BIG * (k[0] > 0.5f && after ? 1.0f : 0.0f) - STEP * (float)pk;
    }
    case H_AT: {
        int t = digits2(q + AXLLM_L_NAMEF + 1) + 1 + (pq - digits2(q + AXLLM_L_NAMEL + 1));
        return -STEP * fabsf((float)(pk - t));
    }
    case H_DEEP: {
        float w = deep_freq(layer) * (float)pq;
        return 4.0f * (cosf(w) * k[0] + sinf(w) * k[1]);
    }
    case H_VIS:
    case H_NONE: break;
    }
    return 0.0f;
}

/* Whether a head produces anything for this query (else its lanes stay 0). */
static bool head_active(const struct head *h, const float *q, int pq) {
    switch (h->kind) {
    case H_PREV1: return pq >= 1;
    case H_PREV2: return pq >= 2;
    case H_AT: return q[AXLLM_L_NAMEF] > 0.5f && q[AXLLM_L_NAMEL] > 0.5f;
    default: return true;
    }
}

/* ------------------------------------------------------------------ */
/* The layer                                                           */
/* ------------------------------------------------------------------ */

/* Tensors are found by their group-0 name (later groups may spell it NAME_<g>). */
static int find(const struct ax_tensor *t, int n, const char *name) {
    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

struct llm_io {
    int input, indices, mask, kc, vc; /* input indices */
    int kout, vout, output;           /* output indices */
};

static int llm_io(const struct ax_desc *d, struct llm_io *io, char *why, size_t whylen) {
    io->input = find(d->in, d->nin, "input");
    io->indices = find(d->in, d->nin, "indices");
    io->mask = find(d->in, d->nin, "mask");
    io->kc = find(d->in, d->nin, "K_cache");
    io->vc = find(d->in, d->nin, "V_cache");
    io->kout = find(d->out, d->nout, "K_cache_out");
    io->vout = find(d->out, d->nout, "V_cache_out");
    io->output = find(d->out, d->nout, "output");
    if (io->input < 0 || io->indices < 0 || io->mask < 0 || io->kc < 0 || io->vc < 0 || io->kout < 0 || io->vout < 0 ||
        io->output < 0 || d->nin != 5 || d->nout != 3) {
        snprintf(why, whylen,
                 "compute axllm_layer: inputs input, indices, mask, K_cache, V_cache and outputs K_cache_out,"
                 " V_cache_out, output expected");
        return -1;
    }
    return 0;
}

static int dim(const struct ax_tensor *t, int g, int i) {
    return i < t->ndims[g] ? t->dims[g][i] : 1;
}

int ax_axllm_layer_check(const struct ax_desc *d, char *why, size_t whylen) {
    struct llm_io io;
    if (llm_io(d, &io, why, whylen) != 0) {
        return -1;
    }
    for (int g = 0; g < d->ngroups; g++) {
        const struct ax_tensor *in = &d->in[io.input], *ix = &d->in[io.indices], *mk = &d->in[io.mask];
        const struct ax_tensor *kc = &d->in[io.kc], *vc = &d->in[io.vc];
        const struct ax_tensor *ko = &d->out[io.kout], *vo = &d->out[io.vout], *ou = &d->out[io.output];
        int T = dim(in, g, 1), H = dim(in, g, 2), kv = dim(ko, g, 2), M = dim(mk, g, 2), R = dim(kc, g, 1);
        bool ok = in->type == AXCL_DATA_TYPE_BF16 && ix->type == AXCL_DATA_TYPE_UINT32 &&
                  mk->type == AXCL_DATA_TYPE_BF16 && kc->type == AXCL_DATA_TYPE_BF16 && vc->type == AXCL_DATA_TYPE_BF16 &&
                  ko->type == AXCL_DATA_TYPE_BF16 && vo->type == AXCL_DATA_TYPE_BF16 && ou->type == AXCL_DATA_TYPE_BF16;
        ok = ok && (dim(ix, g, 0) == 1 || dim(ix, g, 0) == 3) && ix->ndims[g] == 2 && dim(ix, g, 1) == T &&
             dim(mk, g, 1) == T && dim(ko, g, 1) == T && dim(vo, g, 1) == T &&
             dim(ou, g, 1) == T && dim(ou, g, 2) == H && dim(vo, g, 2) == kv && dim(kc, g, 2) == kv &&
             dim(vc, g, 2) == kv && dim(vc, g, 1) == R;
        if (!ok) {
            snprintf(why, whylen,
                     "compute axllm_layer group %d: expected bf16 input [1,T,H], uint32 indices [1,T] (or [3,T]: mRoPE), bf16 mask"
                     " [1,T,hist+T], K_cache/V_cache [1,R,kv], K_cache_out/V_cache_out [1,T,kv], output [1,T,H]",
                     g);
            return -1;
        }
        if (H < AXLLM_MIN_HIDDEN || kv < AXLLM_MIN_KV || M < T || M - T > R) {
            snprintf(why, whylen,
                     "compute axllm_layer group %d: hidden >= %d, kv >= %d and mask columns - T (%d) <= K_cache rows"
                     " (%d) needed",
                     g, AXLLM_MIN_HIDDEN, AXLLM_MIN_KV, M - T, R);
            return -1;
        }
    }
    return 0;
}

static void load_row(const uint16_t *src, int n, float *dst) {
    for (int i = 0; i < n; i++) {
        dst[i] = emu_bf16_to_float(src[i]);
    }
}

static float bf16_round(float f) {
    return emu_bf16_to_float(emu_float_to_bf16(f));
}

int ax_axllm_layer_run(const struct ax_desc *d, int group, const uint8_t *const *in, uint8_t *const *out, char *why,
                       size_t whylen) {
    struct llm_io io;
    if (llm_io(d, &io, why, whylen) != 0) {
        return -1;
    }
    int g = group, layer = d->llm_layer;
    int T = dim(&d->in[io.input], g, 1), H = dim(&d->in[io.input], g, 2), kv = dim(&d->out[io.kout], g, 2);
    int M = dim(&d->in[io.mask], g, 2), hist = M - T;
    const uint16_t *x_in = (const uint16_t *)in[io.input];
    const uint32_t *idx = (const uint32_t *)in[io.indices];
    const uint16_t *mask = (const uint16_t *)in[io.mask];
    const uint16_t *kc = (const uint16_t *)in[io.kc], *vc = (const uint16_t *)in[io.vc];
    uint16_t *ko = (uint16_t *)out[io.kout], *vo = (uint16_t *)out[io.vout], *y = (uint16_t *)out[io.output];

    /* mRoPE: some group's indices hold 3 rows (t, h, w); this group's rows: */
    bool mrope = false;
    for (int gg = 0; gg < d->ngroups; gg++) {
        mrope |= dim(&d->in[io.indices], gg, 0) == 3;
    }
    int rows3 = dim(&d->in[io.indices], g, 0) == 3;
    struct head heads[NHEAD];
    int nh = layer_heads(layer, mrope, heads);
    float *x = malloc(sizeof(float) * (size_t)T * AXLLM_LANES);
    float *ck = malloc(sizeof(float) * (size_t)T * 16), *cv = malloc(sizeof(float) * (size_t)T * 32);
    if (!x || !ck || !cv) {
        free(x);
        free(ck);
        free(cv);
        snprintf(why, whylen, "out of host memory");
        return -1;
    }
    /* K/V rows of the chunk: written out, and used (bf16-rounded, as if read back from the cache). */
    for (int i = 0; i < T; i++) {
        float *xi = x + (size_t)i * AXLLM_LANES, kr[16] = {0}, vr[32] = {0};
        load_row(x_in + (size_t)i * H, AXLLM_LANES, xi);
        if (layer == 0) {
            put_pos(xi + AXLLM_L_POS, (int)idx[i]);
        }
        struct pos3 p3 = {(int)idx[i], (int)idx[rows3 ? T + i : i], (int)idx[rows3 ? 2 * T + i : i]};
        key_value(layer, heads, nh, xi, p3, kr, vr);
        uint16_t *krow = ko + (size_t)i * kv, *vrow = vo + (size_t)i * kv;
        for (int e = 0; e < kv; e++) {
            /* Beyond the heads' width: the row carries the token's other features (noise lanes). */
            int noise = H > AXLLM_LANES ? AXLLM_LANES + e % (H - AXLLM_LANES) : e % H;
            float fk = e < 16 ? kr[e] : emu_bf16_to_float(x_in[(size_t)i * H + noise]);
            float fv = e < 32 ? vr[e] : fk;
            krow[e] = emu_float_to_bf16(fk);
            vrow[e] = emu_float_to_bf16(fv);
        }
        for (int e = 0; e < 16; e++) {
            ck[(size_t)i * 16 + e] = emu_bf16_to_float(krow[e]);
        }
        for (int e = 0; e < 32; e++) {
            cv[(size_t)i * 32 + e] = emu_bf16_to_float(vrow[e]);
        }
    }
    float *sc = malloc(sizeof(float) * (size_t)M);
    if (!sc) {
        free(x);
        free(ck);
        free(cv);
        snprintf(why, whylen, "out of host memory");
        return -1;
    }
    for (int i = 0; i < T; i++) {
        float *q = x + (size_t)i * AXLLM_LANES;
        int pq = (int)idx[i];
        const uint16_t *mrow = mask + (size_t)i * M;
        float res[NHEAD][8];
        memset(res, 0, sizeof res);
        for (int j = 0; j < nh; j++) {
            if (!head_active(&heads[j], q, pq)) {
                continue;
            }
            if (heads[j].kind == H_VIS) {
                /* hash of every attended row's K/V slot, in cache order: positions and deepstack lanes */
                uint32_t hv = 0x2545F491u + (uint32_t)layer;
                for (int c = 0; c < M; c++) {
                    if (!(emu_bf16_to_float(mrow[c]) > -1000.0f)) {
                        continue;
                    }
                    float kf[4], vf[6];
                    if (c < hist) {
                        load_row(kc + (size_t)c * kv + 4 * j, 4, kf);
                        load_row(vc + (size_t)c * kv + 8 * j, 6, vf);
                    } else {
                        memcpy(kf, ck + (size_t)(c - hist) * 16 + 4 * j, sizeof kf);
                        memcpy(vf, cv + (size_t)(c - hist) * 32 + 8 * j, sizeof vf);
                    }
                    hv = lanes_hash(kf, 4, hv);
                    hv = lanes_hash(vf, 6, hv);
                }
                for (int e = 0; e < 4; e++) {
                    res[j][e] = (float)((int)(axllm_mix32(hv + (uint32_t)e) & 31) - 16) / 16.0f;
                }
                continue;
            }
            float best = -INFINITY;
            for (int c = 0; c < M; c++) {
                /* Attended iff the mask element is above -1000 (0 = attend, -65536 = masked). */
                if (!(emu_bf16_to_float(mrow[c]) > -1000.0f)) {
                    sc[c] = -INFINITY;
                    continue;
                }
                float kf[4];
                if (c < hist) {
                    load_row(kc + (size_t)c * kv + 4 * j, 4, kf);
                } else {
                    memcpy(kf, ck + (size_t)(c - hist) * 16 + 4 * j, sizeof kf);
                }
                sc[c] = score(&heads[j], layer, q, pq, kf);
                if (sc[c] > best) {
                    best = sc[c];
                }
            }
            if (best == -INFINITY) {
                continue; /* nothing attended (a padding row) */
            }
            double sum = 0, acc[8] = {0};
            for (int c = 0; c < M; c++) {
                if (sc[c] == -INFINITY) {
                    continue;
                }
                float w = expf(sc[c] - best);
                if (w == 0.0f) {
                    continue;
                }
                float vf[8];
                if (c < hist) {
                    load_row(vc + (size_t)c * kv + 8 * j, 8, vf);
                } else {
                    memcpy(vf, cv + (size_t)(c - hist) * 32 + 8 * j, sizeof vf);
                }
                sum += w;
                for (int e = 0; e < heads[j].out_n; e++) {
                    acc[e] += (double)w * vf[e];
                }
            }
            for (int e = 0; e < heads[j].out_n; e++) {
                res[j][e] = (float)(acc[e] / sum);
            }
        }
        /* Residual: the heads' results replace their (zero, or previous DEEP) lanes; VIS adds to DEEP's. */
        for (int j = 0; j < nh; j++) {
            for (int e = 0; e < heads[j].out_n; e++) {
                float r = heads[j].kind == H_VIS ? q[heads[j].out_lane + e] + res[j][e] : res[j][e];
                q[heads[j].out_lane + e] = bf16_round(r);
            }
        }
        if (layer >= 1 && layer < AXLLM_CORE_LAYERS) {
            for (int e = 0; e < 4; e++) {
                q[AXLLM_L_DS + e] = bf16_round(0.5f * q[AXLLM_L_DS + e]);
            }
        }
        uint16_t *yr = y + (size_t)i * H;
        const uint16_t *xr = x_in + (size_t)i * H;
        for (int e = 0; e < H; e++) {
            yr[e] = e < AXLLM_LANES ? emu_float_to_bf16(q[e]) : xr[e];
        }
    }
    free(sc);
    free(x);
    free(ck);
    free(cv);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The post model                                                      */
/* ------------------------------------------------------------------ */

enum gclass { G_START, G_DET, G_ADJ, G_NOUN, G_VERB, G_PREP, G_CONJ, G_COUNT };

static const char *const G_WORDS[G_COUNT][16] = {
    [G_START] = {"The", "A", "Each", "Every"},
    [G_DET] = {" the", " a", " each", " one", " every"},
    [G_ADJ] = {" fast", " small", " next", " whole", " new", " slow", " big"},
    [G_NOUN] = {" NPU", " model", " layer", " card", " host", " link", " token", " cache", " answer", " prompt",
                " memory", " user", " step", " buffer", " core", " chip"},
    [G_VERB] = {" runs", " reads", " sends", " needs", " keeps", " uses", " moves", " checks", " writes", " waits"},
    [G_PREP] = {" on", " to", " over", " with", " for", " from", " into", " about"},
    [G_CONJ] = {" and", " so", " while", " but"},
};

static int g_count(int c) {
    int n = 0;
    while (n < 16 && G_WORDS[c][n]) {
        n++;
    }
    return n;
}

/* Grammar class of a token (G_START for anything else). */
static int gclass_of(int id) {
    static int *cls;
    static int ncls;
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    if (!cls) {
        const struct axllm_vocab *v = axllm_vocab();
        cls = calloc((size_t)v->n, sizeof *cls);
        if (cls) {
            ncls = v->n;
            for (int c = G_COUNT - 1; c >= G_DET; c--) {
                for (int k = 0; k < g_count(c); k++) {
                    cls[axllm_tok(G_WORDS[c][k])] = c;
                }
            }
            for (int k = 0; k < g_count(G_START); k++) {
                cls[axllm_tok(G_WORDS[G_START][k])] = G_DET;
            }
        }
    }
    pthread_mutex_unlock(&mu);
    return cls && id >= 0 && id < ncls ? cls[id] : G_START;
}

static int pick(int c, uint32_t h) {
    return axllm_tok(G_WORDS[c][h % (uint32_t)g_count(c)]);
}

/* Next word of a sentence of about `budget` words ending in "."; count = words so far. */
static int grammar(int cur, int count, int budget, uint32_t h) {
    if (count >= budget + 6) {
        return axllm_tok(".");
    }
    switch (gclass_of(cur)) {
    case G_DET: return (h >> 8) % 3 == 0 ? pick(G_ADJ, h) : pick(G_NOUN, h);
    case G_ADJ: return pick(G_NOUN, h);
    case G_NOUN: {
        if (count >= budget) {
            return axllm_tok(".");
        }
        uint32_t r = (h >> 8) % 4;
        return r < 2 ? pick(G_VERB, h) : r == 2 ? pick(G_PREP, h) : pick(G_CONJ, h);
    }
    case G_VERB: return (h >> 8) % 5 < 3 ? pick(G_DET, h) : pick(G_PREP, h);
    case G_PREP:
    case G_CONJ: return pick(G_DET, h);
    default: return count == 0 ? pick(G_START, h) : pick(G_DET, h);
    }
}

int axllm_next_token(const float *x, int sb, int rows) {
    (void)rows;
    const int im_end = sb + AXLLM_SP_IM_END;
    int cur = digits3(x + AXLLM_L_ID);
    int pq = digits2(x + AXLLM_L_POS);
    bool s_found = x[AXLLM_L_START] > 0.5f;
    int ps = digits2(x + AXLLM_L_START + 1);
    uint32_t seed = lanes_hash(x + AXLLM_L_SEED, 5, 0x1234567u);
    bool tools = x[AXLLM_L_SEED + 4] > 0.0f;
    int pc = digits2(x + AXLLM_L_TEND + 1);
    bool c_found = x[AXLLM_L_TEND] > 0.5f && (!s_found || pc > ps);
    uint32_t deep = lanes_hash(x + AXLLM_L_DEEP, 4, seed);
    int think_budget = 4 + (int)(seed % 5), answer_budget = 6 + (int)((seed >> 4) % 8);

    if (!s_found) { /* raw text, no chat template: one sentence */
        if (cur == axllm_tok(".")) {
            return im_end;
        }
        return grammar(cur, pq, 12, axllm_mix32(deep ^ (uint32_t)pq));
    }
    if (!c_found) { /* thinking */
        static const char *const OPENER[] = {"Okay", ",", " the", " user", " asks", " about"};
        int j = pq - ps - 2; /* index of the next token in the answer */
        if (j < 0) {
            return im_end;
        }
        if (j == 0) {
            return sb + AXLLM_SP_THINK;
        }
        if (j == 1) {
            return axllm_tok("\n");
        }
        if (j < 8) {
            return axllm_tok(OPENER[j - 2]);
        }
        if (cur == axllm_tok(".")) {
            return axllm_tok("\n");
        }
        if (cur == axllm_tok("\n")) {
            return sb + AXLLM_SP_THINK_END;
        }
        return grammar(cur, j - 8, think_budget, axllm_mix32(deep ^ (uint32_t)j * 0x9E3779B1u));
    }
    int i = pq - pc - 1; /* index of the next body token after "</think>\n\n" */
    if (i < 0) {
        return axllm_tok("\n\n");
    }
    /* Right after a tool's response the model answers in words. */
    bool after_response = x[AXLLM_L_TRESP] > 0.5f && ps - digits2(x + AXLLM_L_TRESP + 1) <= 3;
    if (tools && !after_response) {
        static const char *const PRE[] = {"\n", "{\"", "name", "\":", " \""};
        static const char *const SUF[] = {"\",", " \"", "arguments", "\":", " {}}\n"};
        if (i == 0) {
            return sb + AXLLM_SP_TOOL_CALL;
        }
        if (i < 6) {
            return axllm_tok(PRE[i - 1]);
        }
        int n = 0;
        if (x[AXLLM_L_NAMEF] > 0.5f && x[AXLLM_L_QEND] > 0.5f) {
            n = digits2(x + AXLLM_L_QEND + 1) - digits2(x + AXLLM_L_NAMEF + 1) - 1;
            n = n < 0 ? 0 : n > 16 ? 16 : n;
        }
        if (i < 6 + n) {
            return digits3(x + AXLLM_L_COPY);
        }
        int k = i - 6 - n;
        if (k < 5) {
            return axllm_tok(SUF[k]);
        }
        return k == 5 ? sb + AXLLM_SP_TOOL_CALL_END : im_end;
    }
    if (cur == axllm_tok(".")) {
        return im_end;
    }
    return grammar(cur, i, answer_budget, axllm_mix32(deep ^ (uint32_t)i * 0x85EBCA6Bu));
}

int ax_axllm_post_check(const struct ax_desc *d, char *why, size_t whylen) {
    if (d->ngroups != 1 || d->nin != 1 || d->nout != 1 || d->in[0].type != AXCL_DATA_TYPE_BF16 ||
        d->out[0].type != AXCL_DATA_TYPE_BF16 || dim(&d->in[0], 0, 1) != 1 || dim(&d->out[0], 0, 1) != 1 ||
        dim(&d->in[0], 0, 2) < AXLLM_MIN_HIDDEN) {
        snprintf(why, whylen, "compute axllm_post: one group, bf16 input [1,1,H >= %d] and bf16 output [1,1,vocab]"
                              " expected", AXLLM_MIN_HIDDEN);
        return -1;
    }
    const struct axllm_vocab *v = axllm_vocab();
    int rows = dim(&d->out[0], 0, 2);
    if (!v || d->llm_special_base < v->n || d->llm_special_base + AXLLM_NSPECIAL > rows) {
        snprintf(why, whylen, "compute axllm_post: special_base=%d must be >= %d and leave %d added tokens below vocab %d",
                 d->llm_special_base, v ? v->n : 0, AXLLM_NSPECIAL, rows);
        return -1;
    }
    return 0;
}

int ax_axllm_post_run(const struct ax_desc *d, const uint8_t *const *in, uint8_t *const *out) {
    float x[AXLLM_LANES];
    load_row((const uint16_t *)in[0], AXLLM_LANES, x);
    int rows = dim(&d->out[0], 0, 2);
    int next = axllm_next_token(x, d->llm_special_base, rows);
    uint16_t *logits = (uint16_t *)out[0];
    for (int t = 0; t < rows; t++) {
        logits[t] = emu_float_to_bf16(-8.0f + (float)(axllm_mix32((uint32_t)t) >> 28) / 8.0f);
    }
    if (next >= 0 && next < rows) {
        logits[next] = emu_float_to_bf16(16.0f);
    }
    return 0;
}
