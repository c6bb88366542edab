/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * ABI probe of the AXCL runtime (see probe.c): every struct and function
 * declared by its headers.
 */
#include "probe.h"

#include "axcl.h"

#if NPU4J_AXCL_ABI_MAJOR != 3
#error "unknown AXCL ABI version"
#endif

/* Each error-code literal is an int and follows the building rule. */
#define CODE(name, sub, id)                                                              \
    _Static_assert(__builtin_types_compatible_p(__typeof__(name), int) &&                \
                       (name) == AXCL_DEF_RUNTIME_ERR(sub, id),                          \
                   #name " does not follow the error-code rule")

CODE(AXCL_ERR_DEVICE_NULL_POINTER, AXCL_RUNTIME_DEVICE, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_DEVICE_OPEN, AXCL_RUNTIME_DEVICE, AXCL_ERR_OPEN);
CODE(AXCL_ERR_DEVICE_UNSUPPORT, AXCL_RUNTIME_DEVICE, AXCL_ERR_UNSUPPORT);
CODE(AXCL_ERR_DEVICE_QUERY_DEVICE, AXCL_RUNTIME_DEVICE, 0x80);
CODE(AXCL_ERR_DEVICE_NO_CONNECT, AXCL_RUNTIME_DEVICE, 0x81);
CODE(AXCL_ERR_DEVICE_PROBE, AXCL_RUNTIME_DEVICE, 0x82);
CODE(AXCL_ERR_DEVICE_NOT_ACTIVE, AXCL_RUNTIME_DEVICE, 0x83);
CODE(AXCL_ERR_DEVICE_INVALID_ID, AXCL_RUNTIME_DEVICE, 0x84);
CODE(AXCL_ERR_DEVICE_NO_ACTIVE_DEVICE, AXCL_RUNTIME_DEVICE, 0x85);
CODE(AXCL_ERR_DEVICE_PORT_ALLOCATE, AXCL_RUNTIME_DEVICE, 0x86);
CODE(AXCL_ERR_DEVICE_REBOOT, AXCL_RUNTIME_DEVICE, 0x87);
CODE(AXCL_ERR_DEVICE_PORT_DESTROY, AXCL_RUNTIME_DEVICE, 0x88);

CODE(AXCL_ERR_CONTEXT_NULL_POINTER, AXCL_RUNTIME_CONTEXT, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_CONTEXT_CREATE, AXCL_RUNTIME_CONTEXT, 0x81);
CODE(AXCL_ERR_CONTEXT_DESTROY, AXCL_RUNTIME_CONTEXT, 0x82);
CODE(AXCL_ERR_CONTEXT_BIND_THREAD, AXCL_RUNTIME_CONTEXT, 0x83);
CODE(AXCL_ERR_CONTEXT_NO_BIND_CONTEXT, AXCL_RUNTIME_CONTEXT, 0x84);

CODE(AXCL_ERR_STREAM_NULL_POINTER, AXCL_RUNTIME_STREAM, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_STREAM_TIMEOUT, AXCL_RUNTIME_STREAM, AXCL_ERR_TIMEOUT);
CODE(AXCL_ERR_STREAM_CREATE, AXCL_RUNTIME_STREAM, 0x81);
CODE(AXCL_ERR_STREAM_DESTROY, AXCL_RUNTIME_STREAM, 0x82);
CODE(AXCL_ERR_STREAM_SYNC_TIMEOUT, AXCL_RUNTIME_STREAM, 0x83);

CODE(AXCL_ERR_MEMORY_NULL_POINTER, AXCL_RUNTIME_MEMORY, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_MEMORY_ENCODE, AXCL_RUNTIME_MEMORY, AXCL_ERR_ENCODE);
CODE(AXCL_ERR_MEMORY_DECODE, AXCL_RUNTIME_MEMORY, AXCL_ERR_DECODE);
CODE(AXCL_ERR_MEMORY_UNEXPECT_RESPONSE, AXCL_RUNTIME_MEMORY, AXCL_ERR_UNEXPECT_RESPONSE);
CODE(AXCL_ERR_MEMORY_EXECUTE_FAIL, AXCL_RUNTIME_MEMORY, AXCL_ERR_EXECUTE_FAIL);
CODE(AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY, AXCL_RUNTIME_MEMORY, 0x81);

CODE(AXCL_ERR_ENGINE_NULL_POINTER, AXCL_RUNTIME_ENGINE, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_ENGINE_ILLEGAL_PARAM, AXCL_RUNTIME_ENGINE, AXCL_ERR_ILLEGAL_PARAM);
CODE(AXCL_ERR_ENGINE_AXCL_UNSUPPORTED, AXCL_RUNTIME_ENGINE, AXCL_ERR_UNSUPPORT);
CODE(AXCL_ERR_ENGINE_ENCODE, AXCL_RUNTIME_ENGINE, AXCL_ERR_ENCODE);
CODE(AXCL_ERR_ENGINE_DECODE, AXCL_RUNTIME_ENGINE, AXCL_ERR_DECODE);
CODE(AXCL_ERR_ENGINE_UNEXPECT_RESPONSE, AXCL_RUNTIME_ENGINE, AXCL_ERR_UNEXPECT_RESPONSE);
CODE(AXCL_ERR_ENGINE_EXECUTE_FAIL, AXCL_RUNTIME_ENGINE, AXCL_ERR_EXECUTE_FAIL);
CODE(AXCL_ERR_ENGINE_INVALID_INDEX, AXCL_RUNTIME_ENGINE, 0x81);

/* The value seen from axclInit on a host without the card (boards.md). */
_Static_assert(AXCL_ERR_DEVICE_OPEN == (axclError)0x8030010Bu, "device/open code");

void probe_structs(void)
{
    STRUCT(axclrtDeviceProperties);
    FIELD(axclrtDeviceProperties, swVersion);
    FIELD(axclrtDeviceProperties, uid);
    FIELD(axclrtDeviceProperties, pciDomain);
    FIELD(axclrtDeviceProperties, pciBusID);
    FIELD(axclrtDeviceProperties, pciDeviceID);
    FIELD(axclrtDeviceProperties, temperature);
    FIELD(axclrtDeviceProperties, totalMemSize);
    FIELD(axclrtDeviceProperties, freeMemSize);
    FIELD(axclrtDeviceProperties, totalCmmSize);
    FIELD(axclrtDeviceProperties, freeCmmSize);
    FIELD(axclrtDeviceProperties, cpuLoading);
    FIELD(axclrtDeviceProperties, npuLoading);
    FIELD(axclrtDeviceProperties, reserved);
    END_TYPE();

    STRUCT(axclrtDeviceList);
    FIELD(axclrtDeviceList, num);
    FIELD(axclrtDeviceList, devices);
    END_TYPE();

    STRUCT(axclrtEngineIODims);
    FIELD(axclrtEngineIODims, dimCount);
    FIELD(axclrtEngineIODims, dims);
    END_TYPE();
}

void probe_functions(void)
{
    /* axcl.h */
    FN(axclInit, axclError, const char *);
    FN0(axclFinalize, axclError);
    FN(axclSetLogLevel, axclError, int32_t);

    /* axcl_rt.h */
    FN(axclrtGetVersion, axclError, int32_t *, int32_t *, int32_t *);
    FN0(axclrtGetFullVersion, const char *);
    FN0(axclrtGetSocName, const char *);

    /* axcl_rt_device.h */
    FN(axclrtSetDevice, axclError, int32_t);
    FN(axclrtResetDevice, axclError, int32_t);
    FN(axclrtGetDevice, axclError, int32_t *);
    FN(axclrtGetDeviceCount, axclError, uint32_t *);
    FN(axclrtGetDeviceList, axclError, axclrtDeviceList *);
    FN0(axclrtSynchronizeDevice, axclError);
    FN(axclrtGetDeviceProperties, axclError, int32_t, axclrtDeviceProperties *);

    /* axcl_rt_context.h */
    FN(axclrtCreateContext, axclError, axclrtContext *, int32_t);
    FN(axclrtDestroyContext, axclError, axclrtContext);
    FN(axclrtSetCurrentContext, axclError, axclrtContext);
    FN(axclrtGetCurrentContext, axclError, axclrtContext *);

    /* axcl_rt_stream.h */
    FN(axclrtCreateStream, axclError, axclrtStream *);
    FN(axclrtDestroyStream, axclError, axclrtStream);
    FN(axclrtDestroyStreamForce, axclError, axclrtStream);
    FN(axclrtSynchronizeStream, axclError, axclrtStream);
    FN(axclrtSynchronizeStreamWithTimeout, axclError, axclrtStream, int32_t);

    /* axcl_rt_memory.h */
    FN(axclrtMalloc, axclError, void **, size_t, axclrtMemMallocPolicy);
    FN(axclrtMallocCached, axclError, void **, size_t, axclrtMemMallocPolicy);
    FN(axclrtFree, axclError, void *);
    FN(axclrtMemFlush, axclError, void *, size_t);
    FN(axclrtMemInvalidate, axclError, void *, size_t);
    FN(axclrtMallocHost, axclError, void **, size_t);
    FN(axclrtFreeHost, axclError, void *);
    FN(axclrtMemset, axclError, void *, uint8_t, size_t);
    FN(axclrtMemcpy, axclError, void *, const void *, size_t, axclrtMemcpyKind);
    FN(axclrtMemcmp, axclError, const void *, const void *, size_t);
    FN(axclrtMemsetAsync, axclError, void *, uint8_t, size_t, axclrtStream);
    FN(axclrtMemcpyAsync, axclError, void *, const void *, size_t, axclrtMemcpyKind, axclrtStream);
    FN(axclrtMemcmpAsync, axclError, const void *, const void *, size_t, axclrtStream);

    /* axcl_rt_engine.h */
    FN(axclrtEngineInit, axclError, axclrtEngineVNpuKind);
    FN(axclrtEngineGetVNpuKind, axclError, axclrtEngineVNpuKind *);
    FN0(axclrtEngineFinalize, axclError);
    FN(axclrtEngineLoadFromFile, axclError, const char *, uint64_t *);
    FN(axclrtEngineLoadFromMem, axclError, const void *, uint64_t, uint64_t *);
    FN(axclrtEngineUnload, axclError, uint64_t);
    FN(axclrtEngineGetModelCompilerVersion, const char *, uint64_t);
    FN(axclrtEngineSetAffinity, axclError, uint64_t, axclrtEngineSet);
    FN(axclrtEngineGetAffinity, axclError, uint64_t, axclrtEngineSet *);
    FN(axclrtEngineSetContextAffinity, axclError, uint64_t, uint64_t, axclrtEngineSet);
    FN(axclrtEngineGetContextAffinity, axclError, uint64_t, uint64_t, axclrtEngineSet *);
    FN(axclrtEngineGetUsage, axclError, const char *, int64_t *, int64_t *);
    FN(axclrtEngineGetUsageFromMem, axclError, const void *, uint64_t, int64_t *, int64_t *);
    FN(axclrtEngineGetUsageFromModelId, axclError, uint64_t, int64_t *, int64_t *);
    FN(axclrtEngineGetModelType, axclError, const char *, axclrtEngineModelKind *);
    FN(axclrtEngineGetModelTypeFromMem, axclError, const void *, uint64_t, axclrtEngineModelKind *);
    FN(axclrtEngineGetModelTypeFromModelId, axclError, uint64_t, axclrtEngineModelKind *);
    FN(axclrtEngineGetIOInfo, axclError, uint64_t, axclrtEngineIOInfo *);
    FN(axclrtEngineDestroyIOInfo, axclError, axclrtEngineIOInfo);
    FN(axclrtEngineGetShapeGroupsCount, axclError, axclrtEngineIOInfo, int32_t *);
    FN(axclrtEngineGetNumInputs, uint32_t, axclrtEngineIOInfo);
    FN(axclrtEngineGetNumOutputs, uint32_t, axclrtEngineIOInfo);
    FN(axclrtEngineGetInputSizeByIndex, uint64_t, axclrtEngineIOInfo, uint32_t, uint32_t);
    FN(axclrtEngineGetOutputSizeByIndex, uint64_t, axclrtEngineIOInfo, uint32_t, uint32_t);
    FN(axclrtEngineGetInputNameByIndex, const char *, axclrtEngineIOInfo, uint32_t);
    FN(axclrtEngineGetOutputNameByIndex, const char *, axclrtEngineIOInfo, uint32_t);
    FN(axclrtEngineGetInputIndexByName, int32_t, axclrtEngineIOInfo, const char *);
    FN(axclrtEngineGetOutputIndexByName, int32_t, axclrtEngineIOInfo, const char *);
    FN(axclrtEngineGetInputDims, axclError, axclrtEngineIOInfo, uint32_t, uint32_t,
       axclrtEngineIODims *);
    FN(axclrtEngineGetInputDataType, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataType *);
    FN(axclrtEngineGetOutputDataType, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataType *);
    FN(axclrtEngineGetInputDataLayout, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataLayout *);
    FN(axclrtEngineGetOutputDataLayout, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataLayout *);
    FN(axclrtEngineGetOutputDims, axclError, axclrtEngineIOInfo, uint32_t, uint32_t,
       axclrtEngineIODims *);
    FN(axclrtEngineCreateIO, axclError, axclrtEngineIOInfo, axclrtEngineIO *);
    FN(axclrtEngineDestroyIO, axclError, axclrtEngineIO);
    FN(axclrtEngineSetInputBufferByIndex, axclError, axclrtEngineIO, uint32_t, const void *,
       uint64_t);
    FN(axclrtEngineSetOutputBufferByIndex, axclError, axclrtEngineIO, uint32_t, const void *,
       uint64_t);
    FN(axclrtEngineSetInputBufferByName, axclError, axclrtEngineIO, const char *, const void *,
       uint64_t);
    FN(axclrtEngineSetOutputBufferByName, axclError, axclrtEngineIO, const char *, const void *,
       uint64_t);
    FN(axclrtEngineGetInputBufferByIndex, axclError, axclrtEngineIO, uint32_t, void **,
       uint64_t *);
    FN(axclrtEngineGetOutputBufferByIndex, axclError, axclrtEngineIO, uint32_t, void **,
       uint64_t *);
    FN(axclrtEngineGetInputBufferByName, axclError, axclrtEngineIO, const char *, void **,
       uint64_t *);
    FN(axclrtEngineGetOutputBufferByName, axclError, axclrtEngineIO, const char *, void **,
       uint64_t *);
    FN(axclrtEngineSetDynamicBatchSize, axclError, axclrtEngineIO, uint32_t);
    FN(axclrtEngineCreateContext, axclError, uint64_t, uint64_t *);
    FN(axclrtEngineExecute, axclError, uint64_t, uint64_t, uint32_t, axclrtEngineIO);
    FN(axclrtEngineExecuteAsync, axclError, uint64_t, uint64_t, uint32_t, axclrtEngineIO,
       axclrtStream);
}
