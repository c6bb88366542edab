/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the emulated runtimes: the splitmix64 finaliser, a bijective
 * 64-bit bit mixer behind their deterministic synthetic outputs (the same
 * input always gives the same output, on every machine).
 */
#ifndef NPU4J_EMU_HASH_H
#define NPU4J_EMU_HASH_H

#include <stdint.h>

static inline uint64_t emu_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

#endif /* NPU4J_EMU_HASH_H */
