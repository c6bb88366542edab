/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the npu4j RKLLM emulator (librkllmrt.so).
 *
 * The same sources are compiled twice: once against the 1.2.x ABI header
 * (include/rkllm/v1_2/rkllm.h) and once against the 1.3.0 one. CMake passes
 * NPU4J_EMU_ABI_MINOR (2 or 3) together with the matching include directory;
 * the check below makes sure the two agree.
 *
 * Nothing here is exported: the library is built with -fvisibility=hidden and
 * only the functions marked EMU_EXPORT (the rkllm_* ABI plus two npu4j_*
 * introspection functions) are visible to its users.
 */
#ifndef NPU4J_EMU_INTERNAL_H
#define NPU4J_EMU_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rkllm.h"

#ifndef NPU4J_EMU_ABI_MINOR
#error "NPU4J_EMU_ABI_MINOR must be defined (2 or 3) by the build"
#endif
#if NPU4J_EMU_ABI_MINOR != NPU4J_RKLLM_ABI_MINOR
#error "NPU4J_EMU_ABI_MINOR does not match the rkllm.h found on the include path"
#endif

#define EMU_EXPORT __attribute__((visibility("default")))
#define EMU_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Counted allocation: emu_alloc.h (native/emulator/common). Every heap block
 * the emulator owns goes through it so that leaks show up in the live count. */
#include "emu_alloc.h"
#include "emu_hash.h"

/* ------------------------------------------------------------------ */
/* Utilities (emu_util.c)                                             */
/* ------------------------------------------------------------------ */

#define EMU_FNV_OFFSET 14695981039346656037ULL

uint64_t emu_fnv1a(uint64_t h, const void *data, size_t n);
uint64_t emu_hash_u64(uint64_t h, uint64_t v);
uint64_t emu_hash_str(uint64_t h, const char *s); /* NULL hashes like "" plus a marker */
/* emu_mix64, the splitmix64 finaliser: emu_hash.h (native/emulator/common). */

/* Small deterministic PRNG (splitmix64). */
typedef struct {
    uint64_t state;
} emu_rng;

void emu_rng_seed(emu_rng *r, uint64_t seed);
uint64_t emu_rng_next(emu_rng *r);
/* Uniform in [0, n); n must be > 0. */
uint32_t emu_rng_below(emu_rng *r, uint32_t n);
/* Uniform in [lo, hi], inclusive. */
int emu_rng_range(emu_rng *r, int lo, int hi);
/* True with probability percent / 100. */
bool emu_rng_percent(emu_rng *r, int percent);
/* Deterministic float in [-1, 1) derived from a hash value. */
float emu_unit_float(uint64_t h);

/* Growable byte string. On allocation failure `failed` is set and further
 * appends are ignored, so callers check once at the end. */
typedef struct {
    char *buf;
    size_t len;
    size_t cap;
    bool failed;
} emu_sb;

void emu_sb_append(emu_sb *sb, const char *s, size_t n);
void emu_sb_puts(emu_sb *sb, const char *s);
void emu_sb_putc(emu_sb *sb, char c);
void emu_sb_printf(emu_sb *sb, const char *fmt, ...) EMU_PRINTF(2, 3);
void emu_sb_clear(emu_sb *sb);
void emu_sb_free(emu_sb *sb);
/* NUL-terminated view of the contents (never NULL unless failed). */
const char *emu_sb_cstr(emu_sb *sb);

/* UTF-8 helpers. */
/* Length a lead byte announces (1-4), or 0 for a continuation/invalid byte. */
int emu_utf8_seq_len(unsigned char lead);
/* Decodes one character; returns its byte length (1 for an invalid byte,
 * which is then reported as U+FFFD). */
int emu_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Number of trailing bytes that form an incomplete (but so far valid)
 * UTF-8 sequence, 0 if the text ends on a character boundary. */
size_t emu_utf8_incomplete_tail(const char *s, size_t n);
bool emu_utf8_valid(const char *s, size_t n);

/* Monotonic clock in nanoseconds. */
uint64_t emu_now_ns(void);

