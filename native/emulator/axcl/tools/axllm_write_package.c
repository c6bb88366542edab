/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Writes an emulated ax-llm model package (npu4j_emu_axllm_write_package):
 *
 *     axllm_write_package DIR [PROFILE]      PROFILE: tiny (default), tiny-vl, tiny-qwen3-vl or qwen3-0.6b
 *
 * The build runs it once to put the tiny package into the native outputs
 * (emulator/axcl/packages/tiny); the Qwen3-shaped one (311 MB) is written on
 * demand only.
 */
#include <stdio.h>

#include "npu4j_axcl_emulator.h"

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: axllm_write_package DIR [tiny|tiny-vl|tiny-qwen3-vl|qwen3-0.6b]\n");
        return 2;
    }
    const char *profile = argc == 3 ? argv[2] : "tiny";
    if (npu4j_emu_axllm_write_package(argv[1], profile) != 0) {
        fprintf(stderr, "axllm_write_package: %s\n", npu4j_emu_axllm_error());
        return 1;
    }
    printf("axllm_write_package: wrote the emulated %s package (npu4j AXCL emulator) into %s\n", profile, argv[1]);
    return 0;
}
