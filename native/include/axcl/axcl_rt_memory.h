/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: device and host memory,
 * copies between them, cache maintenance.
 */
#ifndef NPU4J_AXCL_RT_MEMORY_H
#define NPU4J_AXCL_RT_MEMORY_H

#include "axcl_rt_type.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AXCL_DEF_MEMORY_ERR(e) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_MEMORY, (e))

#define AXCL_ERR_MEMORY_NULL_POINTER (-2144336638)      /* 0x80300502 */
#define AXCL_ERR_MEMORY_ENCODE (-2144336632)            /* 0x80300508 */
#define AXCL_ERR_MEMORY_DECODE (-2144336631)            /* 0x80300509 */
#define AXCL_ERR_MEMORY_UNEXPECT_RESPONSE (-2144336630) /* 0x8030050A */
#define AXCL_ERR_MEMORY_EXECUTE_FAIL (-2144336628)      /* 0x8030050C */
#define AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY (-2144336511) /* 0x80300581 */

/* Device memory (addresses are device physical; not dereferenceable on the host). */
axclError axclrtMalloc(void **devPtr, size_t size, axclrtMemMallocPolicy policy);
axclError axclrtMallocCached(void **devPtr, size_t size, axclrtMemMallocPolicy policy);
axclError axclrtFree(void *devPtr);
axclError axclrtMemFlush(void *devPtr, size_t size);
axclError axclrtMemInvalidate(void *devPtr, size_t size);

/* Host memory suited to transfers. */
axclError axclrtMallocHost(void **hostPtr, size_t size);
axclError axclrtFreeHost(void *hostPtr);

axclError axclrtMemset(void *devPtr, uint8_t value, size_t count);
axclError axclrtMemcpy(void *dstPtr, const void *srcPtr, size_t count, axclrtMemcpyKind kind);
axclError axclrtMemcmp(const void *devPtr1, const void *devPtr2, size_t count);

axclError axclrtMemsetAsync(void *devPtr, uint8_t value, size_t count, axclrtStream stream);
axclError axclrtMemcpyAsync(void *dstPtr, const void *srcPtr, size_t count, axclrtMemcpyKind kind,
                            axclrtStream stream);
axclError axclrtMemcmpAsync(const void *devPtr1, const void *devPtr2, size_t count,
                            axclrtStream stream);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_MEMORY_H */
