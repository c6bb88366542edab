/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: devices.
 */
#ifndef NPU4J_AXCL_RT_DEVICE_H
#define NPU4J_AXCL_RT_DEVICE_H

#include "axcl_rt_type.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AXCL_DEF_DEVICE_ERR(e) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_DEVICE, (e))

#define AXCL_ERR_DEVICE_NULL_POINTER (-2144337662)     /* 0x80300102 */
#define AXCL_ERR_DEVICE_OPEN (-2144337653)             /* 0x8030010B */
#define AXCL_ERR_DEVICE_UNSUPPORT (-2144337660)        /* 0x80300104 */
#define AXCL_ERR_DEVICE_QUERY_DEVICE (-2144337536)     /* 0x80300180 */
#define AXCL_ERR_DEVICE_NO_CONNECT (-2144337535)       /* 0x80300181 */
#define AXCL_ERR_DEVICE_PROBE (-2144337534)            /* 0x80300182 */
#define AXCL_ERR_DEVICE_NOT_ACTIVE (-2144337533)       /* 0x80300183 */
#define AXCL_ERR_DEVICE_INVALID_ID (-2144337532)       /* 0x80300184 */
#define AXCL_ERR_DEVICE_NO_ACTIVE_DEVICE (-2144337531) /* 0x80300185 */
#define AXCL_ERR_DEVICE_PORT_ALLOCATE (-2144337530)    /* 0x80300186 */
#define AXCL_ERR_DEVICE_REBOOT (-2144337529)           /* 0x80300187 */
#define AXCL_ERR_DEVICE_PORT_DESTROY (-2144337528)     /* 0x80300188 */

axclError axclrtSetDevice(int32_t deviceId);
axclError axclrtResetDevice(int32_t deviceId);
axclError axclrtGetDevice(int32_t *deviceId);
axclError axclrtGetDeviceCount(uint32_t *count);
axclError axclrtGetDeviceList(axclrtDeviceList *deviceList);
axclError axclrtSynchronizeDevice(void);
axclError axclrtGetDeviceProperties(int32_t deviceId, axclrtDeviceProperties *properties);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_DEVICE_H */
