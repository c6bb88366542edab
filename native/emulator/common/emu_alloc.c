/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Counted allocation (emu_alloc.h). An emulator never calls malloc/free for
 * the blocks it owns: every one goes through these wrappers, which keep one
 * process-wide count of live blocks (per library: each emulator links its own
 * copy). The RKLLM emulator prints the count at rkllm_destroy, the RKNN one at
 * rknn_destroy, and both return it from their introspection helpers.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "emu_alloc.h"

/* One count per library that links this file. */
static atomic_long g_live_allocations;

void *emu_malloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);
    if (p != NULL) {
        atomic_fetch_add_explicit(&g_live_allocations, 1, memory_order_relaxed);
    }
    return p;
}

void *emu_calloc(size_t count, size_t size)
{
    void *p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
    if (p != NULL) {
        atomic_fetch_add_explicit(&g_live_allocations, 1, memory_order_relaxed);
    }
    return p;
}

void *emu_realloc(void *p, size_t n)
{
    if (p == NULL) {
        return emu_malloc(n);
    }
    /* A successful realloc moves one live block; the count is unchanged. */
    return realloc(p, n == 0 ? 1 : n);
}

void emu_free(void *p)
{
    if (p != NULL) {
        atomic_fetch_sub_explicit(&g_live_allocations, 1, memory_order_relaxed);
        free(p);
    }
}

char *emu_strndup(const char *s, size_t n)
{
    if (s == NULL) {
        return NULL;
    }
    char *d = emu_malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *emu_strdup(const char *s)
{
    return s == NULL ? NULL : emu_strndup(s, strlen(s));
}

long emu_live_allocations(void)
{
    return atomic_load_explicit(&g_live_allocations, memory_order_relaxed);
}
