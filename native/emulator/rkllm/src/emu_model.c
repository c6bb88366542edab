/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulator's file formats: model descriptors, LoRA adapter descriptors
 * and prompt cache files. All three are small text files that start with a
 * magic line and continue with "key = value" lines; see README.md for the
 * keys. A real .rkllm model (a multi-gigabyte binary) is refused with a
 * message that says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu_internal.h"

#define DESCRIPTOR_MAX_BYTES (1L << 20)  /* descriptors are tiny; models are GBs */
#define CACHE_MAX_BYTES (16L << 20)

/* ------------------------------------------------------- reading the file */

/* Reads a whole (small) file into an emu_malloc'ed, NUL-terminated buffer.
 * Returns NULL with a message in err; *too_big is set for oversize files. */
static char *read_small_file(const char *path, long limit, size_t *len_out, bool *too_big,
                             char *err, size_t errlen)
{
    *too_big = false;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = emu_malloc((size_t)limit + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errlen, "out of memory reading '%s'", path);
        return NULL;
    }
    size_t n = fread(buf, 1, (size_t)limit + 1, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error) {
        emu_free(buf);
        snprintf(err, errlen, "cannot read '%s' (is it a directory?)", path);
        return NULL;
    }
    if (n > (size_t)limit) {
        *too_big = true;
        /* Keep the first bytes so the caller can look at them. */
        n = (size_t)limit;
    }
    buf[n] = '\0';
    *len_out = n;
    return buf;
}

static bool looks_binary(const char *buf, size_t n)
{
    size_t probe = n < 4096 ? n : 4096;
    for (size_t i = 0; i < probe; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
            return true;
        }
    }
    return !emu_utf8_valid(buf, probe - emu_utf8_incomplete_tail(buf, probe));
}

/* Checks the magic line; returns a pointer just past it, or NULL. */
static const char *skip_magic(const char *buf, const char *magic)
{
    size_t m = strlen(magic);
    if (strncmp(buf, magic, m) != 0) {
        return NULL;
    }
    const char *p = buf + m;
    while (*p == ' ' || *p == '\t' || *p == '\r') {
        p++;
    }
    if (*p == '\n') {
        return p + 1;
    }
    return *p == '\0' ? p : NULL;
}

/* ----------------------------------------------------- key = value lines */

typedef const char *(*kv_handler)(void *ctx, const char *key, const char *value);

static void trim(char **s, char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t' || **s == '\r')) {
        (*s)++;
    }
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r')) {
        (*e)--;
    }
}

/* Unquotes a "..." value in place (\n, \t, \r, \\, \" escapes). */
static const char *unquote(char *s, char *e, char **out)
{
    if (e - s < 2 || e[-1] != '"') {
        return "a value that starts with \" must end with \"";
    }
    char *w = s;
    for (char *r = s + 1; r < e - 1; r++) {
        if (*r == '\\' && r + 1 < e - 1) {
            r++;
            switch (*r) {
            case 'n': *w++ = '\n'; break;
            case 't': *w++ = '\t'; break;
            case 'r': *w++ = '\r'; break;
            case '\\': *w++ = '\\'; break;
            case '"': *w++ = '"'; break;
            default: return "unknown escape in quoted value (use \\n \\t \\r \\\\ \\\")";
            }
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    *out = s;
    return NULL;
}

/* Walks the lines after the magic; buf is modified. */
static int parse_lines(char *body, const char *path, int first_line, kv_handler h, void *ctx,
                       char *err, size_t errlen)
{
    int lineno = first_line;
    char *p = body;
    while (*p != '\0') {
        char *eol = strchr(p, '\n');
        char *next = eol != NULL ? eol + 1 : p + strlen(p);
        char *s = p;
        char *e = eol != NULL ? eol : next;
        trim(&s, &e);
        if (s < e && *s != '#') {
            char *eq = memchr(s, '=', (size_t)(e - s));
            if (eq == NULL) {
                snprintf(err, errlen, "'%s' line %d: expected 'key = value'", path, lineno);
                return -1;
            }
            char *ks = s;
            char *ke = eq;
            char *vs = eq + 1;
            char *ve = e;
            trim(&ks, &ke);
            trim(&vs, &ve);
            if (ks == ke) {
                snprintf(err, errlen, "'%s' line %d: missing key before '='", path, lineno);
                return -1;
            }
            *ke = '\0';
            char *value;
            if (vs < ve && *vs == '"') {
                const char *why = unquote(vs, ve, &value);
                if (why != NULL) {
                    snprintf(err, errlen, "'%s' line %d: %s", path, lineno, why);
                    return -1;
                }
            } else {
                *ve = '\0';
                value = vs;
            }
            const char *why = h(ctx, ks, value);
            if (why != NULL) {
                snprintf(err, errlen, "'%s' line %d: %s: %s", path, lineno, ks, why);
                return -1;
            }
        }
        p = next;
        lineno++;
    }
    return 0;
}

static const char *parse_int(const char *v, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0') {
        return "expected an integer";
    }
    if (n < min || n > max) {
        return "integer out of range";
    }
    *out = (int)n;
    return NULL;
}

static const char *parse_double(const char *v, double min, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !isfinite(d)) {
        return "expected a number";
    }
    if (d < min) {
        return "number out of range";
    }
    *out = d;
    return NULL;
}

