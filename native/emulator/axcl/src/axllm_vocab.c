/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The project-made vocabulary of the emulated LLM packages and its two file
 * formats: HF tokenizer.json (byte-level BPE with merges, the Qwen2
 * pre-tokenizer regex) + tokenizer_config.json, and the MNN tokenizer.txt of
 * ax-llm G3 (type 1, "tiktoken": one base64 byte string per id, rank = id).
 *
 * Ids 0..255 are the 256 bytes (id = byte value). Every further token is
 * added so that its listed merge is exactly the last step rank-BPE takes on
 * its own bytes (a token whose rank-BPE would end in more than two pieces
 * first gets the missing intermediate tokens). With that, merge-list BPE (HF)
 * and rank BPE (tiktoken) agree; test_axllm checks it on a corpus. Ids from
 * the last regular token up to the added tokens are filler tokens: three
 * UTF-8 continuation bytes each, which no merge produces (ids must be dense in
 * the MNN format, and the Qwen-shaped package puts the added tokens at 151643
 * like Qwen3).
 */
#include "axllm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *const AXLLM_SPECIALS[AXLLM_NSPECIAL] = {
    "<|endoftext|>",  "<|im_start|>",   "<|im_end|>",     "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>",  "<|box_end|>",    "<|quad_start|>", "<|quad_end|>",         "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>",  "<|video_pad|>",        "<tool_call>",
    "</tool_call>",   "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",       "<|fim_pad|>",
    "<|repo_name|>",  "<|file_sep|>",   "<tool_response>", "</tool_response>",   "<think>",
    "</think>",
};

bool axllm_special_is_control(int k) {
    /* As Qwen3's tokenizer_config.json: the <|...|> tokens except fim/repo/file markers. */
    return k <= AXLLM_SP_VIDEO_PAD;
}

/* Every string the toy model emits or keys on, plus common words of prompts.
 * Order matters only for the ids (ranks). */
static const char *const WORDS[] = {
    /* structure */
    "\n", "\n\n", ",", ".", "assistant", "user", "system", "tool", "Okay",
    /* JSON of tool declarations and calls */
    "{\"", "name", "\":", " \"", "\":\"", " {\"", "\",", "\"}", "arguments", " {}}\n", "<tools", "></", "tools", ">\n",
    "type", "function", "description", "parameters", "properties", "required", "string", "object",
    /* the toy grammar (axllm_model.c) */
    "The", "A", "Each", "Every",
    " the", " a", " each", " one", " every",
    " fast", " small", " next", " whole", " new", " slow", " big",
    " NPU", " model", " layer", " card", " host", " link", " token", " cache", " answer", " prompt", " memory",
    " user", " step", " buffer", " core", " chip",
    " runs", " reads", " sends", " needs", " keeps", " uses", " moves", " checks", " writes", " waits",
    " on", " to", " over", " with", " for", " from", " into",
    " and", " so", " while", " but",
    " asks", " about",
    /* common prompt words */
    " is", " are", " what", "What", "Why", "How", " does", " do", " you", "You", " helpful", " assistant", " an",
    " need", " its", " IRQ", " weather", "get", "_weather", " Paris", " in", " of", " city", "Hello", " hello",
    " world", " I", " it", " this", "This", " that", " can", " call", " tools", " Tools", " time", " please",
    " tell", " me", " why", " how", " run", " it",
};

static uint32_t fnv(const char *s, int len) {
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++) {
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    }
    return h;
}

int axllm_token(const struct axllm_vocab *v, const char *s, int len) {
    uint32_t mask = (uint32_t)v->nslot - 1;
    for (uint32_t i = fnv(s, len) & mask;; i = (i + 1) & mask) {
        int id = v->slot[i];
        if (id < 0) {
            return -1;
        }
        if (v->len[id] == len && memcmp(v->str[id], s, (size_t)len) == 0) {
            return id;
        }
    }
}

static void slot_put(struct axllm_vocab *v, int id) {
    uint32_t mask = (uint32_t)v->nslot - 1;
    uint32_t i = fnv(v->str[id], v->len[id]) & mask;
    while (v->slot[i] >= 0) {
        i = (i + 1) & mask;
    }
    v->slot[i] = id;
}

/* Pieces of one pre-token, as (start, len) pairs, merged in place. */
struct pieces {
    int n;
    int start[256], len[256];
};

