/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Introspection helpers exported by the npu4j AXCL emulator (libaxcl_rt.so
 * built from native/emulator/axcl) in addition to the AXCL ABI. They do not
 * exist in the vendor library: look them up dynamically (dlsym, or
 * SymbolLookup.find in Java) and treat their absence as "not the emulator".
 * All of them are thread-safe and may be called before axclInit and after
 * axclFinalize.
 */
#ifndef NPU4J_AXCL_EMULATOR_H
#define NPU4J_AXCL_EMULATOR_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Number of live objects of one kind, -1 for an unknown kind. Kinds:
 * "device_allocations" (axclrtMalloc/MallocCached), "host_allocations"
 * (axclrtMallocHost), "contexts" (axclrtCreateContext; implicit contexts of
 * axclrtSetDevice are not counted), "streams" (axclrtCreateStream), "models",
 * "engine_contexts", "io_infos", "ios", "active_devices" (devices whose
 * axclrtSetDevice count is above zero) and "engine_inits" (axclrtEngineInit
 * calls not yet matched by axclrtEngineFinalize). All are 0 when the runtime
 * is not initialised.
 */
int64_t npu4j_emulator_axcl_live(const char *kind);

/* Live device plus host allocations. */
int64_t npu4j_emulator_axcl_live_allocations(void);

/* Executes attempted in this process (survives axclFinalize); the counter the
 * NPU4J_EMULATOR_AXCL_FAIL_EXECUTE / _DEVICE_LOST fault injection uses. */
uint64_t npu4j_emulator_axcl_execute_count(void);

/* The line the last axclFinalize printed (without the "npu4j-emulator axcl: "
 * prefix), "" before the first finalize. Valid until the next axclFinalize. */
const char *npu4j_emulator_axcl_finalize_report(void);

/* 1 when p points into a live device allocation, else 0. */
int npu4j_emulator_axcl_is_device_pointer(const void *p);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_EMULATOR_H */