static const char *parse_bool(const char *v, bool *out)
{
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return NULL;
    }
    if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return NULL;
    }
    return "expected yes or no";
}

static const char *set_string(char **field, const char *v)
{
    if (*field != NULL) {
        return "given twice";
    }
    *field = emu_strdup(v);
    return *field == NULL ? "out of memory" : NULL;
}

/* ------------------------------------------------------- model descriptor */

typedef struct {
    emu_model *m;
    unsigned seen;        /* bit set of numeric keys already given */
    double ttft_ms_per_128;
    double prefill_tok_s;
    double decode_tok_s;
    bool has_memory;
} model_ctx;

enum {
    SEEN_NPU_CORES = 1u << 0, SEEN_CTX = 1u << 1, SEEN_HIDDEN = 1u << 2, SEEN_VOCAB = 1u << 3,
    SEEN_LAYERS = 1u << 4, SEEN_KV = 1u << 5, SEEN_HEAD = 1u << 6, SEEN_EOS_ID = 1u << 7,
    SEEN_EOS = 1u << 8, SEEN_ANSWER = 1u << 9, SEEN_SCRIPT = 1u << 10, SEEN_TTFT = 1u << 11,
    SEEN_PREFILL = 1u << 12, SEEN_DECODE = 1u << 13, SEEN_LOAD = 1u << 14, SEEN_MEM = 1u << 15,
    SEEN_THINK = 1u << 16, SEEN_TOOLS = 1u << 17, SEEN_SPLIT = 1u << 18, SEEN_EMOJI = 1u << 19,
    SEEN_BATCH = 1u << 20, SEEN_VISION = 1u << 21, SEEN_BATCH_STEP = 1u << 22
};

static const char *once(model_ctx *c, unsigned bit)
{
    if (c->seen & bit) {
        return "given twice";
    }
    c->seen |= bit;
    return NULL;
}

