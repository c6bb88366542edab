/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Emulator model descriptors (what rknn_init accepts instead of a .rknn file)
 * and the tensor attributes the runtime reports for them. A descriptor is a
 * text file:
 *
 *   npu4j-emulator-model rknn 1
 *   # comments
 *   name yolov8s-640
 *   compute yolo size=640 classes=80 score_sum=1
 *   time_ms rk3588=26.3 rk3576=24.5 cores=1
 *   memory weights=11M internal=8M
 *   custom any text for RKNN_QUERY_CUSTOM_STRING
 *
 * compute kinds and the tensors they get (shapes as the model zoo's exports):
 *   identity   shape=HxWxC: input UINT8 NHWC [1,H,W,C], output INT8 NCHW [1,C,H,W]
 *              with zp -128 and scale 1, so the dequantized output equals the input
 *   yolo       size=S classes=K [score_sum=0|1]: input UINT8 NHWC [1,S,S,3]; per
 *              stride 8/16/32 the box DFL head INT8 [1,64,S/s,S/s], the class scores
 *              INT8 [1,K,..] (sigmoid applied) and, with score_sum, INT8 [1,1,..]
 *   vlm        size=S tokens=T embed=E outputs=N [input=float16]: input NHWC
 *              [1,S,S,3], N outputs FLOAT16 [1,T,E] (Qwen3-VL: 4, deepstack)
 *   classifier size=S classes=K: input UINT8 NHWC [1,S,S,3], output INT8 [1,K]
 */
#include "rkemu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Quantisation of the emulated heads. The model zoo does not publish its
 * exports' values; these were chosen to cover the emulated ranges: DFL
 * logits in [-24, 7.9] (zp 64, scale 1/8), probabilities in [0, 1]
 * (zp -128, scale 1/255), classifier logits in [0, 25.5] (zp -128, scale 0.1). */
#define BOX_ZP 64
#define BOX_SCALE 0.125f
#define PROB_ZP (-128)
#define PROB_SCALE (1.0f / 255.0f)
#define LOGIT_ZP (-128)
#define LOGIT_SCALE 0.1f

size_t rk_type_size(rknn_tensor_type t) {
    switch (t) {
    case RKNN_TENSOR_FLOAT32: case RKNN_TENSOR_INT32: case RKNN_TENSOR_UINT32: return 4;
    case RKNN_TENSOR_FLOAT16: case RKNN_TENSOR_INT16: case RKNN_TENSOR_UINT16: case RKNN_TENSOR_BFLOAT16: return 2;
    case RKNN_TENSOR_INT8: case RKNN_TENSOR_UINT8: case RKNN_TENSOR_BOOL: return 1;
    case RKNN_TENSOR_INT64: return 8;
    default: return 0;
    }
}

const char *rk_type_name(rknn_tensor_type t) {
    static const char *names[] = {"FP32", "FP16", "INT8", "UINT8", "INT16", "UINT16",
                                  "INT32", "UINT32", "INT64", "BOOL", "INT4", "BF16"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "UNKNOWN";
}

const char *rk_fmt_name(rknn_tensor_format f) {
    static const char *names[] = {"NCHW", "NHWC", "NC1HWC2", "UNDEFINED"};
    return (unsigned)f < 4 ? names[f] : "UNKNOWN";
}

uint32_t rk_tensor_elems(const struct rk_tensor *t) {
    uint32_t n = 1;
    for (uint32_t i = 0; i < t->n_dims; i++) {
        n *= t->dims[i];
    }
    return n;
}

size_t rk_tensor_bytes(const struct rk_tensor *t) {
    return (size_t)rk_tensor_elems(t) * rk_type_size(t->type);
}

/* 16 int8 channels or 8 half channels per NC1HWC2 plane (the C2 RK3588/RK3576 report, inferred). */
uint32_t rk_native_c2(rknn_tensor_type t) {
    return rk_type_size(t) >= 2 ? 8 : 16;
}

static void tensor(struct rk_tensor *t, const char *name, rknn_tensor_type type, rknn_tensor_format fmt,
                   uint32_t n_dims, const uint32_t *dims, rknn_tensor_qnt_type qnt, int32_t zp, float scale) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->fmt = fmt;
    t->n_dims = n_dims;
    memcpy(t->dims, dims, n_dims * sizeof *dims);
    t->qnt = qnt;
    t->zp = zp;
    t->scale = scale;
}

void rk_attr_fill(const struct rk_tensor *t, uint32_t index, bool input, enum rk_attr_kind kind,
                  rknn_tensor_attr *a) {
    memset(a, 0, sizeof *a);
    a->index = index;
    snprintf(a->name, sizeof a->name, "%s", t->name);
    a->type = t->type;
    a->qnt_type = t->qnt;
    a->zp = t->zp;
    a->scale = t->scale;
    a->fmt = t->fmt;
    a->n_dims = t->n_dims;
    memcpy(a->dims, t->dims, t->n_dims * sizeof *t->dims);
    a->n_elems = rk_tensor_elems(t);
    a->size = (uint32_t)rk_tensor_bytes(t);
    a->size_with_stride = a->size;
    size_t es = rk_type_size(t->type);
    if (input && t->n_dims == 4 && t->fmt == RKNN_TENSOR_NHWC && kind != RK_ATTR_NORMAL) {
        /* Native image input: rows padded to 16 pixels (inferred from the vendor demos'
         * row-by-row copy when w_stride differs from the width). */
        uint32_t H = t->dims[1], W = t->dims[2], C = t->dims[3];
        a->w_stride = (W + 15) / 16 * 16;
        a->size_with_stride = (uint32_t)((size_t)H * a->w_stride * C * es);
        return;
    }
    if (input || t->n_dims != 4 || kind == RK_ATTR_NORMAL) {
        if (t->n_dims == 4 && t->fmt == RKNN_TENSOR_NHWC) {
            a->w_stride = t->dims[2];
        }
        return;
    }
    uint32_t C = t->dims[1], H = t->dims[2], W = t->dims[3];
    if (kind == RK_ATTR_NATIVE_NHWC) {
        a->fmt = RKNN_TENSOR_NHWC;
        uint32_t d[4] = {t->dims[0], H, W, C};
        memcpy(a->dims, d, sizeof d);
        a->w_stride = W;
        return;
    }
    uint32_t c2 = rk_native_c2(t->type), c1 = (C + c2 - 1) / c2;
    a->fmt = RKNN_TENSOR_NC1HWC2;
    a->n_dims = 5;
    uint32_t d[5] = {t->dims[0], c1, H, W, c2};
    memcpy(a->dims, d, sizeof d);
    a->w_stride = W;
    a->size_with_stride = (uint32_t)((size_t)t->dims[0] * c1 * H * W * c2 * es);
}

/* ---------------------------------------------------------------- parsing */

static bool starts_with(const char *s, const char *p) {
    return strncmp(s, p, strlen(p)) == 0;
}

/* Value of key=... among the words of a line, or NULL. */
static const char *opt(const char *line, const char *key, char *buf, size_t cap) {
    size_t n = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += n) {
        if ((p == line || p[-1] == ' ' || p[-1] == '\t') && p[n] == '=') {
            size_t k = strcspn(p + n + 1, " \t\r\n");
            if (k >= cap) {
                k = cap - 1;
            }
            memcpy(buf, p + n + 1, k);
            buf[k] = '\0';
            return buf;
        }
    }
    return NULL;
}

