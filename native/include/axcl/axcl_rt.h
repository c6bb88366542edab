/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: the runtime part
 * (contexts, devices, engine, memory, streams) and its version queries.
 * Events, user work, P2P and PCIe control are not declared.
 */
#ifndef NPU4J_AXCL_RT_H
#define NPU4J_AXCL_RT_H

#include "axcl_base.h"
#include "axcl_rt_context.h"
#include "axcl_rt_device.h"
#include "axcl_rt_engine.h"
#include "axcl_rt_memory.h"
#include "axcl_rt_stream.h"

#ifdef __cplusplus
extern "C" {
#endif

axclError axclrtGetVersion(int32_t *major, int32_t *minor, int32_t *patch);
const char *axclrtGetFullVersion(void);
const char *axclrtGetSocName(void);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_H */