static const char *model_key(void *vctx, const char *k, const char *v)
{
    model_ctx *c = vctx;
    emu_model *m = c->m;
    const char *why;
    if (strcmp(k, "name") == 0) {
        return set_string(&m->name, v);
    }
    if (strcmp(k, "profile") == 0) {
        return set_string(&m->profile, v);
    }
    if (strcmp(k, "platform") == 0) {
        return set_string(&m->platform, v);
    }
    if (strcmp(k, "dtype") == 0) {
        return set_string(&m->dtype, v);
    }
    if (strcmp(k, "eos_text") == 0) {
        return set_string(&m->eos_text, v);
    }
    if (strcmp(k, "chat_system") == 0) {
        return set_string(&m->chat_system, v);
    }
    if (strcmp(k, "chat_prefix") == 0) {
        return set_string(&m->chat_prefix, v);
    }
    if (strcmp(k, "chat_postfix") == 0) {
        return set_string(&m->chat_postfix, v);
    }
    if (strcmp(k, "npu_cores") == 0) {
        return (why = once(c, SEEN_NPU_CORES)) ? why : parse_int(v, 1, 16, &m->npu_cores);
    }
    if (strcmp(k, "max_context_limit") == 0) {
        return (why = once(c, SEEN_CTX)) ? why : parse_int(v, 16, 1 << 20, &m->max_context_limit);
    }
    if (strcmp(k, "hidden_size") == 0) {
        return (why = once(c, SEEN_HIDDEN)) ? why : parse_int(v, 1, 1 << 16, &m->hidden_size);
    }
    if (strcmp(k, "vocab_size") == 0) {
        return (why = once(c, SEEN_VOCAB)) ? why : parse_int(v, 1024, 1 << 22, &m->vocab_size);
    }
    if (strcmp(k, "n_layers") == 0) {
        return (why = once(c, SEEN_LAYERS)) ? why : parse_int(v, 1, 1024, &m->n_layers);
    }
    if (strcmp(k, "n_kv_heads") == 0) {
        return (why = once(c, SEEN_KV)) ? why : parse_int(v, 1, 1024, &m->n_kv_heads);
    }
    if (strcmp(k, "head_dim") == 0) {
        return (why = once(c, SEEN_HEAD)) ? why : parse_int(v, 1, 4096, &m->head_dim);
    }
    if (strcmp(k, "eos_token_id") == 0) {
        return (why = once(c, SEEN_EOS_ID)) ? why : parse_int(v, 0, 1 << 22, &m->eos_token_id);
    }
    if (strcmp(k, "eos") == 0) {
        if ((why = once(c, SEEN_EOS)) != NULL) {
            return why;
        }
        if (strcmp(v, "natural") == 0) {
            m->eos_never = false;
        } else if (strcmp(v, "never") == 0) {
            m->eos_never = true;
        } else {
            return "expected natural or never";
        }
        return NULL;
    }
    if (strcmp(k, "answer_tokens") == 0) {
        if ((why = once(c, SEEN_ANSWER)) != NULL) {
            return why;
        }
        int lo, hi, used = 0;
        if (sscanf(v, "%d..%d%n", &lo, &hi, &used) != 2 || v[used] != '\0' || lo < 1 ||
            hi < lo) {
            return "expected MIN..MAX with 1 <= MIN <= MAX";
        }
        m->answer_min = lo;
        m->answer_max = hi;
        return NULL;
    }
    if (strcmp(k, "script") == 0) {
        if ((why = once(c, SEEN_SCRIPT)) != NULL) {
            return why;
        }
        if (strcmp(v, "auto") == 0) {
            m->script = EMU_SCRIPT_AUTO;
        } else if (strcmp(v, "latin") == 0) {
            m->script = EMU_SCRIPT_LATIN;
        } else if (strcmp(v, "cyrillic") == 0) {
            m->script = EMU_SCRIPT_CYRILLIC;
        } else if (strcmp(v, "cjk") == 0) {
            m->script = EMU_SCRIPT_CJK;
        } else {
            return "expected auto, latin, cyrillic or cjk";
        }
        return NULL;
    }
    if (strcmp(k, "ttft_ms_per_128") == 0) {
        return (why = once(c, SEEN_TTFT)) ? why : parse_double(v, 0.0, &c->ttft_ms_per_128);
    }
    if (strcmp(k, "prefill_tok_s") == 0) {
        if ((why = once(c, SEEN_PREFILL)) != NULL ||
            (why = parse_double(v, 0.0, &c->prefill_tok_s)) != NULL) {
            return why;
        }
        return c->prefill_tok_s > 0.0 ? NULL : "must be > 0";
    }
    if (strcmp(k, "decode_tok_s") == 0) {
        if ((why = once(c, SEEN_DECODE)) != NULL ||
            (why = parse_double(v, 0.0, &c->decode_tok_s)) != NULL) {
            return why;
        }
        return c->decode_tok_s > 0.0 ? NULL : "must be > 0";
    }
    if (strcmp(k, "load_ms") == 0) {
        return (why = once(c, SEEN_LOAD)) ? why : parse_double(v, 0.0, &m->load_ms);
    }
    if (strcmp(k, "memory_mb") == 0) {
        c->has_memory = true;
        return (why = once(c, SEEN_MEM)) ? why : parse_double(v, 0.0, &m->memory_mb);
    }
    if (strcmp(k, "thinking") == 0) {
        return (why = once(c, SEEN_THINK)) ? why : parse_bool(v, &m->thinking);
    }
    if (strcmp(k, "tool_calls") == 0) {
        if ((why = once(c, SEEN_TOOLS)) != NULL) {
            return why;
        }
        if (strcmp(v, "qwen") == 0) {
            m->qwen_tools = true;
        } else if (strcmp(v, "none") == 0) {
            m->qwen_tools = false;
        } else {
            return "expected qwen or none";
        }
        return NULL;
    }
    if (strcmp(k, "split_utf8_percent") == 0) {
        return (why = once(c, SEEN_SPLIT)) ? why : parse_int(v, 0, 100, &m->split_percent);
    }
    if (strcmp(k, "emoji_percent") == 0) {
        return (why = once(c, SEEN_EMOJI)) ? why : parse_int(v, 0, 100, &m->emoji_percent);
    }
    if (strcmp(k, "max_batch") == 0) {
        return (why = once(c, SEEN_BATCH)) ? why : parse_int(v, 1, 64, &m->max_batch);
    }
    if (strcmp(k, "batch_step_percent") == 0) {
        return (why = once(c, SEEN_BATCH_STEP)) ? why
                                                : parse_int(v, 0, 1000, &m->batch_step_percent);
    }
    if (strcmp(k, "vision_outputs") == 0) {
        return (why = once(c, SEEN_VISION)) ? why : parse_int(v, 1, 16, &m->vision_outputs);
    }
    return "unknown key (see native/emulator/rkllm/README.md for the descriptor format)";
}

