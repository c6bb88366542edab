/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Text for the RKLLM emulator:
 *
 *  - a rule-based tokenizer that counts prompt tokens roughly like a Qwen
 *    BPE tokenizer would (about four ASCII letters per token, one token per
 *    CJK character, special tokens such as <|im_start|> as one token each);
 *  - detection of the prompt's script (Latin, Cyrillic or CJK);
 *  - an answer generator that writes sentences from small built-in word lists
 *    in that script and cuts them into tokens. Now and then a token ends in
 *    the middle of a multi-byte character, so that clients meet split UTF-8
 *    sequences and the runtime's RKLLM_RUN_WAITING state exactly as with a
 *    real BPE vocabulary.
 *
 * Everything is deterministic: the same seed gives the same tokens.
 */
#include <string.h>

#include "emu_internal.h"

/* ------------------------------------------------------------- word lists */
/* Written for the emulator; the words only have to look like language.   */

static const char *const k_latin_words[] = {
    "the", "a", "of", "and", "to", "in", "is", "it", "that", "with", "for", "on", "we", "this",
    "can", "be", "more", "very", "answer", "board", "cache", "careful", "clear", "core", "data",
    "detail", "early", "engine", "example", "fast", "field", "garden", "gentle", "good",
    "green", "idea", "kernel", "layer", "light", "little", "memory", "model", "moment",
    "morning", "music", "number", "often", "open", "other", "paper", "pattern", "quiet",
    "reason", "river", "simple", "small", "stone", "story", "system", "table", "thread",
    "token", "travel", "value", "water", "window", "world", "because", "between", "during",
    "always", "maybe", "still", "together", "café", "naïve", "résumé", "über", "jalapeño",
    "fiancée", "coördinate",
};

static const char *const k_cyrillic_words[] = {
    "и", "в", "на", "с", "это", "мы", "как", "что", "для", "по", "не", "уже", "ещё", "будет",
    "можно", "нужно", "ответ", "модель", "память", "время", "число", "город", "вопрос",
    "работа", "система", "данные", "пример", "поток", "слово", "река", "окно", "утро", "ветер",
    "дорога", "книга", "песня", "простой", "быстрый", "тихий", "новый", "большой", "маленький",
    "важный", "ясный", "зелёный", "каждый", "всегда", "сегодня", "потом", "очень", "здесь",
    "вместе", "потому", "плата", "ядро", "токен", "слой", "идея", "история", "музыка",
    "камень", "сад", "объём", "счёт",
};

static const char *const k_cjk_words[] = {
    "的", "了", "是", "在", "和", "有", "也", "就", "都", "很", "我们", "模型", "回答", "问题",
    "计算", "内存", "时间", "数据", "系统", "速度", "今天", "学习", "因为", "所以", "可以",
    "需要", "这个", "一个", "非常", "简单", "重要", "方法", "结果", "开始", "继续", "已经",
    "还是", "世界", "城市", "河流", "窗户", "早上", "音乐", "故事", "道路", "朋友", "安静",
    "快速", "清楚", "然后", "处理器", "板子", "缓存", "线程", "芯片", "电脑", "程序", "答案",
    "山", "水", "风", "花", "雨", "月亮", "星星", "明天",
};