static bool opt_int(const char *line, const char *key, long lo, long hi, int *out) {
    char buf[32];
    if (!opt(line, key, buf, sizeof buf)) {
        return false;
    }
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end || v < lo || v > hi) {
        return false;
    }
    *out = (int)v;
    return true;
}

static bool opt_bytes(const char *line, const char *key, uint32_t *out) {
    char buf[32];
    if (!opt(line, key, buf, sizeof buf)) {
        return false;
    }
    char *end;
    double v = strtod(buf, &end);
    double mul = *end == 'K' ? 1024.0 : *end == 'M' ? 1048576.0 : 1.0;
    *out = (uint32_t)(v * mul);
    return true;
}

static int build_tensors(struct rk_desc *d, const char *line, char *why, size_t whylen) {
    int S = d->size;
    switch (d->compute) {
    case RK_IDENTITY: {
        char buf[64];
        unsigned H, W, C;
        if (!opt(line, "shape", buf, sizeof buf) || sscanf(buf, "%ux%ux%u", &H, &W, &C) != 3 || !H || !W || !C ||
            (size_t)H * W * C > (64u << 20)) {
            snprintf(why, whylen, "compute identity: shape=HxWxC expected");
            return -1;
        }
        d->nin = d->nout = 1;
        tensor(&d->in[0], "input", RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC, 4, (uint32_t[]){1, H, W, C},
               RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, 0, 1.0f);
        tensor(&d->out[0], "output", RKNN_TENSOR_INT8, RKNN_TENSOR_NCHW, 4, (uint32_t[]){1, C, H, W},
               RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, -128, 1.0f);
        return 0;
    }
    case RK_YOLO: {
        if (S < 64 || S > 2048 || S % 32 || d->classes < 1 || d->classes > 1000) {
            snprintf(why, whylen, "compute yolo: size (a multiple of 32, 64..2048) and classes (1..1000) expected");
            return -1;
        }
        tensor(&d->in[0], "images", RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC, 4, (uint32_t[]){1, S, S, 3},
               RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, 0, 1.0f / 255.0f);
        d->nin = 1;
        int n = 0;
        for (int k = 0; k < 3; k++) {
            uint32_t g = (uint32_t)(S / (8 << k));
            char name[RK_NAME_MAX];
            snprintf(name, sizeof name, "box_s%d", 8 << k);
            tensor(&d->out[n++], name, RKNN_TENSOR_INT8, RKNN_TENSOR_NCHW, 4, (uint32_t[]){1, 64, g, g},
                   RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, BOX_ZP, BOX_SCALE);
            snprintf(name, sizeof name, "score_s%d", 8 << k);
            tensor(&d->out[n++], name, RKNN_TENSOR_INT8, RKNN_TENSOR_NCHW, 4,
                   (uint32_t[]){1, (uint32_t)d->classes, g, g}, RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, PROB_ZP, PROB_SCALE);
            if (d->score_sum) {
                snprintf(name, sizeof name, "score_sum_s%d", 8 << k);
                tensor(&d->out[n++], name, RKNN_TENSOR_INT8, RKNN_TENSOR_NCHW, 4, (uint32_t[]){1, 1, g, g},
                       RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, PROB_ZP, PROB_SCALE);
            }
        }
        d->nout = n;
        return 0;
    }
    case RK_VLM: {
        int outputs = 1, g;
        char buf[16];
        bool half_in = opt(line, "input", buf, sizeof buf) && strcmp(buf, "float16") == 0;
        if (!opt_int(line, "tokens", 1, 4096, &d->tokens) || !opt_int(line, "embed", 1, 8192, &d->embed) ||
            (opt(line, "outputs", buf, sizeof buf) && !opt_int(line, "outputs", 1, 8, &outputs)) || S < 28 ||
            S > 2048) {
            snprintf(why, whylen, "compute vlm: size, tokens, embed (and outputs 1..8) expected");
            return -1;
        }
        for (g = 1; g * g < d->tokens; g++) {
        }
        if (g * g != d->tokens || S % g) {
            snprintf(why, whylen, "compute vlm: tokens must be a square grid dividing the image side");
            return -1;
        }
        d->nin = 1;
        tensor(&d->in[0], "pixel_values", half_in ? RKNN_TENSOR_FLOAT16 : RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC, 4,
               (uint32_t[]){1, S, S, 3}, half_in ? RKNN_TENSOR_QNT_NONE : RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, 0,
               half_in ? 0.0f : 1.0f / 255.0f);
        for (int o = 0; o < outputs; o++) {
            char name[RK_NAME_MAX];
            snprintf(name, sizeof name, o == 0 ? "image_embeds" : "deepstack_%d", o);
            tensor(&d->out[o], name, RKNN_TENSOR_FLOAT16, RKNN_TENSOR_UNDEFINED, 3,
                   (uint32_t[]){1, (uint32_t)d->tokens, (uint32_t)d->embed}, RKNN_TENSOR_QNT_NONE, 0, 0.0f);
        }
        d->nout = outputs;
        return 0;
    }
    case RK_CLASSIFIER:
        if (S < 32 || S > 2048 || d->classes < 1 || d->classes > 100000) {
            snprintf(why, whylen, "compute classifier: size (32..2048) and classes expected");
            return -1;
        }
        d->nin = d->nout = 1;
        tensor(&d->in[0], "input", RKNN_TENSOR_UINT8, RKNN_TENSOR_NHWC, 4, (uint32_t[]){1, S, S, 3},
               RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, 0, 1.0f / 255.0f);
        tensor(&d->out[0], "logits", RKNN_TENSOR_INT8, RKNN_TENSOR_UNDEFINED, 2, (uint32_t[]){1, (uint32_t)d->classes},
               RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC, LOGIT_ZP, LOGIT_SCALE);
        return 0;
    }
    return -1;
}

