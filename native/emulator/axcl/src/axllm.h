/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Emulated AX650N LLM packages (ax-llm layout): the project-made vocabulary
 * and tokenizer files (axllm_vocab.c), the toy decoder layers and post model
 * the engine runs for them (axllm_model.c), and the package writer
 * (axllm_package.c). See README.md, "Emulated LLM packages".
 */
#ifndef NPU4J_AXCL_AXLLM_H
#define NPU4J_AXCL_AXLLM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Vocabulary                                                          */
/* ------------------------------------------------------------------ */

/* The Qwen2/Qwen3 added tokens, in their order (ids special_base + k). */
enum {
    AXLLM_SP_ENDOFTEXT,
    AXLLM_SP_IM_START,
    AXLLM_SP_IM_END,
    AXLLM_SP_OBJECT_REF_START,
    AXLLM_SP_OBJECT_REF_END,
    AXLLM_SP_BOX_START,
    AXLLM_SP_BOX_END,
    AXLLM_SP_QUAD_START,
    AXLLM_SP_QUAD_END,
    AXLLM_SP_VISION_START,
    AXLLM_SP_VISION_END,
    AXLLM_SP_VISION_PAD,
    AXLLM_SP_IMAGE_PAD,
    AXLLM_SP_VIDEO_PAD,
    AXLLM_SP_TOOL_CALL,
    AXLLM_SP_TOOL_CALL_END,
    AXLLM_SP_FIM_PREFIX,
    AXLLM_SP_FIM_MIDDLE,
    AXLLM_SP_FIM_SUFFIX,
    AXLLM_SP_FIM_PAD,
    AXLLM_SP_REPO_NAME,
    AXLLM_SP_FILE_SEP,
    AXLLM_SP_TOOL_RESPONSE,
    AXLLM_SP_TOOL_RESPONSE_END,
    AXLLM_SP_THINK,
    AXLLM_SP_THINK_END,
    AXLLM_NSPECIAL
};

extern const char *const AXLLM_SPECIALS[AXLLM_NSPECIAL];
/* Added tokens that HF marks "special": true (the <|...|> control tokens). */
bool axllm_special_is_control(int k);

/* Token classes carried in hidden lane 3 (what the toy layers key on). */
enum {
    AXLLM_C_PLAIN,
    AXLLM_C_IM_START,
    AXLLM_C_IM_END,
    AXLLM_C_THINK,
    AXLLM_C_THINK_END,
    AXLLM_C_TOOLS,      /* "<tools" (the ChatML tools section opens with it) */
    AXLLM_C_NAME_KEY,   /* "name" */
    AXLLM_C_COLON_Q,    /* "\":" */
    AXLLM_C_SPACE_Q,    /* " \"" */
    AXLLM_C_COLON_QQ,   /* "\":\"" (compact JSON) */
    AXLLM_C_QUOTE,      /* any other token containing '"' */
    AXLLM_C_TOOL_CALL,
    AXLLM_C_TOOL_CALL_END,
    AXLLM_C_TOOL_RESPONSE_END,
    AXLLM_C_OTHER_SPECIAL
};

/* The regular (byte-level BPE) vocabulary: ids 0..255 are the bytes, then
 * merged tokens in creation order (id = rank). Built once, immutable. */
struct axllm_vocab {
    int n;              /* regular tokens */
    char **str;         /* bytes of token i (NUL-terminated for convenience) */
    int *len;
    int *merge_l, *merge_r; /* the two tokens merged into token i (-1 for bytes) */
    int *slot;          /* open-addressing hash table of ids, size nslot */
    int nslot;
};

/* The shared vocabulary (NULL only when out of memory). Thread-safe. */
const struct axllm_vocab *axllm_vocab(void);
/* Id of the regular token with these bytes, or -1. */
int axllm_token(const struct axllm_vocab *v, const char *s, int len);
/* Same for a NUL-terminated string; aborts the process on a missing token
 * (a programming error: every string the generator uses is in the word list). */
int axllm_tok(const char *s);
/* Rank-BPE (tiktoken) and merge-list BPE (HF) of one pre-token: token ids
 * into out (at most cap), returns their number or -1. */
int axllm_bpe_ranks(const struct axllm_vocab *v, const char *s, int len, int *out, int cap);
int axllm_bpe_merges(const struct axllm_vocab *v, const char *s, int len, int *out, int cap);
/* Class of a token id of a package whose added tokens start at special_base. */
int axllm_token_class(const struct axllm_vocab *v, int id, int special_base);

/* Tokenizer files of a package (0, or -1 with errno set). */
int axllm_write_tokenizer_txt(const char *path, int special_base);
int axllm_write_tokenizer_json(const char *path, int special_base);
int axllm_write_tokenizer_config(const char *path, int special_base);

/* ------------------------------------------------------------------ */
/* Hidden-state lanes of the toy model (see axllm_model.c)             */
/* ------------------------------------------------------------------ */

enum {
    AXLLM_L_ID = 0,      /* 3 lanes: token id in base 64 */
    AXLLM_L_CLASS = 3,
    AXLLM_L_HASH = 4,    /* 4 lanes: token hash features, k/16 in [-1, 1) */
    AXLLM_L_POS = 8,     /* 2 lanes: own position (layer 0) */
    AXLLM_L_PREV1 = 10,  /* 4 lanes: id digits + class of the previous token */
    AXLLM_L_PREV2 = 14,  /* 4 lanes: same, two back */
    AXLLM_L_MEAN = 18,   /* 5 lanes: mean hash features and tools presence up to here */
    AXLLM_L_START = 23,  /* 3 lanes: found flag + position of the last <|im_start|> */
    AXLLM_L_SEED = 26,   /* 5 lanes: AXLLM_L_MEAN as it was at that <|im_start|> */
    AXLLM_L_TEND = 31,   /* 3 lanes: found + position of the last </think> */
    AXLLM_L_NAMEF = 34,  /* 3 lanes: found + position of the first tool-name opener */
    AXLLM_L_NAMEL = 37,  /* 3 lanes: found + position of the last tool-name opener */
    AXLLM_L_QEND = 40,   /* 3 lanes: found + position of the first quote after the first opener */
    AXLLM_L_COPY = 43,   /* 4 lanes: id digits + class of the token the copy head points at */
    AXLLM_L_DEEP = 47,   /* 4 lanes: deep fingerprint, rewritten by every layer >= 3 */
    AXLLM_L_TRESP = 51,  /* 3 lanes: found + position of the last </tool_response> */
    AXLLM_L_DS = 54,     /* 4 lanes: Qwen3-VL deepstack features of an image token (0 elsewhere) */
    AXLLM_LANES = 64     /* lanes 64.. carry the embedding's noise through */
};

#define AXLLM_MIN_HIDDEN 64
#define AXLLM_MIN_KV 48
#define AXLLM_CORE_LAYERS 3

/* The toy model's 32-bit integer hash (a bijective mixer; axllm_model.c). */
uint32_t axllm_mix32(uint32_t x);

/* The next token the toy model predicts from the last position's hidden
 * state (axllm_model.c); used by the post model. */
int axllm_next_token(const float *lanes, int special_base, int vocab_rows);

#endif /* NPU4J_AXCL_AXLLM_H */