void emu_model_free(emu_model *m)
{
    emu_free(m->path);
    emu_free(m->name);
    emu_free(m->profile);
    emu_free(m->platform);
    emu_free(m->dtype);
    emu_free(m->eos_text);
    emu_free(m->chat_system);
    emu_free(m->chat_prefix);
    emu_free(m->chat_postfix);
    memset(m, 0, sizeof *m);
}

static char *dup_default(char *field, const char *dflt)
{
    return field != NULL ? field : emu_strdup(dflt);
}

int emu_model_load(const char *path, emu_model *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *expected = "an npu4j emulator model descriptor: a small text file whose first "
                           "line is '" EMU_MODEL_MAGIC "' (see native/emulator/rkllm/models/)";
    size_t len = 0;
    bool too_big = false;
    char why[512];
    char *buf = read_small_file(path, DESCRIPTOR_MAX_BYTES, &len, &too_big, why, sizeof why);
    if (buf == NULL) {
        snprintf(err, errlen, "%s; expected %s", why, expected);
        return -1;
    }
    const char *body = skip_magic(buf, EMU_MODEL_MAGIC);
    if (body == NULL) {
        if (len == 0) {
            snprintf(err, errlen, "'%s' is empty; expected %s", path, expected);
        } else if (too_big || looks_binary(buf, len)) {
            snprintf(err, errlen,
                     "'%s' is a binary file, probably a real RKLLM model for the NPU. This is "
                     "the npu4j emulator: it runs no real model and needs no NPU. Use Rockchip's "
                     "librkllmrt.so on a board for real models, or pass %s",
                     path, expected);
        } else {
            snprintf(err, errlen, "'%s' does not start with the line '" EMU_MODEL_MAGIC
                                  "'; expected %s",
                     path, expected);
        }
        emu_free(buf);
        return -1;
    }
    if (too_big) {
        snprintf(err, errlen, "'%s' is larger than %ld bytes; expected %s", path,
                 DESCRIPTOR_MAX_BYTES, expected);
        emu_free(buf);
        return -1;
    }

    /* Defaults for the optional keys. */
    out->npu_cores = 3;
    out->max_context_limit = 4096;
    out->n_layers = 28;
    out->n_kv_heads = 8;
    out->head_dim = 128;
    out->eos_token_id = -1;
    out->answer_min = 48;
    out->answer_max = 160;
    out->script = EMU_SCRIPT_AUTO;
    out->split_percent = 20;
    out->emoji_percent = 8;
    out->max_batch = 4;
    out->batch_step_percent = 25;
    out->vision_outputs = 1;

    model_ctx ctx = {.m = out};
    int rc = parse_lines((char *)body, path, 2, model_key, &ctx, err, errlen);
    emu_free(buf);
    if (rc != 0) {
        emu_model_free(out);
        return -1;
    }

    const char *missing = NULL;
    if (out->name == NULL) {
        missing = "name";
    } else if (out->platform == NULL) {
        missing = "platform";
    } else if (!(ctx.seen & SEEN_HIDDEN)) {
        missing = "hidden_size";
    } else if (!(ctx.seen & SEEN_VOCAB)) {
        missing = "vocab_size";
    } else if (!(ctx.seen & (SEEN_TTFT | SEEN_PREFILL))) {
        missing = "ttft_ms_per_128 (or prefill_tok_s)";
    } else if (!(ctx.seen & SEEN_DECODE)) {
        missing = "decode_tok_s";
    } else if (!ctx.has_memory) {
        missing = "memory_mb";
    }
    if (missing != NULL) {
        snprintf(err, errlen, "'%s': required key '%s' is missing", path, missing);
        emu_model_free(out);
        return -1;
    }
    if ((ctx.seen & SEEN_TTFT) && (ctx.seen & SEEN_PREFILL)) {
        snprintf(err, errlen, "'%s': give either ttft_ms_per_128 or prefill_tok_s, not both",
                 path);
        emu_model_free(out);
        return -1;
    }
    out->prefill_ms_per_token = (ctx.seen & SEEN_TTFT) ? ctx.ttft_ms_per_128 / 128.0
                                                       : 1000.0 / ctx.prefill_tok_s;
    out->decode_ms_per_token = 1000.0 / ctx.decode_tok_s;

    /* Qwen numbering: <|im_end|> is the usual end-of-sequence token. */
    if (out->eos_token_id < 0) {
        out->eos_token_id = out->vocab_size > 151645 ? 151645 : out->vocab_size - 30;
    }
    if (out->eos_token_id >= out->vocab_size) {
        snprintf(err, errlen, "'%s': eos_token_id %d is not below vocab_size %d", path,
                 out->eos_token_id, out->vocab_size);
        emu_model_free(out);
        return -1;
    }
    out->path = emu_strdup(path);
    out->profile = dup_default(out->profile, out->name);
    out->dtype = dup_default(out->dtype, "W8A8");
    out->eos_text = dup_default(out->eos_text, "<|im_end|>");
    out->chat_system = dup_default(out->chat_system, "");
    out->chat_prefix = dup_default(out->chat_prefix, "");
    out->chat_postfix = dup_default(out->chat_postfix, "");
    if (out->path == NULL || out->profile == NULL || out->dtype == NULL ||
        out->eos_text == NULL || out->chat_system == NULL || out->chat_prefix == NULL ||
        out->chat_postfix == NULL) {
        snprintf(err, errlen, "out of memory loading '%s'", path);
        emu_model_free(out);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ LoRA files */

typedef struct {
    const emu_model *m;
    bool base_seen;
} lora_ctx;

static const char *lora_key(void *vctx, const char *k, const char *v)
{
    lora_ctx *c = vctx;
    if (strcmp(k, "base") == 0) {
        if (c->base_seen) {
            return "given twice";
        }
        c->base_seen = true;
        if (strcmp(v, c->m->name) != 0) {
            return "adapter was made for another base model than the loaded one";
        }
        return NULL;
    }
    if (strcmp(k, "name") == 0 || strcmp(k, "rank") == 0 || strcmp(k, "alpha") == 0 ||
        strcmp(k, "description") == 0) {
        return NULL; /* informational */
    }
    return "unknown key (expected name, base, rank, alpha, description)";
}

int emu_lora_check(const char *path, const emu_model *m, uint64_t *digest, char *err,
                   size_t errlen)
{
    size_t len = 0;
    bool too_big = false;
    char why[512];
    char *buf = read_small_file(path, DESCRIPTOR_MAX_BYTES, &len, &too_big, why, sizeof why);
    if (buf == NULL) {
        snprintf(err, errlen, "LoRA adapter: %s; expected an npu4j emulator LoRA descriptor "
                              "starting with '" EMU_LORA_MAGIC "'",
                 why);
        return -1;
    }
    *digest = emu_fnv1a(EMU_FNV_OFFSET, buf, len);
    const char *body = skip_magic(buf, EMU_LORA_MAGIC);
    if (body == NULL || too_big) {
        snprintf(err, errlen,
                 "LoRA adapter '%s' is not an npu4j emulator LoRA descriptor (first line must "
                 "be '" EMU_LORA_MAGIC "'%s)",
                 path, looks_binary(buf, len) ? "; real adapters cannot run on the emulator" : "");
        emu_free(buf);
        return -1;
    }
    lora_ctx ctx = {.m = m};
    int rc = parse_lines((char *)body, path, 2, lora_key, &ctx, err, errlen);
    emu_free(buf);
    return rc;
}

/* ------------------------------------------------------ prompt cache files */

static uint64_t ids_checksum(const int32_t *ids, int n)
{
    uint64_t h = emu_hash_str(EMU_FNV_OFFSET, "npu4j-prompt-cache");
    for (int i = 0; i < n; i++) {
        h = emu_hash_u64(h, (uint64_t)(uint32_t)ids[i]);
    }
    return h;
}

int emu_prompt_cache_save(const char *path, const emu_model *m, const int32_t *ids, int n,
                          char *err, size_t errlen)
{
    /* Write to a temporary name first so a reader never sees half a file. */
    emu_sb tmp = {0};
    emu_sb_printf(&tmp, "%s.tmp", path);
    if (tmp.failed) {
        snprintf(err, errlen, "out of memory saving the prompt cache");
        emu_sb_free(&tmp);
        return -1;
    }
    FILE *f = fopen(tmp.buf, "w");
    if (f == NULL) {
        snprintf(err, errlen, "cannot write prompt cache '%s': %s", path, strerror(errno));
        emu_sb_free(&tmp);
        return -1;
    }
    fprintf(f, "%s\n", EMU_CACHE_MAGIC);
    fprintf(f, "# Prompt state cached by the npu4j RKLLM emulator: the token ids that were in\n"
               "# the KV cache after the prefill. Not usable with the real runtime.\n");
    fprintf(f, "model = %s\n", m->name);
    fprintf(f, "vocab_size = %d\n", m->vocab_size);
    fprintf(f, "hidden_size = %d\n", m->hidden_size);
    fprintf(f, "n_tokens = %d\n", n);
    fprintf(f, "checksum = %016" PRIx64 "\n", ids_checksum(ids, n));
    fprintf(f, "tokens =");
    for (int i = 0; i < n; i++) {
        fprintf(f, " %" PRId32, ids[i]);
    }
    fprintf(f, "\n");
    bool ok = !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp.buf, path) != 0) {
        snprintf(err, errlen, "cannot write prompt cache '%s': %s", path, strerror(errno));
        remove(tmp.buf);
        emu_sb_free(&tmp);
        return -1;
    }
    emu_sb_free(&tmp);
    return 0;
}