static int parse_line(struct rk_desc *d, char *line, bool *have_compute, char *why, size_t whylen) {
    if (starts_with(line, "name ")) {
        snprintf(d->name, sizeof d->name, "%s", line + 5);
    } else if (starts_with(line, "custom ")) {
        snprintf(d->custom, sizeof d->custom, "%s", line + 7);
    } else if (starts_with(line, "time_ms ")) {
        char buf[32];
        for (int p = 0; p < RK_PLATFORMS; p++) {
            if (opt(line, rk_platform_name(p), buf, sizeof buf)) {
                char *end;
                d->time_ms[p] = strtod(buf, &end);
                if (*end || d->time_ms[p] < 0) {
                    snprintf(why, whylen, "time_ms: bad %s value \"%s\"", rk_platform_name(p), buf);
                    return -1;
                }
            }
        }
        if (!opt_int(line, "cores", 1, 3, &d->time_cores)) {
            d->time_cores = 1;
        }
    } else if (starts_with(line, "memory ")) {
        opt_bytes(line, "weights", &d->weight_bytes);
        opt_bytes(line, "internal", &d->internal_bytes);
    } else if (starts_with(line, "compute ")) {
        const char *kind = line + 8;
        char buf[8];
        if (starts_with(kind, "identity")) {
            d->compute = RK_IDENTITY;
        } else if (starts_with(kind, "yolo")) {
            d->compute = RK_YOLO;
        } else if (starts_with(kind, "vlm")) {
            d->compute = RK_VLM;
        } else if (starts_with(kind, "classifier")) {
            d->compute = RK_CLASSIFIER;
        } else {
            snprintf(why, whylen, "unknown compute kind \"%s\" (identity, yolo, vlm or classifier)", kind);
            return -1;
        }
        opt_int(line, "size", 1, 4096, &d->size);
        opt_int(line, "classes", 1, 100000, &d->classes);
        d->score_sum = opt(line, "score_sum", buf, sizeof buf) && strcmp(buf, "1") == 0;
        if (build_tensors(d, line, why, whylen) != 0) {
            return -1;
        }
        *have_compute = true;
    } else {
        snprintf(why, whylen, "unknown descriptor line \"%.60s\"", line);
        return -1;
    }
    return 0;
}

