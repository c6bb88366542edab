/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Emulator model descriptors: the small text files the emulated engine loads
 * instead of compiled .axmodel files (format in README.md). Anything that
 * does not start with the magic line is refused, real .axmodel files included.
 */
#include "axemu.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "npu4j-emulator-model axcl 1"
#define MAX_DESCRIPTOR_BYTES (1u << 20)

static const struct {
    const char *name;
    axclrtEngineDataType type;
    unsigned bits;
} DTYPES[] = {
    {"int4", AXCL_DATA_TYPE_INT4, 4},     {"uint4", AXCL_DATA_TYPE_UINT4, 4},   {"int8", AXCL_DATA_TYPE_INT8, 8},
    {"uint8", AXCL_DATA_TYPE_UINT8, 8},   {"int16", AXCL_DATA_TYPE_INT16, 16},  {"uint16", AXCL_DATA_TYPE_UINT16, 16},
    {"int32", AXCL_DATA_TYPE_INT32, 32},  {"uint32", AXCL_DATA_TYPE_UINT32, 32}, {"int64", AXCL_DATA_TYPE_INT64, 64},
    {"uint64", AXCL_DATA_TYPE_UINT64, 64}, {"fp4", AXCL_DATA_TYPE_FP4, 4},      {"fp8", AXCL_DATA_TYPE_FP8, 8},
    {"fp16", AXCL_DATA_TYPE_FP16, 16},    {"bf16", AXCL_DATA_TYPE_BF16, 16},    {"fp32", AXCL_DATA_TYPE_FP32, 32},
    {"fp64", AXCL_DATA_TYPE_FP64, 64},
};

const char *ax_dtype_name(axclrtEngineDataType t) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (DTYPES[i].type == t) {
            return DTYPES[i].name;
        }
    }
    return "none";
}

unsigned ax_dtype_bits(axclrtEngineDataType t) {
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (DTYPES[i].type == t) {
            return DTYPES[i].bits;
        }
    }
    return 0;
}

/* Accepts "fp32", "FP32" and "AXCL_DATA_TYPE_FP32"; "float32"/"float16"/"bfloat16" as aliases. */
static int parse_dtype(const char *s, axclrtEngineDataType *out) {
    char low[48];
    size_t n = strlen(s);
    if (n >= sizeof low) {
        return -1;
    }
    for (size_t i = 0; i <= n; i++) {
        low[i] = (char)tolower((unsigned char)s[i]);
    }
    const char *name = low;
    if (strncmp(name, "axcl_data_type_", 15) == 0) {
        name += 15;
    }
    if (strcmp(name, "float32") == 0 || strcmp(name, "float") == 0) {
        name = "fp32";
    } else if (strcmp(name, "float16") == 0) {
        name = "fp16";
    } else if (strcmp(name, "bfloat16") == 0) {
        name = "bf16";
    } else if (strcmp(name, "float64") == 0) {
        name = "fp64";
    }
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (strcmp(DTYPES[i].name, name) == 0) {
            *out = DTYPES[i].type;
            return 0;
        }
    }
    return -1;
}

static int parse_layout(const char *s, axclrtEngineDataLayout *out) {
    char low[48];
    size_t n = strlen(s);
    if (n >= sizeof low) {
        return -1;
    }
    for (size_t i = 0; i <= n; i++) {
        low[i] = (char)tolower((unsigned char)s[i]);
    }
    const char *name = low;
    if (strncmp(name, "axcl_data_layout_", 17) == 0) {
        name += 17;
    }
    if (strcmp(name, "nhwc") == 0) {
        *out = AXCL_DATA_LAYOUT_NHWC;
    } else if (strcmp(name, "nchw") == 0) {
        *out = AXCL_DATA_LAYOUT_NCHW;
    } else if (strcmp(name, "none") == 0) {
        *out = AXCL_DATA_LAYOUT_NONE;
    } else {
        return -1;
    }
    return 0;
}

