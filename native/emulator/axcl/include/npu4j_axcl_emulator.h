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

/*
 * AXCL calls of this process by kind (never reset; take differences around
 * the code measured), -1 for an unknown kind. Kinds: "execute"
 * (axclrtEngineExecute/ExecuteAsync that ran), "h2d", "d2h", "d2d"
 * (axclrtMemcpy/MemcpyAsync by kind, 0-byte copies not counted),
 * "device_other" (memset, memcmp), "pcie" (the sum of those five: the calls
 * that cross the PCIe link) and "bind" (axclrtEngineSet{Input,Output}Buffer*,
 * which stay on the host as in the real 3.10 runtime). Also printed in the
 * axclFinalize line (calls_execute=... calls_bind=...).
 */
int64_t npu4j_emulator_axcl_call_count(const char *kind);

/*
 * Writes a complete emulated ax-llm model package (G3 layout: config.json,
 * per-layer .axmodel descriptors, post model, bf16 embedding table,
 * post_config.json, <arch>_tokenizer.txt, tokenizer.json,
 * tokenizer_config.json, README.txt) into dir (created with its parents if missing; existing
 * files are overwritten). Profiles: "qwen3-0.6b" (Qwen3-0.6B shapes: 28
 * layers, H 1024, kv 1024, C 2559, P 128, vocab 151936; ~311 MB of
 * embedding) and "tiny" (4 layers, H 128, kv 64, C 255, P 16, prefill names
 * spelled NAME_<group>). Returns 0, or -1 with a message in
 * npu4j_emu_axllm_error(). Needs no axclInit; thread-safe for distinct dirs.
 */
int npu4j_emu_axllm_write_package(const char *dir, const char *profile);

/*
 * Token ids of text in the vocabulary of an emulated package profile (added
 * tokens literally, then an ASCII rendering of the Qwen2 pre-tokenizer and
 * the BPE merges; for C tests and drivers, Java reads the package's
 * tokenizer files). Writes at most cap ids, returns how many the text has
 * (possibly > cap), -1 for an unknown profile.
 */
int npu4j_emu_axllm_encode(const char *profile, const char *text, int32_t *ids, int cap);

/* Text of ids (NUL-terminated, truncated to cap - 1 bytes); returns the full length, -1 on bad arguments. */
int npu4j_emu_axllm_decode(const char *profile, const int32_t *ids, int n, char *buf, int cap);

/* Why the calling thread's last npu4j_emu_axllm_write_package failed ("" if it did not). */
const char *npu4j_emu_axllm_error(void);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_EMULATOR_H */