static void pieces_init(struct pieces *p, int len) {
    p->n = len;
    for (int i = 0; i < len; i++) {
        p->start[i] = i;
        p->len[i] = 1;
    }
}

static void pieces_merge(struct pieces *p, int i) {
    p->len[i] += p->len[i + 1];
    memmove(&p->start[i + 1], &p->start[i + 2], sizeof(int) * (size_t)(p->n - i - 2));
    memmove(&p->len[i + 1], &p->len[i + 2], sizeof(int) * (size_t)(p->n - i - 2));
    p->n--;
}

/* Rank BPE: merge the adjacent pair whose concatenation has the lowest id. */
static void bpe_ranks(const struct axllm_vocab *v, const char *s, struct pieces *p) {
    for (;;) {
        int best = -1, best_id = -1;
        for (int i = 0; i + 1 < p->n; i++) {
            int id = axllm_token(v, s + p->start[i], p->len[i] + p->len[i + 1]);
            if (id >= 0 && (best_id < 0 || id < best_id)) {
                best = i;
                best_id = id;
            }
        }
        if (best < 0) {
            return;
        }
        pieces_merge(p, best);
    }
}

/* Merge-list BPE: merge the adjacent pair (a, b) that is some token's listed
 * merge, lowest rank first. */
static void bpe_merges(const struct axllm_vocab *v, const char *s, struct pieces *p) {
    for (;;) {
        int best = -1, best_id = -1;
        for (int i = 0; i + 1 < p->n; i++) {
            int id = axllm_token(v, s + p->start[i], p->len[i] + p->len[i + 1]);
            if (id < 256 || (best_id >= 0 && id >= best_id)) {
                continue;
            }
            int a = axllm_token(v, s + p->start[i], p->len[i]), b = axllm_token(v, s + p->start[i + 1], p->len[i + 1]);
            if (v->merge_l[id] == a && v->merge_r[id] == b) {
                best = i;
                best_id = id;
            }
        }
        if (best < 0) {
            return;
        }
        pieces_merge(p, best);
    }
}

static int pieces_out(const struct axllm_vocab *v, const char *s, const struct pieces *p, int *out, int cap) {
    if (p->n > cap) {
        return -1;
    }
    for (int i = 0; i < p->n; i++) {
        out[i] = axllm_token(v, s + p->start[i], p->len[i]);
    }
    return p->n;
}

int axllm_bpe_ranks(const struct axllm_vocab *v, const char *s, int len, int *out, int cap) {
    struct pieces p;
    if (len <= 0 || len > 256) {
        return len == 0 ? 0 : -1;
    }
    pieces_init(&p, len);
    bpe_ranks(v, s, &p);
    return pieces_out(v, s, &p, out, cap);
}

int axllm_bpe_merges(const struct axllm_vocab *v, const char *s, int len, int *out, int cap) {
    struct pieces p;
    if (len <= 0 || len > 256) {
        return len == 0 ? 0 : -1;
    }
    pieces_init(&p, len);
    bpe_merges(v, s, &p);
    return pieces_out(v, s, &p, out, cap);
}

static int push(struct axllm_vocab *v, const char *s, int len, int l, int r) {
    int id = v->n++;
    v->str[id] = malloc((size_t)len + 1);
    if (!v->str[id]) {
        return -1;
    }
    memcpy(v->str[id], s, (size_t)len);
    v->str[id][len] = '\0';
    v->len[id] = len;
    v->merge_l[id] = l;
    v->merge_r[id] = r;
    slot_put(v, id);
    return id;
}

/* Adds s (and the intermediate tokens it needs) so that rank BPE of s ends
 * in s itself, with s's merge = the last two pieces. */
static int add(struct axllm_vocab *v, const char *s, int len) {
    if (axllm_token(v, s, len) >= 0) {
        return 0;
    }
    for (;;) {
        struct pieces p;
        pieces_init(&p, len);
        bpe_ranks(v, s, &p);
        if (p.n == 2) {
            int l = axllm_token(v, s, p.len[0]), r = axllm_token(v, s + p.start[1], p.len[1]);
            return push(v, s, len, l, r) < 0 ? -1 : 0;
        }
        if (add(v, s + p.start[0], p.len[0] + p.len[1]) != 0) {
            return -1;
        }
    }
}