/* "1x640x640x3" */
static int parse_dims(const char *s, int32_t *dims, int32_t *ndims, uint64_t *elements) {
    int n = 0;
    uint64_t prod = 1;
    const char *p = s;
    for (;;) {
        if (!isdigit((unsigned char)*p)) {
            return -1;
        }
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || v <= 0 || v > 1000000000L || n >= AXCLRT_ENGINE_MAX_DIM_CNT) {
            return -1;
        }
        dims[n++] = (int32_t)v;
        prod *= (uint64_t)v;
        if (prod > (1ull << 40)) {
            return -1;
        }
        p = end;
        if (*p == '\0') {
            break;
        }
        if (*p != 'x' && *p != 'X') {
            return -1;
        }
        p++;
    }
    *ndims = n;
    *elements = prod;
    return 0;
}

/* "12", "64K", "1.5M", "2G" (binary units) -> bytes. */
static int parse_bytes(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0)) {
        return -1;
    }
    double mul = 1;
    if (*end == 'K' || *end == 'k') {
        mul = 1024.0, end++;
    } else if (*end == 'M' || *end == 'm') {
        mul = 1048576.0, end++;
    } else if (*end == 'G' || *end == 'g') {
        mul = 1073741824.0, end++;
    }
    if (*end == 'i' || *end == 'B') { /* KiB / MB spelled out */
        while (*end == 'i' || *end == 'B') {
            end++;
        }
    }
    if (*end != '\0' || v * mul > 9e18) {
        return -1;
    }
    *out = (int64_t)(v * mul);
    return 0;
}

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v)) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Splits a line into whitespace-separated words (in place). */
static int split(char *line, char **words, int max) {
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (!*p) {
            break;
        }
        words[n++] = p;
        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
        if (*p) {
            *p++ = '\0';
        }
    }
    return n;
}

/* key=value -> value, or NULL when the word has another key. */
static const char *kv(const char *word, const char *key) {
    size_t n = strlen(key);
    return strncmp(word, key, n) == 0 && word[n] == '=' ? word + n + 1 : NULL;
}

static int parse_times(char **w, int n, double *times, char *why, size_t whylen, int line) {
    for (int i = 0; i < n; i++) {
        const char *v;
        int p = -1;
        if ((v = kv(w[i], "default"))) {
            p = AX_PROFILE_DEFAULT;
        } else if ((v = kv(w[i], "tuned"))) {
            p = AX_PROFILE_TUNED;
        } else if ((v = kv(w[i], "native"))) {
            p = AX_PROFILE_NATIVE;
        }
        double ms;
        if (p < 0 || parse_double(v, &ms) != 0 || ms < 0 || ms > 600000) {
            snprintf(why, whylen, "line %d: expected default=MS tuned=MS [native=MS], got \"%s\"", line, w[i]);
            return -1;
        }
        times[p] = ms;
    }
    return 0;
}

void ax_desc_unref(struct ax_desc *d) {
    if (d && --d->refs == 0) {
        free(d);
    }
}

double ax_desc_time_ns(const struct ax_desc *d, int group, ax_profile profile) {
    const double *g = d->groups[group].time_ms;
    const double *m = d->time_ms;
    /* Group time, else model time; native falls back to tuned, tuned to default. */
    for (int p = (int)profile; p >= 0; p--) {
        if (g[p] >= 0) {
            return g[p] * 1e6;
        }
        if (m[p] >= 0) {
            return m[p] * 1e6;
        }
    }
    return 1e6; /* 1 ms when the descriptor gives no time */
}