typedef struct {
    const emu_model *m;
    int n_tokens;
    bool have_n;
    uint64_t checksum;
    bool have_sum;
    int32_t *ids;
    int n_ids;
    bool have_tokens;
    bool model_ok;
} cache_ctx;

static const char *cache_key(void *vctx, const char *k, const char *v)
{
    cache_ctx *c = vctx;
    if (strcmp(k, "model") == 0) {
        if (strcmp(v, c->m->name) != 0) {
            return "cache was made with another model than the loaded one";
        }
        c->model_ok = true;
        return NULL;
    }
    if (strcmp(k, "vocab_size") == 0) {
        int vs;
        const char *why = parse_int(v, 0, 1 << 22, &vs);
        return why != NULL ? why : (vs == c->m->vocab_size ? NULL : "does not match the model");
    }
    if (strcmp(k, "hidden_size") == 0) {
        int hs;
        const char *why = parse_int(v, 0, 1 << 16, &hs);
        return why != NULL ? why : (hs == c->m->hidden_size ? NULL : "does not match the model");
    }
    if (strcmp(k, "n_tokens") == 0) {
        c->have_n = true;
        return parse_int(v, 0, 1 << 22, &c->n_tokens);
    }
    if (strcmp(k, "checksum") == 0) {
        char *end;
        errno = 0;
        c->checksum = strtoull(v, &end, 16);
        c->have_sum = true;
        return (errno != 0 || end == v || *end != '\0') ? "expected 16 hex digits" : NULL;
    }
    if (strcmp(k, "tokens") == 0) {
        if (c->have_tokens) {
            return "given twice";
        }
        c->have_tokens = true;
        int cap = c->have_n && c->n_tokens > 0 ? c->n_tokens : 16;
        c->ids = emu_malloc(sizeof(int32_t) * (size_t)cap);
        if (c->ids == NULL) {
            return "out of memory";
        }
        const char *p = v;
        while (*p != '\0') {
            char *end;
            errno = 0;
            long id = strtol(p, &end, 10);
            if (end == p) {
                return "expected token ids separated by spaces";
            }
            if (errno != 0 || id < 0 || id >= c->m->vocab_size) {
                return "token id out of the model's vocabulary";
            }
            if (c->n_ids == cap) {
                cap *= 2;
                int32_t *n = emu_realloc(c->ids, sizeof(int32_t) * (size_t)cap);
                if (n == NULL) {
                    return "out of memory";
                }
                c->ids = n;
            }
            c->ids[c->n_ids++] = (int32_t)id;
            p = end;
            while (*p == ' ' || *p == '\t') {
                p++;
            }
        }
        return NULL;
    }
    return "unknown key";
}

