/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: contexts (one is bound
 * to the calling thread).
 */
#ifndef NPU4J_AXCL_RT_CONTEXT_H
#define NPU4J_AXCL_RT_CONTEXT_H

#include "axcl_rt_type.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AXCL_DEF_CONTEXT_ERR(e) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_CONTEXT, (e))

#define AXCL_ERR_CONTEXT_NULL_POINTER (-2144337406)    /* 0x80300202 */
#define AXCL_ERR_CONTEXT_CREATE (-2144337279)          /* 0x80300281 */
#define AXCL_ERR_CONTEXT_DESTROY (-2144337278)         /* 0x80300282 */
#define AXCL_ERR_CONTEXT_BIND_THREAD (-2144337277)     /* 0x80300283 */
#define AXCL_ERR_CONTEXT_NO_BIND_CONTEXT (-2144337276) /* 0x80300284 */

axclError axclrtCreateContext(axclrtContext *context, int32_t deviceId);
axclError axclrtDestroyContext(axclrtContext context);
axclError axclrtSetCurrentContext(axclrtContext context);
axclError axclrtGetCurrentContext(axclrtContext *context);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_CONTEXT_H */