/* Three- and four-byte characters, so that longer sequences get split too. */
static const char *const k_emoji[] = {"🙂", "🚀", "✨", "📌", "🌿", "👍"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --------------------------------------------------------- special tokens */

typedef struct {
    const char *text;
    emu_special sp;
} special_entry;

static const special_entry k_specials[] = {
    {"<|endoftext|>", EMU_SP_ENDOFTEXT},
    {"<|im_start|>", EMU_SP_IM_START},
    {"<|im_end|>", EMU_SP_IM_END},
    {"<tool_call>", EMU_SP_TOOL_CALL},
    {"</tool_call>", EMU_SP_TOOL_CALL_END},
    {"<tool_response>", EMU_SP_TOOL_RESPONSE},
    {"</tool_response>", EMU_SP_TOOL_RESPONSE_END},
    {"<think>", EMU_SP_THINK},
    {"</think>", EMU_SP_THINK_END},
};

static int32_t special_base(const emu_model *m)
{
    int32_t base = m->eos_token_id - EMU_SP_IM_END;
    if (base < 1024 || base + EMU_SP_THINK_END >= m->vocab_size) {
        base = m->vocab_size - 32;
    }
    return base;
}

int32_t emu_special_id(const emu_model *m, emu_special sp)
{
    return special_base(m) + (int32_t)sp;
}

const char *emu_special_text(emu_special sp)
{
    for (size_t i = 0; i < COUNT(k_specials); i++) {
        if (k_specials[i].sp == sp) {
            return k_specials[i].text;
        }
    }
    return "";
}

int32_t emu_ordinary_id(const emu_model *m, uint64_t h)
{
    return (int32_t)(emu_mix64(h) % (uint64_t)special_base(m));
}

/* ----------------------------------------------------------------- scripts */

static bool is_cjk(uint32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30ff) ||  /* kana */
           (cp >= 0x3400 && cp <= 0x4dbf) ||  /* CJK extension A */
           (cp >= 0x4e00 && cp <= 0x9fff) ||  /* CJK unified */
           (cp >= 0xac00 && cp <= 0xd7af) ||  /* Hangul */
           (cp >= 0xf900 && cp <= 0xfaff) ||  /* compatibility ideographs */
           (cp >= 0x20000 && cp <= 0x2ffff);  /* supplementary ideographs */
}

static bool is_cjk_punct(uint32_t cp)
{
    return (cp >= 0x3000 && cp <= 0x303f) || (cp >= 0xff00 && cp <= 0xffef);
}

static bool is_cyrillic(uint32_t cp)
{
    return cp >= 0x0400 && cp <= 0x04ff;
}

static bool is_latin_letter(uint32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
           (cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7);
}

emu_script emu_detect_script(const char *text, size_t n)
{
    size_t latin = 0, cyrillic = 0, cjk = 0;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        i += (size_t)emu_utf8_decode(text + i, n - i, &cp);
        if (is_cjk(cp)) {
            /* One CJK character carries about as much as a short word. */
            cjk += 3;
        } else if (is_cyrillic(cp)) {
            cyrillic++;
        } else if (is_latin_letter(cp)) {
            latin++;
        }
    }
    if (cjk > latin && cjk >= cyrillic) {
        return EMU_SCRIPT_CJK;
    }
    if (cyrillic > latin) {
        return EMU_SCRIPT_CYRILLIC;
    }
    return EMU_SCRIPT_LATIN;
}

const char *emu_script_name(emu_script s)
{
    switch (s) {
    case EMU_SCRIPT_CYRILLIC: return "cyrillic";
    case EMU_SCRIPT_CJK: return "cjk";
    case EMU_SCRIPT_LATIN: return "latin";
    default: return "auto";
    }
}

/* --------------------------------------------------------------- tokenizer */

static bool push_id(int32_t **ids, int *len, int *cap, int32_t id)
{
    if (*len == *cap) {
        int ncap = *cap == 0 ? 64 : *cap * 2;
        int32_t *n = emu_realloc(*ids, sizeof(int32_t) * (size_t)ncap);
        if (n == NULL) {
            return false;
        }
        *ids = n;
        *cap = ncap;
    }
    (*ids)[(*len)++] = id;
    return true;
}

static bool is_ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Length of a known special token at s, 0 if none. */
static size_t match_special(const char *s, size_t n, emu_special *sp)
{
    for (size_t i = 0; i < COUNT(k_specials); i++) {
        size_t l = strlen(k_specials[i].text);
        if (l <= n && memcmp(s, k_specials[i].text, l) == 0) {
            *sp = k_specials[i].sp;
            return l;
        }
    }
    return 0;
}

/* Emits the pieces [s, e) as tokens of at most `per` characters each. */
static bool emit_pieces(const emu_model *m, const char *s, const char *e, int per,
                        int32_t **ids, int *len, int *cap)
{
    while (s < e) {
        const char *q = s;
        for (int k = 0; k < per && q < e; k++) {
            uint32_t cp;
            q += emu_utf8_decode(q, (size_t)(e - q), &cp);
        }
        if (!push_id(ids, len, cap, emu_ordinary_id(m, emu_fnv1a(EMU_FNV_OFFSET, s,
                                                                  (size_t)(q - s))))) {
            return false;
        }
        s = q;
    }
    return true;
}

