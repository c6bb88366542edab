/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: shared runtime types
 * (device properties and list, memory allocation policy, copy direction).
 */
#ifndef NPU4J_AXCL_RT_TYPE_H
#define NPU4J_AXCL_RT_TYPE_H

#include "axcl_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct axclrtDeviceProperties {
    char swVersion[64];
    uint64_t uid;
    uint32_t pciDomain;
    uint32_t pciBusID;
    uint32_t pciDeviceID;
    int32_t temperature;   /* junction temperature */
    uint32_t totalMemSize; /* KiB */
    uint32_t freeMemSize;  /* KiB */
    uint32_t totalCmmSize; /* KiB */
    uint32_t freeCmmSize;  /* KiB */
    uint32_t cpuLoading;   /* percent * 100 */
    uint32_t npuLoading;   /* percent * 100 */
    uint32_t reserved[32];
} axclrtDeviceProperties;

typedef struct axclrtDeviceList {
    uint32_t num;
    int32_t devices[AXCL_MAX_DEVICE_COUNT];
} axclrtDeviceList;

typedef enum axclrtMemMallocPolicy {
    AXCL_MEM_MALLOC_HUGE_FIRST = 0,
    AXCL_MEM_MALLOC_HUGE_ONLY = 1,
    AXCL_MEM_MALLOC_NORMAL_ONLY = 2,
    AXCL_MEM_MALLOC_SIZE_ALIGN = 3
} axclrtMemMallocPolicy;

typedef enum axclrtMemcpyKind {
    AXCL_MEMCPY_HOST_TO_HOST = 0,
    AXCL_MEMCPY_HOST_TO_DEVICE = 1,     /* host virtual -> device physical */
    AXCL_MEMCPY_DEVICE_TO_HOST = 2,     /* device physical -> host virtual */
    AXCL_MEMCPY_DEVICE_TO_DEVICE = 3,
    AXCL_MEMCPY_HOST_PHY_TO_DEVICE = 4, /* host physical -> device physical */
    AXCL_MEMCPY_DEVICE_TO_HOST_PHY = 5  /* device physical -> host physical */
} axclrtMemcpyKind;

typedef enum {
    AXCL_DEVICE_STATUS_ONLINE = 0,
    AXCL_DEVICE_STATUS_OFFLINE = 1,
    AXCL_DEVICE_STATUS_BUTT = 2
} AXCL_DEVICE_STATUS_E;

typedef void (*axclrtDeviceStatusCallback)(int32_t device, AXCL_DEVICE_STATUS_E status,
                                           void *userdata);

typedef enum {
    FILE_TRANSFER_FROM_HOST_TO_DEVICE = 0,
    FILE_TRANSFER_FROM_DEVICE_TO_HOST = 1,
    FILE_TRANSFER_FROM_DEVICE_TO_DEVICE = 2,
    FILE_TRANSFER_REMOVE_DEVICE_FILE = 3
} axclrtFileTransferPolicy;

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_TYPE_H */
