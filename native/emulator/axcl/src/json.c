/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * A small, strict JSON reader (RFC 8259) for the axclInit configuration file.
 * It builds a tree of ax_json nodes; objects keep their members in file order.
 * No extensions: comments, trailing commas and bare words are errors, which is
 * what "malformed JSON is an error" asks for. Nesting is limited to 64 levels.
 */
#include "axemu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

struct parser {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
};

/* Records the first error with its line and column. */
static void perr(struct parser *p, const char *msg) {
    if (p->failed) {
        return;
    }
    p->failed = true;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(p->err, p->errlen, "line %zu, column %zu: %s", line, col, msg);
}

static void skip_ws(struct parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p->pos++;
        } else {
            break;
        }
    }
}

static int peek(struct parser *p) {
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static bool literal(struct parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0) {
        p->pos += n;
        return true;
    }
    return false;
}

/* Growable byte buffer for decoded strings. */
struct sbuf {
    char *data;
    size_t len, cap;
};

static bool sbuf_put(struct sbuf *b, char c) {
    if (b->len + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *d = realloc(b->data, cap);
        if (!d) {
            return false;
        }
        b->data = d;
        b->cap = cap;
    }
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return true;
}

static bool put_utf8(struct sbuf *b, uint32_t cp) {
    if (cp < 0x80) {
        return sbuf_put(b, (char)cp);
    }
    if (cp < 0x800) {
        return sbuf_put(b, (char)(0xC0 | (cp >> 6))) && sbuf_put(b, (char)(0x80 | (cp & 0x3F)));
    }
    if (cp < 0x10000) {
        return sbuf_put(b, (char)(0xE0 | (cp >> 12))) && sbuf_put(b, (char)(0x80 | ((cp >> 6) & 0x3F))) &&
               sbuf_put(b, (char)(0x80 | (cp & 0x3F)));
    }
    return sbuf_put(b, (char)(0xF0 | (cp >> 18))) && sbuf_put(b, (char)(0x80 | ((cp >> 12) & 0x3F))) &&
           sbuf_put(b, (char)(0x80 | ((cp >> 6) & 0x3F))) && sbuf_put(b, (char)(0x80 | (cp & 0x3F)));
}

static int hex4(struct parser *p, uint32_t *out) {
    if (p->len - p->pos < 4) {
        return -1;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos + i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (uint32_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (uint32_t)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (uint32_t)(c - 'A' + 10);
        } else {
            return -1;
        }
    }
    p->pos += 4;
    *out = v;
    return 0;
}

/* Parses a string starting at the opening quote; returns a malloc'd copy. */
static char *parse_string(struct parser *p) {
    struct sbuf b = {0};
    p->pos++; /* opening quote */
    if (!sbuf_put(&b, '\0')) {
        perr(p, "out of memory");
        return NULL;
    }
    b.len = 0;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') {
            return b.data;
        }
        if (c < 0x20) {
            p->pos--;
            perr(p, "control character in string");
            free(b.data);
            return NULL;
        }
        if (c != '\\') {
            if (!sbuf_put(&b, (char)c)) {
                break;
            }
            continue;
        }
        if (p->pos >= p->len) {
            break;
        }
        char e = p->s[p->pos++];
        bool ok = true;
        switch (e) {
        case '"': ok = sbuf_put(&b, '"'); break;
        case '\\': ok = sbuf_put(&b, '\\'); break;
        case '/': ok = sbuf_put(&b, '/'); break;
        case 'b': ok = sbuf_put(&b, '\b'); break;
        case 'f': ok = sbuf_put(&b, '\f'); break;
        case 'n': ok = sbuf_put(&b, '\n'); break;
        case 'r': ok = sbuf_put(&b, '\r'); break;
        case 't': ok = sbuf_put(&b, '\t'); break;
        case 'u': {
            uint32_t cp;
            if (hex4(p, &cp) != 0) {
                perr(p, "bad \\u escape");
                free(b.data);
                return NULL;
            }
            if (cp >= 0xD800 && cp < 0xDC00) { /* high surrogate: a low one must follow */
                uint32_t lo;
                if (!literal(p, "\\u") || hex4(p, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    perr(p, "unpaired surrogate in \\u escape");
                    free(b.data);
                    return NULL;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                perr(p, "unpaired surrogate in \\u escape");
                free(b.data);
                return NULL;
            }
            ok = put_utf8(&b, cp);
            break;
        }
        default:
            p->pos--;
            perr(p, "unknown escape in string");
            free(b.data);
            return NULL;
        }
        if (!ok) {
            perr(p, "out of memory");
            free(b.data);
            return NULL;
        }
    }
    perr(p, "unterminated string");
    free(b.data);
    return NULL;
}

