/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the emulated runtimes: half and bfloat16 conversions.
 */
#ifndef NPU4J_EMU_FLOAT_H
#define NPU4J_EMU_FLOAT_H

#include <stdint.h>

float emu_half_to_float(uint16_t h);
uint16_t emu_float_to_half(float f);
float emu_bf16_to_float(uint16_t b);
uint16_t emu_float_to_bf16(float f);

#endif /* NPU4J_EMU_FLOAT_H */
