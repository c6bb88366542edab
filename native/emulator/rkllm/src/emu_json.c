/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * A small recursive-descent JSON reader: enough to understand the function
 * tool declarations given to rkllm_set_function_tools and the tool results
 * sent back with role "tool". Strings are decoded (including \uXXXX and
 * surrogate pairs); numbers are kept as written.
 */
#include <stdio.h>
#include <string.h>

#include "emu_internal.h"

#define EJ_MAX_DEPTH 64

typedef struct {
    const char *p;
    const char *err;
} ej_reader;

static void skip_ws(ej_reader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r') {
        r->p++;
    }
}

static ej_value *new_value(ej_type t)
{
    ej_value *v = emu_calloc(1, sizeof *v);
    if (v != NULL) {
        v->type = t;
    }
    return v;
}

void ej_free(ej_value *v)
{
    if (v == NULL) {
        return;
    }
    for (size_t i = 0; i < v->count; i++) {
        ej_free(v->items[i]);
        if (v->keys != NULL) {
            emu_free(v->keys[i]);
        }
    }
    emu_free(v->items);
    emu_free(v->keys);
    emu_free(v->text);
    emu_free(v);
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= c - '0';
        } else if (c >= 'a' && c <= 'f') {
            v |= c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            v |= c - 'A' + 10;
        } else {
            return -1;
        }
    }
    return v;
}

static void put_utf8(emu_sb *sb, uint32_t cp)
{
    char b[4];
    int n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    emu_sb_append(sb, b, (size_t)n);
}

/* Reads a string literal; r->p is at the opening quote. */
static char *read_string(ej_reader *r)
{
    emu_sb sb = {0};
    r->p++;
    for (;;) {
        char c = *r->p;
        if (c == '\0') {
            r->err = "unterminated string";
            break;
        }
        if (c == '"') {
            r->p++;
            const char *s = emu_sb_cstr(&sb);
            if (s == NULL) {
                r->err = "out of memory";
                break;
            }
            return sb.buf; /* ownership moves to the caller */
        }
        if ((unsigned char)c < 0x20) {
            r->err = "control character in string";
            break;
        }
        if (c != '\\') {
            emu_sb_putc(&sb, c);
            r->p++;
            continue;
        }
        r->p++;
        char e = *r->p++;
        switch (e) {
        case '"': emu_sb_putc(&sb, '"'); break;
        case '\\': emu_sb_putc(&sb, '\\'); break;
        case '/': emu_sb_putc(&sb, '/'); break;
        case 'b': emu_sb_putc(&sb, '\b'); break;
        case 'f': emu_sb_putc(&sb, '\f'); break;
        case 'n': emu_sb_putc(&sb, '\n'); break;
        case 'r': emu_sb_putc(&sb, '\r'); break;
        case 't': emu_sb_putc(&sb, '\t'); break;
        case 'u': {
            int cp = hex4(r->p);
            if (cp < 0) {
                r->err = "bad \\u escape";
                goto fail;
            }
            r->p += 4;
            uint32_t code = (uint32_t)cp;
            if (code >= 0xd800 && code <= 0xdbff && r->p[0] == '\\' && r->p[1] == 'u') {
                int lo = hex4(r->p + 2);
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    code = 0x10000 + ((code - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
                    r->p += 6;
                }
            }
            if (code >= 0xd800 && code <= 0xdfff) {
                code = 0xfffd; /* lone surrogate */
            }
            put_utf8(&sb, code);
            break;
        }
        default:
            r->err = "bad escape in string";
            goto fail;
        }
    }
fail:
    emu_sb_free(&sb);
    return NULL;
}

static ej_value *read_value(ej_reader *r, int depth);

static bool push_item(ej_value *v, ej_value *item, char *key)
{
    ej_value **items = emu_realloc(v->items, sizeof *items * (v->count + 1));
    if (items == NULL) {
        return false;
    }
    v->items = items;
    if (v->type == EJ_OBJECT) {
        char **keys = emu_realloc(v->keys, sizeof *keys * (v->count + 1));
        if (keys == NULL) {
            return false;
        }
        v->keys = keys;
        v->keys[v->count] = key;
    }
    v->items[v->count++] = item;
    return true;
}

static ej_value *read_container(ej_reader *r, int depth, bool object)
{
    ej_value *v = new_value(object ? EJ_OBJECT : EJ_ARRAY);
    if (v == NULL) {
        r->err = "out of memory";
        return NULL;
    }
    char close = object ? '}' : ']';
    r->p++;
    skip_ws(r);
    if (*r->p == close) {
        r->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        if (object) {
            skip_ws(r);
            if (*r->p != '"') {
                r->err = "expected a member name";
                break;
            }
            key = read_string(r);
            if (key == NULL) {
                break;
            }
            skip_ws(r);
            if (*r->p != ':') {
                r->err = "expected ':'";
                emu_free(key);
                break;
            }
            r->p++;
        }
        ej_value *item = read_value(r, depth + 1);
        if (item == NULL) {
            emu_free(key);
            break;
        }
        if (!push_item(v, item, key)) {
            r->err = "out of memory";
            ej_free(item);
            emu_free(key);
            break;
        }
        skip_ws(r);
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p == close) {
            r->p++;
            return v;
        }
        r->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
        break;
    }
    ej_free(v);
    return NULL;
}