static int add_tensor(struct ax_desc *d, int group, bool input, char **w, int n, char *why, size_t whylen, int line) {
    if (n != 5) {
        snprintf(why, whylen, "line %d: expected \"%s NAME TYPE LAYOUT DIMS\"", line, w[0]);
        return -1;
    }
    struct ax_tensor *list = input ? d->in : d->out;
    int *count = input ? &d->nin : &d->nout;
    axclrtEngineDataType type;
    axclrtEngineDataLayout layout;
    int32_t dims[AXCLRT_ENGINE_MAX_DIM_CNT], nd;
    uint64_t elements;
    if (strlen(w[1]) >= AX_NAME_MAX) {
        snprintf(why, whylen, "line %d: tensor name longer than %d characters", line, AX_NAME_MAX - 1);
        return -1;
    }
    if (parse_dtype(w[2], &type) != 0) {
        snprintf(why, whylen, "line %d: unknown data type \"%s\"", line, w[2]);
        return -1;
    }
    if (parse_layout(w[3], &layout) != 0) {
        snprintf(why, whylen, "line %d: unknown layout \"%s\" (nhwc, nchw or none)", line, w[3]);
        return -1;
    }
    if (parse_dims(w[4], dims, &nd, &elements) != 0) {
        snprintf(why, whylen, "line %d: bad dims \"%s\" (e.g. 1x640x640x3)", line, w[4]);
        return -1;
    }
    uint64_t size = (elements * ax_dtype_bits(type) + 7) / 8;
    struct ax_tensor *t;
    if (group == 0) {
        for (int i = 0; i < *count; i++) {
            if (strcmp(list[i].name, w[1]) == 0) {
                snprintf(why, whylen, "line %d: %s \"%s\" declared twice", line, w[0], w[1]);
                return -1;
            }
        }
        if (*count >= AX_MAX_TENSORS) {
            snprintf(why, whylen, "line %d: more than %d %ss", line, AX_MAX_TENSORS, w[0]);
            return -1;
        }
        t = &list[(*count)++];
        snprintf(t->name, sizeof t->name, "%s", w[1]);
        t->type = type;
        t->layout = layout;
        t->min_size = size;
    } else {
        /* Later groups repeat the first group's tensors, in order, with new dims. */
        int seen = 0;
        for (int i = 0; i < *count; i++) {
            seen += list[i].ndims[group] > 0;
        }
        char suffixed[AX_NAME_MAX + 16];
        snprintf(suffixed, sizeof suffixed, "%s_%d", seen < *count ? list[seen].name : "", group);
        bool alias = seen < *count && strcmp(suffixed, w[1]) == 0;
        if (seen >= *count || (strcmp(list[seen].name, w[1]) != 0 && !alias)) {
            snprintf(why, whylen, "line %d: group \"%s\" must list the same %ss as the first group, in the same order",
                     line, d->groups[group].name, w[0]);
            return -1;
        }
        t = &list[seen];
        t->suffixed[group] = alias;
        if (t->type != type || t->layout != layout) {
            snprintf(why, whylen, "line %d: %s \"%s\" changes type or layout between groups", line, w[0], w[1]);
            return -1;
        }
        if (size < t->min_size) {
            t->min_size = size;
        }
    }
    t->ndims[group] = nd;
    memcpy(t->dims[group], dims, sizeof(int32_t) * (size_t)nd);
    t->size[group] = size;
    return 0;
}

static int parse_compute(struct ax_desc *d, char **w, int n, char *why, size_t whylen, int line) {
    if (n < 2) {
        snprintf(why, whylen, "line %d: expected \"compute KIND [key=value ...]\"", line);
        return -1;
    }
    if (strcmp(w[1], "identity") == 0) {
        d->compute = AX_COMPUTE_IDENTITY;
    } else if (strcmp(w[1], "affine") == 0) {
        d->compute = AX_COMPUTE_AFFINE;
    } else if (strcmp(w[1], "hash") == 0) {
        d->compute = AX_COMPUTE_HASH;
    } else if (strcmp(w[1], "yolo") == 0) {
        d->compute = AX_COMPUTE_YOLO;
    } else if (strcmp(w[1], "axllm_layer") == 0) {
        d->compute = AX_COMPUTE_AXLLM_LAYER;
    } else if (strcmp(w[1], "axllm_post") == 0) {
        d->compute = AX_COMPUTE_AXLLM_POST;
    } else if (strcmp(w[1], "axllm_vision") == 0) {
        d->compute = AX_COMPUTE_AXLLM_VISION;
    } else {
        snprintf(why, whylen,
                 "line %d: unknown compute kind \"%s\" (identity, affine, hash, yolo, axllm_layer, axllm_post,"
                 " axllm_vision)",
                 line, w[1]);
        return -1;
    }
    for (int i = 2; i < n; i++) {
        const char *v;
        long l = 0;
        int bad = 0;
        if ((v = kv(w[i], "scale"))) {
            bad = parse_double(v, &d->scale);
        } else if ((v = kv(w[i], "bias"))) {
            bad = parse_double(v, &d->bias);
        } else if ((v = kv(w[i], "peak"))) {
            bad = parse_double(v, &d->peak);
        } else if ((v = kv(w[i], "classes"))) {
            bad = parse_int(v, 1, 10000, &l);
            d->classes = (int)l;
        } else if ((v = kv(w[i], "reg_max"))) {
            bad = parse_int(v, 2, 64, &l);
            d->reg_max = (int)l;
        } else if ((v = kv(w[i], "layer"))) {
            bad = parse_int(v, 0, 4096, &l);
            d->llm_layer = (int)l;
        } else if ((v = kv(w[i], "patch"))) {
            bad = parse_int(v, 1, 1024, &l);
            d->vision_patch = (int)l;
        } else if ((v = kv(w[i], "merge"))) {
            bad = parse_int(v, 1, 16, &l);
            d->vision_merge = (int)l;
        } else if ((v = kv(w[i], "special_base"))) {
            bad = parse_int(v, 0, 100000000, &l);
            d->llm_special_base = (int)l;
        } else if ((v = kv(w[i], "head"))) {
            if (strcmp(v, "dfl_split") == 0) {
                d->head = AX_YOLO_DFL_SPLIT;
            } else if (strcmp(v, "dfl_concat") == 0) {
                d->head = AX_YOLO_DFL_CONCAT;
            } else if (strcmp(v, "decoded") == 0) {
                d->head = AX_YOLO_DECODED;
            } else {
                bad = 1;
            }
        } else {
            bad = 1;
        }
        if (bad) {
            snprintf(why, whylen, "line %d: bad compute parameter \"%s\"", line, w[i]);
            return -1;
        }
    }
    return 0;
}