int emu_tokenize(const emu_model *m, const char *text, size_t n, int32_t **ids, int *len,
                 int *cap)
{
    int start = *len;
    size_t i = 0;
    while (i < n) {
        const char *s = text + i;
        size_t rest = n - i;
        unsigned char c = (unsigned char)*s;
        emu_special sp;
        size_t sl = c == '<' ? match_special(s, rest, &sp) : 0;
        if (sl > 0) {
            if (!push_id(ids, len, cap, emu_special_id(m, sp))) {
                return -1;
            }
            i += sl;
            continue;
        }
        /* A word: an optional leading space plus a run of letters/digits of
         * one kind. ASCII words take ~4 characters per token, other
         * alphabets ~3, CJK one character per token. */
        size_t j = (c == ' ' && rest > 1) ? 1 : 0;
        uint32_t cp;
        int l = emu_utf8_decode(s + j, rest - j, &cp);
        if (cp < 0x80 && is_ascii_alnum((unsigned char)cp)) {
            size_t k = j;
            while (k < rest && is_ascii_alnum((unsigned char)s[k])) {
                k++;
            }
            if (!emit_pieces(m, s, s + k, 4 + (int)j, ids, len, cap)) {
                return -1;
            }
            i += k;
        } else if (is_cjk(cp) || is_cjk_punct(cp)) {
            if (!emit_pieces(m, s, s + j + (size_t)l, 1 + (int)j, ids, len, cap)) {
                return -1;
            }
            i += j + (size_t)l;
        } else if (cp >= 0x80 && (is_cyrillic(cp) || is_latin_letter(cp) ||
                                  (cp >= 0x370 && cp <= 0x3ff))) {
            size_t k = j;
            while (k < rest) {
                uint32_t c2;
                int l2 = emu_utf8_decode(s + k, rest - k, &c2);
                if (!(is_cyrillic(c2) || is_latin_letter(c2) || (c2 >= 0x370 && c2 <= 0x3ff))) {
                    break;
                }
                k += (size_t)l2;
            }
            if (!emit_pieces(m, s, s + k, 3 + (int)j, ids, len, cap)) {
                return -1;
            }
            i += k;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            /* A run of one kind of whitespace is one token. */
            size_t k = 1;
            while (k < rest && s[k] == s[0] && k < 16) {
                k++;
            }
            if (!emit_pieces(m, s, s + k, (int)k, ids, len, cap)) {
                return -1;
            }
            i += k;
        } else {
            /* Punctuation, symbols, emoji, invalid bytes: one each. */
            int l1 = emu_utf8_decode(s, rest, &cp);
            if (!emit_pieces(m, s, s + l1, 1, ids, len, cap)) {
                return -1;
            }
            i += (size_t)l1;
        }
    }
    return *len - start;
}

/* --------------------------------------------------------------- generator */

void emu_gen_init(emu_gen *g, const emu_model *m, uint64_t seed, emu_script script,
                  int split_percent, bool endless)
{
    memset(g, 0, sizeof *g);
    g->model = m;
    emu_rng_seed(&g->rng, seed);
    g->script = script == EMU_SCRIPT_AUTO ? EMU_SCRIPT_LATIN : script;
    g->split_percent = split_percent;
    g->emoji_percent = m->emoji_percent;
    g->endless = endless;
    g->prose_seg = -1;
    g->prose_budget = emu_rng_range(&g->rng, m->answer_min, m->answer_max);
    g->para_len = emu_rng_range(&g->rng, 3, 5);
}

void emu_gen_add(emu_gen *g, emu_seg_kind kind, emu_special sp, const char *text, int sentences)
{
    emu_seg *segs = emu_realloc(g->segs, sizeof *segs * (size_t)(g->n_segs + 1));
    if (segs == NULL) {
        return; /* the answer just gets shorter */
    }
    g->segs = segs;
    emu_seg *s = &segs[g->n_segs];
    s->kind = kind;
    s->special = sp;
    s->text = text != NULL ? emu_strdup(text) : NULL;
    s->sentences = sentences;
    if (kind == EMU_SEG_LITERAL && s->text == NULL) {
        return;
    }
    g->n_segs++;
}

