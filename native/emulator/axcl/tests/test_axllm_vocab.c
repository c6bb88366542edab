/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated LLM packages' vocabulary: merge-list BPE (what tokenizer.json's
 * merges give) and rank BPE (what the MNN tokenizer.txt's ranks give) agree on
 * every token and on seeded random concatenations of tokens; the tokenizer
 * files have the documented shape. Compiled with src/axllm_vocab.c itself
 * (its functions are internal to the library).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axllm.h"

#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static void same(const struct axllm_vocab *v, const char *s, int len) {
    int a[256], b[256];
    int na = axllm_bpe_ranks(v, s, len, a, 256), nb = axllm_bpe_merges(v, s, len, b, 256);
    if (na != nb || memcmp(a, b, sizeof(int) * (size_t)(na > 0 ? na : 0)) != 0) {
        fprintf(stderr, "rank and merge BPE differ on \"%.*s\" (%d vs %d pieces)\n", len, s, na, nb);
        exit(1);
    }
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f);
    int n = 0, c;
    while ((c = fgetc(f)) != EOF) {
        n += c == '\n';
    }
    fclose(f);
    return n;
}

int main(void) {
    const struct axllm_vocab *v = axllm_vocab();
    CHECK(v && v->n > 256);
    /* every token is its own single piece under both algorithms */
    for (int id = 0; id < v->n; id++) {
        int a[256];
        CHECK(axllm_bpe_ranks(v, v->str[id], v->len[id], a, 256) == 1 && a[0] == id);
        CHECK(axllm_bpe_merges(v, v->str[id], v->len[id], a, 256) == 1 && a[0] == id);
        if (id >= 256) {
            CHECK(v->merge_l[id] < id && v->merge_r[id] < id);
        }
    }
    /* random concatenations of 2..6 tokens, and every pair of tokens */
    unsigned seed = 12345;
    char buf[256];
    for (int k = 0; k < 200000; k++) {
        int len = 0, parts = 2 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 5;
        for (int p = 0; p < parts; p++) {
            int id = (int)((seed = seed * 1103515245u + 12345u) >> 8) % v->n;
            if (len + v->len[id] > (int)sizeof buf) {
                break;
            }
            memcpy(buf + len, v->str[id], (size_t)v->len[id]);
            len += v->len[id];
        }
        same(v, buf, len);
    }
    for (int a = 256; a < v->n; a++) {
        for (int b = 0; b < v->n; b += 7) {
            memcpy(buf, v->str[a], (size_t)v->len[a]);
            memcpy(buf + v->len[a], v->str[b], (size_t)v->len[b]);
            same(v, buf, v->len[a] + v->len[b]);
        }
    }
    /* classes the toy model keys on */
    CHECK(axllm_token_class(v, axllm_tok("name"), v->n) == AXLLM_C_NAME_KEY);
    CHECK(axllm_token_class(v, axllm_tok(" \""), v->n) == AXLLM_C_SPACE_Q);
    CHECK(axllm_token_class(v, axllm_tok("\","), v->n) == AXLLM_C_QUOTE);
    CHECK(axllm_token_class(v, v->n + AXLLM_SP_IM_START, v->n) == AXLLM_C_IM_START);

    /* files: MNN = 4 header lines + one line per id; HF merges = one per merged token */
    char path[] = AXCL_TEST_TMPDIR "/vocab-tokenizer.txt";
    CHECK(axllm_write_tokenizer_txt(path, 151643) == 0);
    CHECK(count_lines(path) == 4 + 151643 + AXLLM_NSPECIAL);
    FILE *f = fopen(path, "r");
    char line[4096];
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "430 1\n") == 0);
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "26 1 0\n") == 0);
    CHECK(fgets(line, sizeof line, f) && strncmp(line, "151643 151644 151645 ", 21) == 0 &&
          strstr(line, "151668 151645 \n"));
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "151669\n") == 0);
    CHECK(fgets(line, sizeof line, f) && strcmp(line, "AA==\n") == 0); /* id 0 = byte 0 */
    fclose(f);
    char json[] = AXCL_TEST_TMPDIR "/vocab-tokenizer.json";
    CHECK(axllm_write_tokenizer_json(json, v->n) == 0);
    CHECK(axllm_write_tokenizer_txt(path, v->n - 1) == -1); /* added tokens may not overlap the vocabulary */
    remove(path);
    remove(json);
    printf("axllm vocabulary: %d regular tokens, rank and merge BPE agree\n", v->n);
    return 0;
}
