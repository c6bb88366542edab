/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Introspection helpers exported by the npu4j RKNN emulator (librknnrt.so
 * built from native/emulator/rknn) in addition to the RKNN ABI. They do not
 * exist in the vendor library: look them up dynamically (dlsym, or
 * SymbolLookup.find in Java) and treat their absence as "not the emulator".
 * All of them are thread-safe.
 */
#ifndef NPU4J_RKNN_EMULATOR_H
#define NPU4J_RKNN_EMULATOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Number of live objects of one kind, -1 for an unknown kind. Kinds:
 * "allocations" (every heap block the emulator owns: contexts, descriptors,
 * tensor memories, output buffers of rknn_outputs_get), "contexts"
 * (rknn_init and rknn_dup_context minus rknn_destroy), "mems"
 * (rknn_create_mem* minus rknn_destroy_mem) and "outputs" (buffers handed
 * out by rknn_outputs_get and not yet released), "matmuls"
 * (rknn_matmul_create* minus rknn_matmul_destroy).
 */
int64_t npu4j_emulator_rknn_live(const char *kind);

/* rknn_run calls attempted in this process (the counter NPU4J_EMULATOR_RKNN_FAIL_RUN uses). */
uint64_t npu4j_emulator_rknn_run_count(void);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_RKNN_EMULATOR_H */