int rk_desc_parse(const char *text, size_t len, struct rk_desc **out, char *why, size_t whylen) {
    if (len >= 4 && memcmp(text, "RKNN", 4) == 0) {
        snprintf(why, whylen, "this is a real .rknn model: the npu4j emulator runs only its own model descriptors "
                              "(\"%s\" files), never vendor models", RK_MAGIC_LINE);
        return RKNN_ERR_MODEL_INVALID;
    }
    size_t ml = strlen(RK_MAGIC_LINE);
    if (len < ml || memcmp(text, RK_MAGIC_LINE, ml) != 0 || (len > ml && text[ml] != '\n' && text[ml] != '\r')) {
        snprintf(why, whylen, "not an npu4j emulator model descriptor (the first line must be \"%s\")", RK_MAGIC_LINE);
        return RKNN_ERR_MODEL_INVALID;
    }
    if (len > (1u << 20) || memchr(text, '\0', len)) {
        snprintf(why, whylen, "model descriptor is not a text file of at most 1 MiB");
        return RKNN_ERR_MODEL_INVALID;
    }
    struct rk_desc *d = emu_calloc(1, sizeof *d);
    char *copy = emu_strndup(text, len);
    if (!d || !copy) {
        emu_free(d);
        emu_free(copy);
        snprintf(why, whylen, "out of memory");
        return RKNN_ERR_MALLOC_FAIL;
    }
    d->refs = 1;
    snprintf(d->name, sizeof d->name, "unnamed");
    for (int p = 0; p < RK_PLATFORMS; p++) {
        d->time_ms[p] = -1;
    }
    d->time_cores = 1;
    bool have_compute = false;
    int rc = RKNN_SUCC, lineno = 1;
    char *save = NULL;
    strtok_r(copy, "\n", &save); /* the magic line */
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        while (*line == ' ' || *line == '\t') {
            line++;
        }
        if (!*line || *line == '#') {
            continue;
        }
        char reason[200];
        if (parse_line(d, line, &have_compute, reason, sizeof reason) != 0) {
            snprintf(why, whylen, "model descriptor line %d: %s", lineno, reason);
            rc = RKNN_ERR_MODEL_INVALID;
            break;
        }
    }
    if (rc == RKNN_SUCC && !have_compute) {
        snprintf(why, whylen, "model descriptor has no compute line");
        rc = RKNN_ERR_MODEL_INVALID;
    }
    emu_free(copy);
    if (rc != RKNN_SUCC) {
        emu_free(d);
        return rc;
    }
    *out = d;
    return RKNN_SUCC;
}

void rk_desc_unref(struct rk_desc *d) {
    if (d && --d->refs == 0) {
        emu_free(d);
    }
}