axclError ax_desc_parse(const char *text, size_t len, struct ax_desc **out, char *why, size_t whylen) {
    *out = NULL;
    /* A descriptor handed over as a C string may carry its terminating NUL(s). */
    while (len > 0 && text[len - 1] == '\0') {
        len--;
    }
    size_t ml = strlen(MAGIC);
    /* First line: exactly the magic (trailing spaces / CR tolerated). */
    bool magic = len >= ml && memcmp(text, MAGIC, ml) == 0;
    if (magic) {
        size_t i = ml;
        while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) {
            i++;
        }
        magic = i == len || text[i] == '\n';
    }
    if (!magic) {
        snprintf(why, whylen,
                 "not an npu4j emulator model descriptor (the first line must be \"" MAGIC "\"); the emulator cannot run"
                 " compiled .axmodel files or other data");
        return AXCL_ERR_ENGINE_AXCL_UNSUPPORTED;
    }
    if (len > MAX_DESCRIPTOR_BYTES || memchr(text, '\0', len)) {
        snprintf(why, whylen, "descriptor larger than 1 MiB or containing NUL bytes");
        return AXCL_ERR_ENGINE_DECODE;
    }
    struct ax_desc *d = calloc(1, sizeof *d);
    char *copy = malloc(len + 1);
    if (!d || !copy) {
        free(d);
        free(copy);
        snprintf(why, whylen, "out of host memory");
        return AX_E_ENGINE(AXCL_ERR_NO_MEMORY);
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    d->refs = 1;
    snprintf(d->name, sizeof d->name, "unnamed");
    snprintf(d->compiler, sizeof d->compiler, "npu4j emulator descriptor v1");
    d->model_type = AXCL_MODEL_TYPE_1CORE;
    d->sys_usage = d->cmm_usage = -1;
    d->max_batch = 1;
    d->scale = 1.0;
    d->classes = 80;
    d->reg_max = 16;
    d->vision_patch = 14;
    d->vision_merge = 2;
    for (int p = 0; p < AX_PROFILE_COUNT; p++) {
        d->time_ms[p] = -1;
        for (int g = 0; g < AX_MAX_GROUPS; g++) {
            d->groups[g].time_ms[p] = -1;
        }
    }
    snprintf(d->groups[0].name, sizeof d->groups[0].name, "default");
    bool explicit_groups = false, has_compute = false;
    int group = 0;
    axclError rc = AXCL_ERR_ENGINE_DECODE;
    char *p = copy;
    int lineno = 0;
    while (p) {
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *line = p;
        p = nl ? nl + 1 : NULL;
        lineno++;
        if (lineno == 1) {
            continue; /* magic */
        }
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t')) {
            line[--l] = '\0';
        }
        char *hash = strchr(line, '#');
        if (hash) {
            *hash = '\0';
        }
        char *w[40];
        /* "name" and "compiler" take the rest of the line verbatim. */
        char *rest = line;
        while (*rest == ' ' || *rest == '\t') {
            rest++;
        }
        bool is_name = strncmp(rest, "name", 4) == 0 && (rest[4] == ' ' || rest[4] == '\t');
        bool is_compiler = strncmp(rest, "compiler", 8) == 0 && (rest[8] == ' ' || rest[8] == '\t');
        if (is_name || is_compiler) {
            char *val = rest + (is_name ? 5 : 9);
            while (*val == ' ' || *val == '\t') {
                val++;
            }
            if (!*val || strlen(val) >= AX_NAME_MAX) {
                snprintf(why, whylen, "line %d: %s must be 1..%d characters", lineno, is_name ? "name" : "compiler",
                         AX_NAME_MAX - 1);
                goto fail;
            }
            snprintf(is_name ? d->name : d->compiler, AX_NAME_MAX, "%s", val);
            continue;
        }
        int n = split(line, w, 40);
        if (n == 0) {
            continue;
        }
        if (n == 40) {
            snprintf(why, whylen, "line %d: too many words", lineno);
            goto fail;
        }
        if (strcmp(w[0], "model_type") == 0) {
            if (n != 2) {
                goto syntax;
            }
            if (strcmp(w[1], "1core") == 0) {
                d->model_type = AXCL_MODEL_TYPE_1CORE;
            } else if (strcmp(w[1], "2core") == 0) {
                d->model_type = AXCL_MODEL_TYPE_2CORE;
            } else if (strcmp(w[1], "3core") == 0) {
                d->model_type = AXCL_MODEL_TYPE_3CORE;
            } else {
                snprintf(why, whylen, "line %d: model_type must be 1core, 2core or 3core", lineno);
                goto fail;
            }
        } else if (strcmp(w[0], "usage") == 0) {
            for (int i = 1; i < n; i++) {
                const char *v;
                int64_t *dst = (v = kv(w[i], "sys")) ? &d->sys_usage : (v = kv(w[i], "cmm")) ? &d->cmm_usage : NULL;
                if (!dst || parse_bytes(v, dst) != 0) {
                    snprintf(why, whylen, "line %d: expected usage sys=BYTES cmm=BYTES (K/M/G suffixes)", lineno);
                    goto fail;
                }
            }
        } else if (strcmp(w[0], "time_ms") == 0) {
            if (n < 2 || parse_times(w + 1, n - 1, d->time_ms, why, whylen, lineno) != 0) {
                goto syntax;
            }
        } else if (strcmp(w[0], "max_batch") == 0) {
            long v;
            if (n != 2 || parse_int(w[1], 1, 1024, &v) != 0) {
                snprintf(why, whylen, "line %d: max_batch must be 1..1024", lineno);
                goto fail;
            }
            d->max_batch = (uint32_t)v;
        } else if (strcmp(w[0], "compute") == 0) {
            if (parse_compute(d, w, n, why, whylen, lineno) != 0) {
                goto fail;
            }
            has_compute = true;
        } else if (strcmp(w[0], "group") == 0) {
            if (n < 2 || strlen(w[1]) >= sizeof d->groups[0].name) {
                snprintf(why, whylen, "line %d: expected \"group NAME [default=MS tuned=MS native=MS]\"", lineno);
                goto fail;
            }
            if (!explicit_groups) {
                if (d->nin || d->nout) {
                    snprintf(why, whylen, "line %d: tensors declared before the first group", lineno);
                    goto fail;
                }
                explicit_groups = true;
                group = 0;
            } else {
                group++;
                if (group >= AX_MAX_GROUPS) {
                    snprintf(why, whylen, "line %d: more than %d groups", lineno, AX_MAX_GROUPS);
                    goto fail;
                }
            }
            d->ngroups = group + 1;
            snprintf(d->groups[group].name, sizeof d->groups[group].name, "%s", w[1]);
            if (parse_times(w + 2, n - 2, d->groups[group].time_ms, why, whylen, lineno) != 0) {
                goto fail;
            }
        } else if (strcmp(w[0], "input") == 0 || strcmp(w[0], "output") == 0) {
            if (add_tensor(d, group, w[0][0] == 'i', w, n, why, whylen, lineno) != 0) {
                goto fail;
            }
        } else {
            snprintf(why, whylen, "line %d: unknown directive \"%s\"", lineno, w[0]);
            goto fail;
        }
        continue;
    syntax:
        snprintf(why, whylen, "line %d: cannot parse \"%s\"", lineno, w[0]);
        goto fail;
    }
    if (!d->ngroups) {
        d->ngroups = 1;
    }
    if (d->nin == 0 || d->nout == 0) {
        snprintf(why, whylen, "a model needs at least one input and one output");
        goto fail;
    }
    for (int g = 1; g < d->ngroups; g++) {
        for (int i = 0; i < d->nin + d->nout; i++) {
            const struct ax_tensor *t = i < d->nin ? &d->in[i] : &d->out[i - d->nin];
            if (t->ndims[g] == 0) {
                snprintf(why, whylen, "group \"%s\" does not declare tensor \"%s\"", d->groups[g].name, t->name);
                goto fail;
            }
        }
    }
    if (!has_compute) {
        snprintf(why, whylen, "no \"compute\" line");
        goto fail;
    }
    if (ax_compute_check(d, why, whylen) != 0) {
        goto fail;
    }
    /* Default memory figures: the IO of the largest group plus 1 MiB of weights. */
    if (d->cmm_usage < 0) {
        uint64_t s = 1u << 20;
        for (int i = 0; i < d->nin; i++) {
            uint64_t m = 0;
            for (int g = 0; g < d->ngroups; g++) {
                m = d->in[i].size[g] > m ? d->in[i].size[g] : m;
            }
            s += m;
        }
        for (int i = 0; i < d->nout; i++) {
            uint64_t m = 0;
            for (int g = 0; g < d->ngroups; g++) {
                m = d->out[i].size[g] > m ? d->out[i].size[g] : m;
            }
            s += m;
        }
        d->cmm_usage = (int64_t)s;
    }
    if (d->sys_usage < 0) {
        d->sys_usage = 512 << 10;
    }
    free(copy);
    *out = d;
    return AXCL_SUCC;