int emu_prompt_cache_load(const char *path, const emu_model *m, int32_t **ids, int *n, char *err,
                          size_t errlen)
{
    *ids = NULL;
    *n = 0;
    if (path == NULL) {
        snprintf(err, errlen, "prompt_cache_path is NULL");
        return -1;
    }
    size_t len = 0;
    bool too_big = false;
    char why[512];
    char *buf = read_small_file(path, CACHE_MAX_BYTES, &len, &too_big, why, sizeof why);
    if (buf == NULL) {
        snprintf(err, errlen, "prompt cache: %s", why);
        return -1;
    }
    const char *body = skip_magic(buf, EMU_CACHE_MAGIC);
    if (body == NULL || too_big) {
        snprintf(err, errlen,
                 "'%s' is not a prompt cache written by the npu4j emulator (first line must be "
                 "'" EMU_CACHE_MAGIC "')",
                 path);
        emu_free(buf);
        return -1;
    }
    cache_ctx ctx = {.m = m};
    int rc = parse_lines((char *)body, path, 2, cache_key, &ctx, err, errlen);
    emu_free(buf);
    if (rc == 0) {
        if (!ctx.model_ok || !ctx.have_n || !ctx.have_sum || !ctx.have_tokens) {
            snprintf(err, errlen, "'%s': incomplete prompt cache (needs model, n_tokens, "
                                  "checksum and tokens)",
                     path);
            rc = -1;
        } else if (ctx.n_ids != ctx.n_tokens || ids_checksum(ctx.ids, ctx.n_ids) != ctx.checksum) {
            snprintf(err, errlen, "'%s': prompt cache is corrupt (token count or checksum "
                                  "mismatch)",
                     path);
            rc = -1;
        }
    }
    if (rc != 0) {
        emu_free(ctx.ids);
        return -1;
    }
    *ids = ctx.ids;
    *n = ctx.n_ids;
    return 0;
}