static struct axllm_vocab g_vocab;
static bool g_vocab_ok;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void build(void) {
    struct axllm_vocab *v = &g_vocab;
    int cap = 4096;
    v->nslot = 16384;
    v->str = calloc((size_t)cap, sizeof *v->str);
    v->len = calloc((size_t)cap, sizeof *v->len);
    v->merge_l = calloc((size_t)cap, sizeof *v->merge_l);
    v->merge_r = calloc((size_t)cap, sizeof *v->merge_r);
    v->slot = malloc(sizeof *v->slot * (size_t)v->nslot);
    if (!v->str || !v->len || !v->merge_l || !v->merge_r || !v->slot) {
        return;
    }
    memset(v->slot, 0xFF, sizeof *v->slot * (size_t)v->nslot);
    for (int b = 0; b < 256; b++) {
        char c = (char)b;
        if (push(v, &c, 1, -1, -1) < 0) {
            return;
        }
    }
    for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
        if (v->n + 64 > cap || add(v, WORDS[i], (int)strlen(WORDS[i])) != 0) {
            return;
        }
    }
    g_vocab_ok = true;
}

const struct axllm_vocab *axllm_vocab(void) {
    pthread_once(&g_once, build);
    return g_vocab_ok ? &g_vocab : NULL;
}

int axllm_tok(const char *s) {
    const struct axllm_vocab *v = axllm_vocab();
    int id = v ? axllm_token(v, s, (int)strlen(s)) : -1;
    if (id < 0) {
        fprintf(stderr, "npu4j-emulator axcl: internal error: \"%s\" is not in the emulated LLM vocabulary\n", s);
        abort();
    }
    return id;
}

