/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: streams.
 */
#ifndef NPU4J_AXCL_RT_STREAM_H
#define NPU4J_AXCL_RT_STREAM_H

#include "axcl_rt_type.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AXCL_DEF_STREAM_ERR(e) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_STREAM, (e))

#define AXCL_ERR_STREAM_NULL_POINTER (-2144337150) /* 0x80300302 */
#define AXCL_ERR_STREAM_TIMEOUT (-2144337147)      /* 0x80300305 */
#define AXCL_ERR_STREAM_CREATE (-2144337023)       /* 0x80300381 */
#define AXCL_ERR_STREAM_DESTROY (-2144337022)      /* 0x80300382 */
#define AXCL_ERR_STREAM_SYNC_TIMEOUT (-2144337021) /* 0x80300383 */

axclError axclrtCreateStream(axclrtStream *stream);
axclError axclrtDestroyStream(axclrtStream stream);
axclError axclrtDestroyStreamForce(axclrtStream stream);
axclError axclrtSynchronizeStream(axclrtStream stream);
/* timeout in ms; NO_TIMEOUT waits forever */
axclError axclrtSynchronizeStreamWithTimeout(axclrtStream stream, int32_t timeout);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_STREAM_H */
