/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI (libaxcl_rt.so, AXCL 3.x,
 * pinned to 3.10.x): the top-level header, process init/finalize and logging.
 * Same file names as the vendor's, so that `#include "axcl.h"` works.
 * Not declared: the variadic application logger and the native (non-rt) APIs.
 */
#ifndef NPU4J_AXCL_H
#define NPU4J_AXCL_H

#include "axcl_base.h"
#include "axcl_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* config: path of a JSON configuration file, or NULL for the defaults. */
axclError axclInit(const char *config);
axclError axclFinalize(void);

/* 0 trace, 1 debug, 2 info, 3 warning, 4 error, 5 critical, 6 off. */
axclError axclSetLogLevel(int32_t lv);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_H */