void emu_gen_free(emu_gen *g)
{
    for (int i = 0; i < g->n_segs; i++) {
        emu_free(g->segs[i].text);
    }
    emu_free(g->segs);
    for (int i = 0; i < g->n_topic; i++) {
        emu_free(g->topic[i]);
    }
    emu_sb_free(&g->chunk);
    memset(g, 0, sizeof *g);
}

/* Lower-cases ASCII and Cyrillic capitals in place. */
static void to_lower(char *w)
{
    unsigned char *u = (unsigned char *)w;
    for (size_t i = 0; u[i] != '\0'; i++) {
        if (u[i] >= 'A' && u[i] <= 'Z') {
            u[i] = (unsigned char)(u[i] + 32);
        } else if (u[i] == 0xd0 && u[i + 1] >= 0x90 && u[i + 1] <= 0x9f) {
            u[i + 1] += 0x20;           /* А-П -> а-п */
            i++;
        } else if (u[i] == 0xd0 && u[i + 1] >= 0xa0 && u[i + 1] <= 0xaf) {
            u[i] = 0xd1;                /* Р-Я -> р-я */
            u[i + 1] -= 0x20;
            i++;
        }
    }
}

void emu_gen_topic_from(emu_gen *g, const char *prompt)
{
    if (prompt == NULL) {
        return;
    }
    size_t n = strlen(prompt);
    /* Pick the two longest words of the answer's script. */
    const char *best[2] = {NULL, NULL};
    size_t best_len[2] = {0, 0};
    size_t best_chars[2] = {0, 0};
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int l = emu_utf8_decode(prompt + i, n - i, &cp);
        bool in_script = g->script == EMU_SCRIPT_CJK        ? is_cjk(cp)
                         : g->script == EMU_SCRIPT_CYRILLIC ? is_cyrillic(cp)
                                                            : (cp < 0x80 && is_latin_letter(cp));
        if (!in_script) {
            i += (size_t)l;
            continue;
        }
        size_t s = i, chars = 0;
        while (i < n) {
            uint32_t c2;
            int l2 = emu_utf8_decode(prompt + i, n - i, &c2);
            bool same = g->script == EMU_SCRIPT_CJK        ? is_cjk(c2)
                        : g->script == EMU_SCRIPT_CYRILLIC ? is_cyrillic(c2)
                                                           : (c2 < 0x80 && is_latin_letter(c2));
            /* CJK has no spaces: take two characters as a "word". */
            if (!same || (g->script == EMU_SCRIPT_CJK && chars == 2)) {
                break;
            }
            i += (size_t)l2;
            chars++;
        }
        size_t min_chars = g->script == EMU_SCRIPT_CJK ? 2 : (g->script == EMU_SCRIPT_LATIN ? 5 : 4);
        if (chars < min_chars || chars > 24) {
            continue;
        }
        for (int k = 0; k < 2; k++) {
            if (chars > best_chars[k]) {
                if (k == 0) {
                    best[1] = best[0];
                    best_len[1] = best_len[0];
                    best_chars[1] = best_chars[0];
                }
                best[k] = prompt + s;
                best_len[k] = i - s;
                best_chars[k] = chars;
                break;
            }
        }
    }
    for (int k = 0; k < 2 && best[k] != NULL; k++) {
        char *w = emu_strndup(best[k], best_len[k]);
        if (w == NULL) {
            break;
        }
        to_lower(w);
        g->topic[g->n_topic++] = w;
    }
}

/* Appends word with its first letter upper-cased (ASCII and Cyrillic). */
static void put_capitalized(emu_sb *sb, const char *w)
{
    const unsigned char *u = (const unsigned char *)w;
    if (u[0] >= 'a' && u[0] <= 'z') {
        emu_sb_putc(sb, (char)(u[0] - 32));
        emu_sb_puts(sb, w + 1);
    } else if (u[0] == 0xd0 && u[1] >= 0xb0 && u[1] <= 0xbf) {
        char c[2] = {(char)0xd0, (char)(u[1] - 0x20)};      /* а-п -> А-П */
        emu_sb_append(sb, c, 2);
        emu_sb_puts(sb, w + 2);
    } else if (u[0] == 0xd1 && u[1] >= 0x80 && u[1] <= 0x8f) {
        char c[2] = {(char)0xd0, (char)(u[1] + 0x20)};      /* р-я -> Р-Я */
        emu_sb_append(sb, c, 2);
        emu_sb_puts(sb, w + 2);
    } else if (u[0] == 0xd1 && u[1] == 0x91) {
        char c[2] = {(char)0xd0, (char)0x81};               /* ё -> Ё */
        emu_sb_append(sb, c, 2);
        emu_sb_puts(sb, w + 2);
    } else {
        emu_sb_puts(sb, w);
    }
}