int axllm_token_class(const struct axllm_vocab *v, int id, int special_base) {
    if (id >= special_base) {
        switch (id - special_base) {
        case AXLLM_SP_IM_START: return AXLLM_C_IM_START;
        case AXLLM_SP_IM_END: return AXLLM_C_IM_END;
        case AXLLM_SP_THINK: return AXLLM_C_THINK;
        case AXLLM_SP_THINK_END: return AXLLM_C_THINK_END;
        case AXLLM_SP_TOOL_CALL: return AXLLM_C_TOOL_CALL;
        case AXLLM_SP_TOOL_CALL_END: return AXLLM_C_TOOL_CALL_END;
        case AXLLM_SP_TOOL_RESPONSE_END: return AXLLM_C_TOOL_RESPONSE_END;
        default: return AXLLM_C_OTHER_SPECIAL;
        }
    }
    if (id >= v->n) {
        return AXLLM_C_PLAIN; /* filler */
    }
    const char *s = v->str[id];
    if (strcmp(s, "<tools") == 0) {
        return AXLLM_C_TOOLS;
    }
    if (strcmp(s, "name") == 0) {
        return AXLLM_C_NAME_KEY;
    }
    if (strcmp(s, "\":") == 0) {
        return AXLLM_C_COLON_Q;
    }
    if (strcmp(s, " \"") == 0) {
        return AXLLM_C_SPACE_Q;
    }
    if (strcmp(s, "\":\"") == 0) {
        return AXLLM_C_COLON_QQ;
    }
    return memchr(s, '"', (size_t)v->len[id]) ? AXLLM_C_QUOTE : AXLLM_C_PLAIN;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/* Bytes of token id (regular, filler or added) into buf; returns the length. */
static int token_bytes(const struct axllm_vocab *v, int id, int special_base, char *buf) {
    if (id >= special_base) {
        const char *s = AXLLM_SPECIALS[id - special_base];
        int n = (int)strlen(s);
        memcpy(buf, s, (size_t)n);
        return n;
    }
    if (id < v->n) {
        memcpy(buf, v->str[id], (size_t)v->len[id]);
        return v->len[id];
    }
    int k = id - v->n;
    buf[0] = (char)(0x80 | ((k >> 12) & 63));
    buf[1] = (char)(0x80 | ((k >> 6) & 63));
    buf[2] = (char)(0x80 | (k & 63));
    return 3;
}

static int check_layout(const struct axllm_vocab *v, int special_base) {
    if (!v || special_base < v->n || special_base - v->n > 64 * 64 * 64) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static void base64(FILE *f, const unsigned char *s, int n) {
    static const char T[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < n; i += 3) {
        uint32_t b = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        fputc(T[(b >> 18) & 63], f);
        fputc(T[(b >> 12) & 63], f);
        fputc(i + 1 < n ? T[(b >> 6) & 63] : '=', f);
        fputc(i + 2 < n ? T[b & 63] : '=', f);
    }
}

static int finish(FILE *f) {
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        if (!errno) {
            errno = EIO;
        }
        return -1;
    }
    return 0;
}

int axllm_write_tokenizer_txt(const char *path, int special_base) {
    const struct axllm_vocab *v = axllm_vocab();
    if (check_layout(v, special_base) != 0) {
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    /* 430 = magic, 1 = tiktoken; then specials, stop ids, prefix ids. */
    fprintf(f, "430 1\n%d 1 0\n", AXLLM_NSPECIAL);
    for (int k = 0; k < AXLLM_NSPECIAL; k++) {
        fprintf(f, "%d ", special_base + k);
    }
    fprintf(f, "%d \n%d\n", special_base + AXLLM_SP_IM_END, special_base + AXLLM_NSPECIAL);
    char buf[64];
    for (int id = 0; id < special_base + AXLLM_NSPECIAL; id++) {
        int n = token_bytes(v, id, special_base, buf);
        base64(f, (const unsigned char *)buf, n);
        fputc('\n', f);
    }
    return finish(f);
}

/* GPT-2 byte-level alphabet: byte -> code point. */
static void byte_alphabet(uint32_t cp[256]) {
    int n = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        cp[b] = printable ? (uint32_t)b : (uint32_t)(256 + n++);
    }
}

static void put_utf8(FILE *f, uint32_t c) {
    if (c < 0x80) {
        if (c == '"' || c == '\\') {
            fputc('\\', f);
        }
        fputc((int)c, f);
    } else if (c < 0x800) {
        fputc(0xC0 | (int)(c >> 6), f);
        fputc(0x80 | (int)(c & 63), f);
    } else {
        fputc(0xE0 | (int)(c >> 12), f);
        fputc(0x80 | (int)((c >> 6) & 63), f);
        fputc(0x80 | (int)(c & 63), f);
    }
}

static void put_bytelevel(FILE *f, const uint32_t cp[256], const char *s, int n) {
    for (int i = 0; i < n; i++) {
        put_utf8(f, cp[(uint8_t)s[i]]);
    }
}

/* The Qwen2 pre-tokenizer regex, as a JSON string. */
static const char QWEN_REGEX_JSON[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|"
    "\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";

int axllm_write_tokenizer_json(const char *path, int special_base) {
    const struct axllm_vocab *v = axllm_vocab();
    if (check_layout(v, special_base) != 0) {
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    uint32_t cp[256];
    byte_alphabet(cp);
    fprintf(f, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [\n");
    for (int k = 0; k < AXLLM_NSPECIAL; k++) {
        fprintf(f,
                "    {\"id\": %d, \"content\": \"%s\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
                " \"normalized\": false, \"special\": %s}%s\n",
                special_base + k, AXLLM_SPECIALS[k], axllm_special_is_control(k) ? "true" : "false",
                k + 1 < AXLLM_NSPECIAL ? "," : "");
    }
    fprintf(f, "  ],\n  \"normalizer\": {\"type\": \"NFC\"},\n");
    fprintf(f,
            "  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [\n"
            "    {\"type\": \"Split\", \"pattern\": {\"Regex\": \"%s\"}, \"behavior\": \"Isolated\", \"invert\": false},\n"
            "    {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false}\n"
            "  ]},\n",
            QWEN_REGEX_JSON);
    fprintf(f, "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false,"
               " \"use_regex\": false},\n");
    fprintf(f, "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false,"
               " \"use_regex\": false},\n");
    fprintf(f, "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
               "    \"continuing_subword_prefix\": \"\",\n    \"end_of_word_suffix\": \"\",\n    \"fuse_unk\": false,\n"
               "    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {\n");
    char buf[64];
    for (int id = 0; id < special_base; id++) {
        int n = token_bytes(v, id, special_base, buf);
        fputs("      \"", f);
        put_bytelevel(f, cp, buf, n);
        fprintf(f, "\": %d%s\n", id, id + 1 < special_base ? "," : "");
    }
    fprintf(f, "    },\n    \"merges\": [\n");
    for (int id = 256; id < v->n; id++) {
        int l = v->merge_l[id], r = v->merge_r[id];
        fputs("      \"", f);
        put_bytelevel(f, cp, v->str[l], v->len[l]);
        fputc(' ', f);
        put_bytelevel(f, cp, v->str[r], v->len[r]);
        fprintf(f, "\"%s\n", id + 1 < v->n ? "," : "");
    }
    fprintf(f, "    ]\n  }\n}\n");
    return finish(f);
}

/* A ChatML template (Qwen3 conventions: tools section, <tool_call> JSON,
 * <tool_response> turns, enable_thinking=false appends an empty think block).
 * Written for npu4j; kept to Jinja features every engine has. */
static const char CHAT_TEMPLATE_JSON[] =
    "{%- if tools %}"
    "{{- '<|im_start|>system\\\\n' }}"
    "{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\\\n\\\\n' }}{%- endif %}"
    "{{- '# Tools\\\\n\\\\nYou may call one or more functions to answer. Their signatures are inside <tools></tools>:\\\\n<tools>' }}"
    "{%- for tool in tools %}{{- '\\\\n' }}{{- tool | tojson }}{%- endfor %}"
    "{{- '\\\\n</tools>\\\\n\\\\nTo call a function, answer with a JSON object {\\\"name\\\": <function-name>, "
    "\\\"arguments\\\": <args-json-object>} inside <tool_call></tool_call> tags.<|im_end|>\\\\n' }}"
    "{%- elif messages[0].role == 'system' %}"
    "{{- '<|im_start|>system\\\\n' + messages[0].content + '<|im_end|>\\\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'user' %}"
    "{{- '<|im_start|>user\\\\n' + message.content + '<|im_end|>\\\\n' }}"
    "{%- elif message.role == 'assistant' %}"
    "{{- '<|im_start|>assistant\\\\n' }}{%- if message.content %}{{- message.content }}{%- endif %}"
    "{%- if message.tool_calls %}{%- for call in message.tool_calls %}"
    "{%- if call.function %}{%- set call = call.function %}{%- endif %}"
    "{{- '\\\\n<tool_call>\\\\n{\\\"name\\\": \\\"' + call.name + '\\\", \\\"arguments\\\": ' }}{{- call.arguments | tojson }}"
    "{{- '}\\\\n</tool_call>' }}"
    "{%- endfor %}{%- endif %}"
    "{{- '<|im_end|>\\\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{{- '<|im_start|>user\\\\n<tool_response>\\\\n' + message.content + '\\\\n</tool_response><|im_end|>\\\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\\\n\\\\n</think>\\\\n\\\\n' }}{%- endif %}"
    "{%- endif %}";

int axllm_write_tokenizer_config(const char *path, int special_base) {
    const struct axllm_vocab *v = axllm_vocab();
    if (check_layout(v, special_base) != 0) {
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    fprintf(f, "{\n  \"add_bos_token\": false,\n  \"add_prefix_space\": false,\n  \"added_tokens_decoder\": {\n");
    for (int k = 0; k < AXLLM_NSPECIAL; k++) {
        fprintf(f,
                "    \"%d\": {\"content\": \"%s\", \"lstrip\": false, \"normalized\": false, \"rstrip\": false,"
                " \"single_word\": false, \"special\": %s}%s\n",
                special_base + k, AXLLM_SPECIALS[k], axllm_special_is_control(k) ? "true" : "false",
                k + 1 < AXLLM_NSPECIAL ? "," : "");
    }
    fprintf(f, "  },\n  \"bos_token\": null,\n  \"chat_template\": \"%s\",\n", CHAT_TEMPLATE_JSON);
    fprintf(f, "  \"clean_up_tokenization_spaces\": false,\n  \"eos_token\": \"<|im_end|>\",\n  \"errors\": \"replace\",\n"
               "  \"model_max_length\": 40960,\n  \"pad_token\": \"<|endoftext|>\",\n  \"split_special_tokens\": false,\n"
               "  \"tokenizer_class\": \"Qwen2Tokenizer\",\n  \"unk_token\": null,\n"
               "  \"npu4j_emulator\": \"project-made toy vocabulary of the npu4j AXCL emulator, not Qwen's\"\n}\n");
    return finish(f);
}