/* Checks the RFC 8259 number grammar, then converts with strtod. */
static bool parse_number(struct parser *p, double *out) {
    size_t start = p->pos;
    if (peek(p) == '-') {
        p->pos++;
    }
    if (peek(p) == '0') {
        p->pos++;
    } else if (peek(p) >= '1' && peek(p) <= '9') {
        while (peek(p) >= '0' && peek(p) <= '9') {
            p->pos++;
        }
    } else {
        perr(p, "bad number");
        return false;
    }
    if (peek(p) == '.') {
        p->pos++;
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            perr(p, "bad number: digit expected after '.'");
            return false;
        }
        while (peek(p) >= '0' && peek(p) <= '9') {
            p->pos++;
        }
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-') {
            p->pos++;
        }
        if (!(peek(p) >= '0' && peek(p) <= '9')) {
            perr(p, "bad number: digit expected in exponent");
            return false;
        }
        while (peek(p) >= '0' && peek(p) <= '9') {
            p->pos++;
        }
    }
    char tmp[64];
    size_t n = p->pos - start;
    if (n >= sizeof tmp) {
        perr(p, "number too long");
        return false;
    }
    memcpy(tmp, p->s + start, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return true;
}

static bool parse_value(struct parser *p, ax_json *v, int depth);

/* Appends an (uninitialised) slot to an array/object node. */
static ax_json *add_item(struct parser *p, ax_json *v, size_t *cap) {
    if (v->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        ax_json *items = realloc(v->items, ncap * sizeof *items);
        if (!items) {
            perr(p, "out of memory");
            return NULL;
        }
        v->items = items;
        if (v->type == AX_JSON_OBJECT) {
            char **keys = realloc(v->keys, ncap * sizeof *keys);
            if (!keys) {
                perr(p, "out of memory");
                return NULL;
            }
            v->keys = keys;
        }
        *cap = ncap;
    }
    ax_json *item = &v->items[v->count];
    memset(item, 0, sizeof *item);
    return item;
}

static bool parse_array(struct parser *p, ax_json *v, int depth) {
    size_t cap = 0;
    v->type = AX_JSON_ARRAY;
    p->pos++; /* [ */
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        ax_json *item = add_item(p, v, &cap);
        if (!item) {
            return false;
        }
        v->count++; /* counted before parsing so that ax_json_free sees partial children */
        if (!parse_value(p, item, depth + 1)) {
            return false;
        }
        skip_ws(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == ']') {
            p->pos++;
            return true;
        }
        perr(p, "',' or ']' expected");
        return false;
    }
}

static bool parse_object(struct parser *p, ax_json *v, int depth) {
    size_t cap = 0;
    v->type = AX_JSON_OBJECT;
    p->pos++; /* { */
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (peek(p) != '"') {
            perr(p, "member name (a string) expected");
            return false;
        }
        ax_json *item = add_item(p, v, &cap);
        if (!item) {
            return false;
        }
        v->keys[v->count] = NULL;
        v->count++;
        char *key = parse_string(p);
        if (!key) {
            return false;
        }
        v->keys[v->count - 1] = key;
        skip_ws(p);
        if (peek(p) != ':') {
            perr(p, "':' expected");
            return false;
        }
        p->pos++;
        if (!parse_value(p, item, depth + 1)) {
            return false;
        }
        skip_ws(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == '}') {
            p->pos++;
            return true;
        }
        perr(p, "',' or '}' expected");
        return false;
    }
}

static bool parse_value(struct parser *p, ax_json *v, int depth) {
    if (depth > JSON_MAX_DEPTH) {
        perr(p, "nested too deeply");
        return false;
    }
    skip_ws(p);
    int c = peek(p);
    switch (c) {
    case '{': return parse_object(p, v, depth);
    case '[': return parse_array(p, v, depth);
    case '"':
        v->type = AX_JSON_STRING;
        v->string = parse_string(p);
        return v->string != NULL;
    case 't':
    case 'f':
    case 'n':
        if (literal(p, "true")) {
            v->type = AX_JSON_BOOL;
            v->boolean = true;
            return true;
        }
        if (literal(p, "false")) {
            v->type = AX_JSON_BOOL;
            return true;
        }
        if (literal(p, "null")) {
            v->type = AX_JSON_NULL;
            return true;
        }
        perr(p, "unknown literal");
        return false;
    case -1: perr(p, "unexpected end of input"); return false;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            v->type = AX_JSON_NUMBER;
            return parse_number(p, &v->number);
        }
        perr(p, "value expected");
        return false;
    }
}

static void free_children(ax_json *v) {
    for (size_t i = 0; i < v->count; i++) {
        free_children(&v->items[i]);
        if (v->type == AX_JSON_OBJECT) {
            free(v->keys[i]);
        }
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

void ax_json_free(ax_json *v) {
    if (v) {
        free_children(v);
        free(v);
    }
}

int ax_json_parse(const char *text, size_t len, ax_json **out, char *err, size_t errlen) {
    struct parser p = {.s = text, .len = len, .err = err, .errlen = errlen};
    ax_json *root = calloc(1, sizeof *root);
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* A UTF-8 byte order mark is tolerated. */
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF) {
        p.pos = 3;
    }
    bool ok = parse_value(&p, root, 0);
    if (ok) {
        skip_ws(&p);
        if (p.pos != p.len) {
            perr(&p, "trailing characters after the JSON value");
            ok = false;
        }
    }
    if (!ok) {
        ax_json_free(root);
        return -1;
    }
    *out = root;
    return 0;
}

const ax_json *ax_json_get(const ax_json *obj, const char *key) {
    if (!obj || obj->type != AX_JSON_OBJECT) {
        return NULL;
    }
    for (size_t i = 0; i < obj->count; i++) {
        if (obj->keys[i] && strcmp(obj->keys[i], key) == 0) {
            return &obj->items[i];
        }
    }
    return NULL;
}
