/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * A C tokenizer for the emulated LLM packages' vocabulary, for the C tests
 * and the vendor-pattern driver (Java uses the package's tokenizer files):
 * added tokens matched literally, then an ASCII rendering of the Qwen2
 * pre-tokenizer regex (bytes >= 0x80 count as letters), then merge-list BPE.
 */
#include "axemu.h"
#include "axllm.h"
#include "npu4j_axcl_emulator.h"

#include <ctype.h>
#include <string.h>

static bool letter(unsigned char c) {
    return isalpha(c) || c >= 0x80;
}

static bool space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of the pre-token at s[0..n), n > 0. */
static int pretoken(const unsigned char *s, int n) {
    /* 's 't 're 've 'm 'll 'd */
    if (s[0] == '\'' && n >= 2) {
        static const char *const C[] = {"ll", "re", "ve", "s", "t", "m", "d"};
        for (int k = 0; k < 7; k++) {
            int l = (int)strlen(C[k]);
            if (n >= 1 + l && strncasecmp((const char *)s + 1, C[k], (size_t)l) == 0) {
                return 1 + l;
            }
        }
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    int i = 0;
    if (!letter(s[0]) && s[0] != '\r' && s[0] != '\n' && !isdigit(s[0]) && n > 1 && letter(s[1])) {
        i = 1;
    }
    if (letter(s[i])) {
        while (i < n && letter(s[i])) {
            i++;
        }
        return i;
    }
    /* \p{N} */
    if (isdigit(s[0])) {
        return 1;
    }
    /* " ?[^\s\p{L}\p{N}]+[\r\n]*" */
    i = s[0] == ' ' && n > 1 ? 1 : 0;
    if (i < n && !space(s[i]) && !letter(s[i]) && !isdigit(s[i])) {
        while (i < n && !space(s[i]) && !letter(s[i]) && !isdigit(s[i])) {
            i++;
        }
        while (i < n && (s[i] == '\r' || s[i] == '\n')) {
            i++;
        }
        return i;
    }
    /* \s*[\r\n]+ , \s+(?!\S) , \s+ */
    int run = 0;
    while (run < n && space(s[run])) {
        run++;
    }
    int last_nl = -1;
    for (int k = 0; k < run; k++) {
        if (s[k] == '\r' || s[k] == '\n') {
            last_nl = k;
        }
    }
    if (last_nl >= 0) {
        return last_nl + 1;
    }
    if (run < n && run > 1) {
        return run - 1; /* leave the last space to the word after it */
    }
    return run > 0 ? run : 1;
}

static bool special_at(const char *t) {
    for (int k = 0; k < AXLLM_NSPECIAL; k++) {
        if (strncmp(t, AXLLM_SPECIALS[k], strlen(AXLLM_SPECIALS[k])) == 0) {
            return true;
        }
    }
    return false;
}

static const struct { const char *name; int special_base; } BASES[] = {{"qwen3-0.6b", 151643}, {"tiny", 0}};

static int special_base_of(const char *profile) {
    for (size_t i = 0; i < sizeof BASES / sizeof BASES[0]; i++) {
        if (profile && strcmp(profile, BASES[i].name) == 0) {
            return BASES[i].special_base ? BASES[i].special_base : axllm_vocab()->n;
        }
    }
    return -1;
}

AX_EXPORT int npu4j_emu_axllm_encode(const char *profile, const char *text, int32_t *ids, int cap) {
    const struct axllm_vocab *v = axllm_vocab();
    int sb = special_base_of(profile);
    if (!v || sb < 0 || !text || (!ids && cap > 0)) {
        return -1;
    }
    const unsigned char *s = (const unsigned char *)text;
    int n = (int)strlen(text), out = 0;
    for (int i = 0; i < n;) {
        int sp = -1;
        for (int k = 0; k < AXLLM_NSPECIAL; k++) {
            size_t l = strlen(AXLLM_SPECIALS[k]);
            if (strncmp(text + i, AXLLM_SPECIALS[k], l) == 0) {
                sp = k;
                break;
            }
        }
        if (sp >= 0) {
            if (out < cap) {
                ids[out] = sb + sp;
            }
            out++;
            i += (int)strlen(AXLLM_SPECIALS[sp]);
            continue;
        }
        int end = i + 1; /* text up to the next added token */
        while (end < n && !special_at(text + end)) {
            end++;
        }
        while (i < end) {
            int l = pretoken(s + i, end - i);
            int piece[256];
            int m = axllm_bpe_merges(v, text + i, l > 256 ? 256 : l, piece, 256);
            if (m < 0) {
                return -1;
            }
            for (int k = 0; k < m; k++) {
                if (out < cap) {
                    ids[out] = piece[k];
                }
                out++;
            }
            i += l > 256 ? 256 : l;
        }
    }
    return out;
}

AX_EXPORT int npu4j_emu_axllm_decode(const char *profile, const int32_t *ids, int n, char *buf, int cap) {
    const struct axllm_vocab *v = axllm_vocab();
    int sb = special_base_of(profile);
    if (!v || sb < 0 || (!ids && n > 0) || !buf || cap <= 0) {
        return -1;
    }
    int out = 0;
    for (int i = 0; i < n; i++) {
        const char *s;
        int l;
        if (ids[i] >= sb && ids[i] < sb + AXLLM_NSPECIAL) {
            s = AXLLM_SPECIALS[ids[i] - sb];
            l = (int)strlen(s);
        } else if (ids[i] >= 0 && ids[i] < v->n) {
            s = v->str[ids[i]];
            l = v->len[ids[i]];
        } else {
            s = "\xEF\xBF\xBD"; /* U+FFFD for fillers and ids out of range */
            l = 3;
        }
        for (int k = 0; k < l; k++, out++) {
            if (out < cap - 1) {
                buf[out] = s[k];
            }
        }
    }
    buf[out < cap - 1 ? out : cap - 1] = '\0';
    return out;
}