/* Environment. Each reader prints a message naming the variable when its
 * value is invalid and then falls back to the default. */
double emu_env_speed(void);
long emu_env_long(const char *name, long dflt, long min_value);
int emu_log_level(void);

/* Logging in the vendor's style: "<L> rkllm: message" on stderr. */
void emu_log(char level, const char *fmt, ...) EMU_PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* Model descriptors, LoRA descriptors, prompt cache files            */
/* (emu_model.c)                                                      */
/* ------------------------------------------------------------------ */

#define EMU_MODEL_MAGIC "npu4j-emulator-model rkllm 1"
#define EMU_LORA_MAGIC "npu4j-emulator-lora rkllm 1"
#define EMU_CACHE_MAGIC "npu4j-emulator-prompt-cache rkllm 1"

typedef enum {
    EMU_SCRIPT_AUTO = 0,
    EMU_SCRIPT_LATIN,
    EMU_SCRIPT_CYRILLIC,
    EMU_SCRIPT_CJK
} emu_script;

typedef struct {
    char *path;
    char *name;             /* e.g. "Qwen3-0.6B" */
    char *profile;          /* e.g. "rk3588-qwen3-0.6b-w8a8" */
    char *platform;         /* e.g. "RK3588" */
    char *dtype;            /* e.g. "W8A8" */
    int npu_cores;
    int max_context_limit;
    int hidden_size;
    int vocab_size;
    int n_layers;
    int n_kv_heads;
    int head_dim;
    int eos_token_id;
    char *eos_text;
    bool eos_never;         /* eos = never: answers never end by themselves */
    int answer_min;         /* natural answer length range, in tokens */
    int answer_max;
    emu_script script;      /* AUTO: follow the prompt */
    double prefill_ms_per_token;
    double decode_ms_per_token;
    double load_ms;
    double memory_mb;
    bool thinking;          /* Qwen3-style <think> blocks */
    bool qwen_tools;        /* Qwen-style <tool_call> output */
    char *chat_system;      /* default template, used verbatim */
    char *chat_prefix;
    char *chat_postfix;
    int split_percent;      /* chance that a token ends inside a character */
    int emoji_percent;      /* chance that a sentence ends with an emoji */
    int max_batch;
    /* Cost of a decode step with n_batch > 1: each active entry beyond the
     * first adds this percentage of a single-entry step. An assumption, not a
     * measurement (no published RKLLM batch figure; see README.md). */
    int batch_step_percent;
    int vision_outputs;     /* image embedding blocks per image token (Qwen3-VL deepstack: 4) */
} emu_model;

/* Loads a descriptor. On failure returns -1 and writes a message that names
 * the path and what was expected into err. */
int emu_model_load(const char *path, emu_model *out, char *err, size_t errlen);
void emu_model_free(emu_model *m);

/* Checks a LoRA adapter descriptor; returns 0 and a digest of its contents. */
int emu_lora_check(const char *path, const emu_model *m, uint64_t *digest, char *err,
                   size_t errlen);

int emu_prompt_cache_save(const char *path, const emu_model *m, const int32_t *ids, int n,
                          char *err, size_t errlen);
/* On success *ids is an emu_malloc'ed array of *n token ids. */
int emu_prompt_cache_load(const char *path, const emu_model *m, int32_t **ids, int *n, char *err,
                          size_t errlen);

/* ------------------------------------------------------------------ */
/* Minimal JSON reader (emu_json.c), used for function tools.         */
/* ------------------------------------------------------------------ */

typedef enum { EJ_NULL, EJ_BOOL, EJ_NUMBER, EJ_STRING, EJ_ARRAY, EJ_OBJECT } ej_type;

typedef struct ej_value {
    ej_type type;
    bool boolean;
    char *text;                /* decoded string, or the number as written */
    size_t count;              /* array items / object members */
    struct ej_value **items;
    char **keys;               /* object member names (objects only) */
} ej_value;