fail:
    free(copy);
    free(d);
    return rc;
}

axclError ax_desc_load_file(const char *path, struct ax_desc **out, char *why, size_t whylen) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return AX_E_ENGINE(AXCL_ERR_OPEN);
    }
    /* Look at the head first: a multi-gigabyte .axmodel is refused without reading it all. */
    char head[64];
    size_t n = fread(head, 1, sizeof head, f);
    size_t ml = strlen(MAGIC);
    if (n < ml || memcmp(head, MAGIC, ml) != 0) {
        fclose(f);
        return ax_desc_parse(head, n, out, why, whylen);
    }
    char *buf = malloc(MAX_DESCRIPTOR_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(why, whylen, "out of host memory");
        return AX_E_ENGINE(AXCL_ERR_NO_MEMORY);
    }
    memcpy(buf, head, n);
    n += fread(buf + n, 1, MAX_DESCRIPTOR_BYTES + 1 - n, f);
    bool err = ferror(f);
    fclose(f);
    axclError rc;
    if (err) {
        snprintf(why, whylen, "cannot read %s", path);
        rc = AX_E_ENGINE(AXCL_ERR_OPEN);
    } else {
        rc = ax_desc_parse(buf, n, out, why, whylen);
    }
    free(buf);
    return rc;
}

bool ax_tensor_named(const struct ax_tensor *t, int ngroups, const char *name) {
    if (strcmp(t->name, name) == 0) {
        return true;
    }
    size_t n = strlen(t->name);
    if (strncmp(name, t->name, n) != 0 || name[n] != '_') {
        return false;
    }
    char *end;
    errno = 0;
    long g = strtol(name + n + 1, &end, 10);
    return errno == 0 && *end == '\0' && end != name + n + 1 && g > 0 && g < ngroups && t->suffixed[g];
}