static ej_value *read_value(ej_reader *r, int depth)
{
    if (depth > EJ_MAX_DEPTH) {
        r->err = "nested too deeply";
        return NULL;
    }
    skip_ws(r);
    char c = *r->p;
    if (c == '{' || c == '[') {
        return read_container(r, depth, c == '{');
    }
    if (c == '"') {
        char *s = read_string(r);
        if (s == NULL) {
            return NULL;
        }
        ej_value *v = new_value(EJ_STRING);
        if (v == NULL) {
            emu_free(s);
            r->err = "out of memory";
            return NULL;
        }
        v->text = s;
        return v;
    }
    if (strncmp(r->p, "true", 4) == 0 || strncmp(r->p, "false", 5) == 0) {
        ej_value *v = new_value(EJ_BOOL);
        if (v == NULL) {
            r->err = "out of memory";
            return NULL;
        }
        v->boolean = c == 't';
        r->p += v->boolean ? 4 : 5;
        return v;
    }
    if (strncmp(r->p, "null", 4) == 0) {
        r->p += 4;
        ej_value *v = new_value(EJ_NULL);
        if (v == NULL) {
            r->err = "out of memory";
        }
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char *s = r->p;
        if (*r->p == '-') {
            r->p++;
        }
        bool digits = false;
        while ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e' ||
               *r->p == 'E' || *r->p == '+' || *r->p == '-') {
            digits = digits || (*r->p >= '0' && *r->p <= '9');
            r->p++;
        }
        if (!digits) {
            r->err = "bad number";
            return NULL;
        }
        ej_value *v = new_value(EJ_NUMBER);
        if (v == NULL || (v->text = emu_strndup(s, (size_t)(r->p - s))) == NULL) {
            emu_free(v);
            r->err = "out of memory";
            return NULL;
        }
        return v;
    }
    r->err = c == '\0' ? "unexpected end of text" : "unexpected character";
    return NULL;
}

ej_value *ej_parse(const char *text, char *err, size_t errlen)
{
    ej_reader r = {.p = text, .err = NULL};
    ej_value *v = read_value(&r, 0);
    if (v != NULL) {
        skip_ws(&r);
        if (*r.p != '\0') {
            r.err = "text after the JSON value";
            ej_free(v);
            v = NULL;
        }
    }
    if (v == NULL) {
        snprintf(err, errlen, "invalid JSON at offset %ld: %s", (long)(r.p - text),
                 r.err != NULL ? r.err : "error");
    }
    return v;
}

const ej_value *ej_member(const ej_value *obj, const char *key)
{
    if (obj == NULL || obj->type != EJ_OBJECT) {
        return NULL;
    }
    for (size_t i = 0; i < obj->count; i++) {
        if (strcmp(obj->keys[i], key) == 0) {
            return obj->items[i];
        }
    }
    return NULL;
}

void ej_write_string(emu_sb *sb, const char *s)
{
    emu_sb_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        switch (*p) {
        case '"': emu_sb_puts(sb, "\\\""); break;
        case '\\': emu_sb_puts(sb, "\\\\"); break;
        case '\n': emu_sb_puts(sb, "\\n"); break;
        case '\r': emu_sb_puts(sb, "\\r"); break;
        case '\t': emu_sb_puts(sb, "\\t"); break;
        default:
            if (*p < 0x20) {
                emu_sb_printf(sb, "\\u%04x", *p);
            } else {
                emu_sb_putc(sb, (char)*p);
            }
        }
    }
    emu_sb_putc(sb, '"');
}

void ej_write_value(emu_sb *sb, const ej_value *v)
{
    switch (v->type) {
    case EJ_NULL: emu_sb_puts(sb, "null"); break;
    case EJ_BOOL: emu_sb_puts(sb, v->boolean ? "true" : "false"); break;
    case EJ_NUMBER: emu_sb_puts(sb, v->text); break;
    case EJ_STRING: ej_write_string(sb, v->text); break;
    case EJ_ARRAY:
    case EJ_OBJECT:
        emu_sb_putc(sb, v->type == EJ_OBJECT ? '{' : '[');
        for (size_t i = 0; i < v->count; i++) {
            if (i > 0) {
                emu_sb_puts(sb, ", ");
            }
            if (v->type == EJ_OBJECT) {
                ej_write_string(sb, v->keys[i]);
                emu_sb_puts(sb, ": ");
            }
            ej_write_value(sb, v->items[i]);
        }
        emu_sb_putc(sb, v->type == EJ_OBJECT ? '}' : ']');
        break;
    }
}