ej_value *ej_parse(const char *text, char *err, size_t errlen);
void ej_free(ej_value *v);
const ej_value *ej_member(const ej_value *obj, const char *key);
/* Appends s as a JSON string literal (with quotes). */
void ej_write_string(emu_sb *sb, const char *s);
/* Appends v re-serialised compactly ({"a": 1, "b": [true]} style). */
void ej_write_value(emu_sb *sb, const ej_value *v);

/* ------------------------------------------------------------------ */
/* Text: tokenizer, scripts, answer generator (emu_text.c)            */
/* ------------------------------------------------------------------ */

/* Special tokens, numbered like Qwen's (offsets from <|endoftext|>). */
typedef enum {
    EMU_SP_ENDOFTEXT = 0,
    EMU_SP_IM_START = 1,
    EMU_SP_IM_END = 2,
    EMU_SP_TOOL_CALL = 14,
    EMU_SP_TOOL_CALL_END = 15,
    EMU_SP_TOOL_RESPONSE = 22,
    EMU_SP_TOOL_RESPONSE_END = 23,
    EMU_SP_THINK = 24,
    EMU_SP_THINK_END = 25
} emu_special;

int32_t emu_special_id(const emu_model *m, emu_special sp);
const char *emu_special_text(emu_special sp);
/* Id of an ordinary token whose text hashes to h. */
int32_t emu_ordinary_id(const emu_model *m, uint64_t h);

emu_script emu_detect_script(const char *text, size_t n);
const char *emu_script_name(emu_script s);

/* Appends the token ids of text to *ids (an emu_malloc'ed array grown as
 * needed). Returns the number of ids appended, or -1 when out of memory. */
int emu_tokenize(const emu_model *m, const char *text, size_t n, int32_t **ids, int *len,
                 int *cap);

/* One planned part of an answer. */
typedef enum {
    EMU_SEG_SPECIAL,   /* one special token */
    EMU_SEG_LITERAL,   /* fixed text, cut into tokens */
    EMU_SEG_PROSE,     /* generated sentences */
    EMU_SEG_EOS        /* end of sequence */
} emu_seg_kind;

typedef struct {
    emu_seg_kind kind;
    emu_special special;
    char *text;         /* LITERAL */
    int sentences;      /* PROSE: number of sentences, or 0 = use the token budget */
} emu_seg;

typedef struct {
    char text[96];
    int len;
    int32_t id;
    bool eos;
} emu_token;

typedef struct {
    const emu_model *model;
    emu_rng rng;
    emu_script script;
    int split_percent;
    int emoji_percent;
    bool endless;         /* EOS is never produced (ignore_eos_token, eos = never) */

    emu_seg *segs;
    int n_segs;
    int seg;              /* current segment */

    emu_sb chunk;         /* text of the current piece (a word, a mark) */
    size_t chunk_pos;
    bool chunk_is_prose;  /* tokens cut from it count against the budget */
    int prose_seg;        /* segment whose prose state is current, -1: none */
    bool first_word;

    /* prose state */
    bool in_sentence;
    int words_left;
    int sentences_done;   /* in the current PROSE segment */
    int sentences_in_para;
    int para_len;
    bool need_space;
    bool answer_started;
    int prose_tokens;
    int prose_budget;
    char *topic[2];       /* words borrowed from the prompt */
    int n_topic;
    int topic_used;
} emu_gen;

void emu_gen_init(emu_gen *g, const emu_model *m, uint64_t seed, emu_script script,
                  int split_percent, bool endless);
/* Adds a segment; text is copied. */
void emu_gen_add(emu_gen *g, emu_seg_kind kind, emu_special sp, const char *text, int sentences);
/* Borrows up to two words of the prompt to mention in the answer. */
void emu_gen_topic_from(emu_gen *g, const char *prompt);
/* Produces the next token. Returns false when the plan is exhausted
 * (which only happens after an EOS token was returned). */
bool emu_gen_next(emu_gen *g, emu_token *t);
void emu_gen_free(emu_gen *g);

/* Fills a prose sentence for tool results etc. into sb. */
void emu_text_tool_result_intro(emu_sb *sb, emu_script script);

#endif /* NPU4J_EMU_INTERNAL_H */