static const char *pick_word(emu_gen *g)
{
    switch (g->script) {
    case EMU_SCRIPT_CYRILLIC:
        return k_cyrillic_words[emu_rng_below(&g->rng, COUNT(k_cyrillic_words))];
    case EMU_SCRIPT_CJK:
        return k_cjk_words[emu_rng_below(&g->rng, COUNT(k_cjk_words))];
    default:
        return k_latin_words[emu_rng_below(&g->rng, COUNT(k_latin_words))];
    }
}

/* Puts the next piece of prose (a word, a sentence end, a paragraph break)
 * into the chunk. Returns false when the segment has no more prose. */
static bool prose_piece(emu_gen *g, int sentences, bool endless)
{
    bool cjk = g->script == EMU_SCRIPT_CJK;
    emu_sb *c = &g->chunk;
    if (!g->in_sentence) {
        if (sentences > 0 && g->sentences_done >= sentences) {
            return false;
        }
        if (sentences == 0 && !endless && g->prose_tokens >= g->prose_budget) {
            return false;
        }
        /* The sentence opens before a paragraph break, so that an answer
         * never ends on the break itself. */
        g->in_sentence = true;
        g->first_word = true;
        g->words_left = cjk ? emu_rng_range(&g->rng, 3, 8) : emu_rng_range(&g->rng, 4, 11);
        if (sentences == 0 && g->sentences_in_para >= g->para_len) {
            emu_sb_puts(c, "\n\n");
            g->sentences_in_para = 0;
            g->para_len = emu_rng_range(&g->rng, 3, 5);
            g->need_space = false;
            return true;
        }
    }
    if (g->words_left == 0) {
        uint32_t r = emu_rng_below(&g->rng, 12);
        if (cjk) {
            emu_sb_puts(c, r == 0 ? "！" : "。");
        } else {
            emu_sb_puts(c, r == 0 ? "!" : (r == 1 ? "?" : "."));
        }
        if (emu_rng_percent(&g->rng, g->emoji_percent)) {
            if (!cjk) {
                emu_sb_putc(c, ' ');
            }
            emu_sb_puts(c, k_emoji[emu_rng_below(&g->rng, COUNT(k_emoji))]);
        }
        g->in_sentence = false;
        g->sentences_done++;
        g->sentences_in_para++;
        g->need_space = true;
        return true;
    }
    const char *w;
    if (g->topic_used < g->n_topic && !g->first_word && emu_rng_below(&g->rng, 3) == 0) {
        w = g->topic[g->topic_used++];
    } else {
        w = pick_word(g);
    }
    if (!cjk && g->need_space) {
        emu_sb_putc(c, ' ');
    }
    if (!cjk && g->first_word) {
        put_capitalized(c, w);
    } else {
        emu_sb_puts(c, w);
    }
    if (g->words_left > 1 && emu_rng_below(&g->rng, cjk ? 6 : 9) == 0) {
        emu_sb_puts(c, cjk ? "，" : ",");
    }
    g->need_space = true;
    g->first_word = false;
    g->words_left--;
    return true;
}

static bool is_cont(unsigned char b)
{
    return (b & 0xc0) == 0x80;
}

