/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the emulated runtimes: counted allocation. Every heap block an
 * emulator owns goes through these wrappers, which keep one process-wide count
 * of live blocks, so that tests can assert that nothing leaked.
 */
#ifndef NPU4J_EMU_ALLOC_H
#define NPU4J_EMU_ALLOC_H

#include <stddef.h>

void *emu_malloc(size_t n);
void *emu_calloc(size_t count, size_t size);
/* Like realloc; a NULL p counts as a new allocation, n == 0 is not allowed. */
void *emu_realloc(void *p, size_t n);
void emu_free(void *p);
char *emu_strdup(const char *s); /* NULL in, NULL out */
char *emu_strndup(const char *s, size_t n);
long emu_live_allocations(void);

#endif /* NPU4J_EMU_ALLOC_H */
