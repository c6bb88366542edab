/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Hashing, a small PRNG, a string builder, UTF-8 helpers, the clock,
 * environment readers and logging for the RKLLM emulator.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu_internal.h"

/* ---------------------------------------------------------------- hashing */

uint64_t emu_fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t emu_hash_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    return emu_fnv1a(h, b, sizeof b);
}

uint64_t emu_hash_str(uint64_t h, const char *s)
{
    if (s == NULL) {
        return emu_hash_u64(h, 0x6e756c6cULL); /* distinct from "" */
    }
    h = emu_fnv1a(h, s, strlen(s));
    return emu_hash_u64(h, 0xffULL); /* terminator, so "ab"+"c" != "a"+"bc" */
}

void emu_rng_seed(emu_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t emu_rng_next(emu_rng *r)
{
    r->state += 0x9e3779b97f4a7c15ULL;
    return emu_mix64(r->state);
}

uint32_t emu_rng_below(emu_rng *r, uint32_t n)
{
    /* Modulo bias is irrelevant at these sizes. */
    return (uint32_t)(emu_rng_next(r) % n);
}

int emu_rng_range(emu_rng *r, int lo, int hi)
{
    if (hi <= lo) {
        return lo;
    }
    return lo + (int)emu_rng_below(r, (uint32_t)(hi - lo + 1));
}

bool emu_rng_percent(emu_rng *r, int percent)
{
    return percent > 0 && (int)emu_rng_below(r, 100) < percent;
}

float emu_unit_float(uint64_t h)
{
    /* 24 random bits mapped to [-1, 1). */
    uint32_t bits = (uint32_t)(emu_mix64(h) >> 40);
    return (float)bits / (float)(1u << 23) - 1.0f;
}

/* --------------------------------------------------------- string builder */

static bool sb_reserve(emu_sb *sb, size_t extra)
{
    if (sb->failed) {
        return false;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) {
        return true;
    }
    size_t cap = sb->cap == 0 ? 64 : sb->cap;
    while (cap < need) {
        cap *= 2;
    }
    char *nb = emu_realloc(sb->buf, cap);
    if (nb == NULL) {
        sb->failed = true;
        return false;
    }
    sb->buf = nb;
    sb->cap = cap;
    return true;
}

void emu_sb_append(emu_sb *sb, const char *s, size_t n)
{
    if (!sb_reserve(sb, n)) {
        return;
    }
    if (n > 0) {
        memcpy(sb->buf + sb->len, s, n);
    }
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void emu_sb_puts(emu_sb *sb, const char *s)
{
    if (s != NULL) {
        emu_sb_append(sb, s, strlen(s));
    }
}

void emu_sb_putc(emu_sb *sb, char c)
{
    emu_sb_append(sb, &c, 1);
}

void emu_sb_printf(emu_sb *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        sb->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        emu_sb_append(sb, small, (size_t)n);
    } else if (sb_reserve(sb, (size_t)n)) {
        vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap2);
        sb->len += (size_t)n;
    }
    va_end(ap2);
}

void emu_sb_clear(emu_sb *sb)
{
    sb->len = 0;
    if (sb->buf != NULL) {
        sb->buf[0] = '\0';
    }
}

void emu_sb_free(emu_sb *sb)
{
    emu_free(sb->buf);
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
}

const char *emu_sb_cstr(emu_sb *sb)
{
    if (sb->buf == NULL && !sb_reserve(sb, 0)) {
        return NULL;
    }
    if (sb->buf != NULL) {
        sb->buf[sb->len] = '\0';
    }
    return sb->buf;
}

/* ------------------------------------------------------------------ UTF-8 */

int emu_utf8_seq_len(unsigned char lead)
{
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        return 2;
    }
    if (lead >= 0xe0 && lead <= 0xef) {
        return 3;
    }
    if (lead >= 0xf0 && lead <= 0xf4) {
        return 4;
    }
    return 0;
}

int emu_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    int len = n > 0 ? emu_utf8_seq_len(u[0]) : 0;
    if (len == 0 || (size_t)len > n) {
        *cp = 0xfffd;
        return 1;
    }
    if (len == 1) {
        *cp = u[0];
        return 1;
    }
    uint32_t c = u[0] & (0x7f >> len);
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        c = (c << 6) | (u[i] & 0x3f);
    }
    /* Reject overlong forms, surrogates and values past U+10FFFF. */
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff)) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = c;
    return len;
}

size_t emu_utf8_incomplete_tail(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Walk back over at most three continuation bytes to the lead byte. */
    size_t back = 0;
    while (back < n && back < 4) {
        unsigned char c = u[n - 1 - back];
        if ((c & 0xc0) != 0x80) {
            int want = emu_utf8_seq_len(c);
            size_t have = back + 1;
            if (want > 1 && have < (size_t)want) {
                return have;
            }
            return 0;
        }
        back++;
    }
    return 0;
}

bool emu_utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int len = emu_utf8_decode(s + i, n - i, &cp);
        if (cp == 0xfffd && len == 1) { /* a real U+FFFD is 3 bytes long */
            return false;
        }
        i += (size_t)len;
    }
    return true;
}

/* ------------------------------------------------------------------ clock */

uint64_t emu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ environment */

double emu_env_speed(void)
{
    const char *v = getenv("NPU4J_EMULATOR_SPEED");
    if (v == NULL || *v == '\0') {
        return 1.0;
    }
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    while (end != NULL && (*end == ' ' || *end == '\t')) {
        end++;
    }
    if (errno != 0 || end == v || *end != '\0' || !isfinite(d) || d < 0.0) {
        emu_log('W', "NPU4J_EMULATOR_SPEED='%s' is not a number >= 0 (1 = board timing, "
                     "0 = no delays, 0.5 = half the delays); using 1",
                v);
        return 1.0;
    }
    return d;
}

long emu_env_long(const char *name, long dflt, long min_value)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        return dflt;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (end != NULL && (*end == ' ' || *end == '\t')) {
        end++;
    }
    if (errno != 0 || end == v || *end != '\0' || n < min_value) {
        emu_log('W', "%s='%s' is not an integer >= %ld; ignored", name, v, min_value);
        return dflt;
    }
    return n;
}

int emu_log_level(void)
{
    const char *v = getenv("RKLLM_LOG_LEVEL");
    if (v == NULL || *v == '\0') {
        return 0;
    }
    return atoi(v);
}

/* ---------------------------------------------------------------- logging */

void emu_log(char level, const char *fmt, ...)
{
    /* Build the whole line first so that concurrent handles do not
     * interleave their output within a line. */
    char line[1024];
    int off = snprintf(line, sizeof line, "%c rkllm: ", level);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}