/* Cuts the next token out of the current chunk. */
static void cut_token(emu_gen *g, emu_token *t)
{
    const char *c = g->chunk.buf;
    size_t n = g->chunk.len;
    size_t p = g->chunk_pos;
    int k;
    if (!g->chunk_is_prose) {
        k = emu_rng_range(&g->rng, 1, 4);
    } else if (g->script == EMU_SCRIPT_CJK) {
        k = emu_rng_range(&g->rng, 1, 2);
    } else if (g->script == EMU_SCRIPT_CYRILLIC) {
        k = emu_rng_range(&g->rng, 2, 4);
    } else {
        k = emu_rng_range(&g->rng, 2, 5);
    }
    size_t q = p;
    /* The rest of a character split by the previous token counts as one. */
    if (q < n && is_cont((unsigned char)c[q])) {
        while (q < n && is_cont((unsigned char)c[q])) {
            q++;
        }
        k--;
    }
    for (int i = 0; i < k && q < n; i++) {
        int l = emu_utf8_seq_len((unsigned char)c[q]);
        q += l == 0 ? 1 : (size_t)l;
        if (q > n) {
            q = n;
        }
    }
    /* Sometimes end the token inside the next character, as byte-level
     * BPE vocabularies do. */
    if (q < n) {
        int l = emu_utf8_seq_len((unsigned char)c[q]);
        if (l >= 2 && q + (size_t)l <= n && emu_rng_percent(&g->rng, g->split_percent)) {
            q += (size_t)emu_rng_range(&g->rng, 1, l - 1);
        }
    }
    size_t len = q - p;
    if (len >= sizeof t->text) {
        len = sizeof t->text - 1;
    }
    memcpy(t->text, c + p, len);
    t->text[len] = '\0';
    t->len = (int)len;
    t->id = emu_ordinary_id(g->model, emu_fnv1a(EMU_FNV_OFFSET, t->text, len));
    t->eos = false;
    g->chunk_pos = p + len;
    if (g->chunk_is_prose) {
        g->prose_tokens++;
    }
}

static void set_special(emu_gen *g, emu_token *t, emu_special sp)
{
    const char *s = emu_special_text(sp);
    size_t l = strlen(s);
    memcpy(t->text, s, l + 1);
    t->len = (int)l;
    t->id = emu_special_id(g->model, sp);
    t->eos = false;
}

bool emu_gen_next(emu_gen *g, emu_token *t)
{
    for (;;) {
        if (g->chunk_pos < g->chunk.len) {
            cut_token(g, t);
            return true;
        }
        emu_sb_clear(&g->chunk);
        g->chunk_pos = 0;
        if (g->seg >= g->n_segs) {
            return false;
        }
        emu_seg *s = &g->segs[g->seg];
        switch (s->kind) {
        case EMU_SEG_SPECIAL:
            set_special(g, t, s->special);
            g->seg++;
            return true;
        case EMU_SEG_LITERAL:
            emu_sb_puts(&g->chunk, s->text);
            g->chunk_is_prose = false;
            g->seg++;
            break;
        case EMU_SEG_PROSE:
        case EMU_SEG_EOS: {
            bool endless = s->kind == EMU_SEG_EOS;
            if (endless && !g->endless) {
                size_t l = strlen(g->model->eos_text);
                if (l >= sizeof t->text) {
                    l = sizeof t->text - 1;
                }
                memcpy(t->text, g->model->eos_text, l);
                t->text[l] = '\0';
                t->len = (int)l;
                t->id = g->model->eos_token_id;
                t->eos = true;
                g->seg++;
                return true;
            }
            if (g->prose_seg != g->seg) {
                /* A new stretch of prose; an endless one follows on from
                 * whatever came before it. */
                g->prose_seg = g->seg;
                g->in_sentence = false;
                g->sentences_done = 0;
                if (endless && g->answer_started) {
                    g->sentences_in_para = g->para_len; /* start a new paragraph */
                } else {
                    g->need_space = false;
                    g->sentences_in_para = 0;
                }
            }
            g->chunk_is_prose = true;
            g->answer_started = true;
            if (!prose_piece(g, endless ? 0 : s->sentences, endless || g->endless)) {
                g->seg++;
            }
            break;
        }
        }
        if (g->chunk.failed) {
            return false;
        }
    }
}

void emu_text_tool_result_intro(emu_sb *sb, emu_script script)
{
    switch (script) {
    case EMU_SCRIPT_CYRILLIC: emu_sb_puts(sb, "Инструмент вернул: "); break;
    case EMU_SCRIPT_CJK: emu_sb_puts(sb, "工具返回的结果："); break;
    default: emu_sb_puts(sb, "The tool returned: "); break;
    }
}
