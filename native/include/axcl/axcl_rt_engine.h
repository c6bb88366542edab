/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * npu4j's own C declaration of the AXCL runtime ABI: the engine that loads
 * and runs compiled models (.axmodel). Model and context ids are uint64_t;
 * "group" is the index of an input shape group (0 for single-shape models).
 */
#ifndef NPU4J_AXCL_RT_ENGINE_H
#define NPU4J_AXCL_RT_ENGINE_H

#include "axcl_rt_engine_type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Engine lifetime (per process, after a device/context is set). */
axclError axclrtEngineInit(axclrtEngineVNpuKind npuKind);
axclError axclrtEngineGetVNpuKind(axclrtEngineVNpuKind *npuKind);
axclError axclrtEngineFinalize(void);

/* Models. */
axclError axclrtEngineLoadFromFile(const char *modelPath, uint64_t *modelId);
axclError axclrtEngineLoadFromMem(const void *model, uint64_t modelSize, uint64_t *modelId);
axclError axclrtEngineUnload(uint64_t modelId);
const char *axclrtEngineGetModelCompilerVersion(uint64_t modelId);

/* NPU affinity. */
axclError axclrtEngineSetAffinity(uint64_t modelId, axclrtEngineSet set);
axclError axclrtEngineGetAffinity(uint64_t modelId, axclrtEngineSet *set);
axclError axclrtEngineSetContextAffinity(uint64_t modelId, uint64_t contextId, axclrtEngineSet set);
axclError axclrtEngineGetContextAffinity(uint64_t modelId, uint64_t contextId,
                                         axclrtEngineSet *set);

/* Memory a model needs (system, CMM). */
axclError axclrtEngineGetUsage(const char *modelPath, int64_t *sysSize, int64_t *cmmSize);
axclError axclrtEngineGetUsageFromMem(const void *model, uint64_t modelSize, int64_t *sysSize,
                                      int64_t *cmmSize);
axclError axclrtEngineGetUsageFromModelId(uint64_t modelId, int64_t *sysSize, int64_t *cmmSize);

/* Model type (number of NPU cores it was compiled for). */
axclError axclrtEngineGetModelType(const char *modelPath, axclrtEngineModelKind *modelType);
axclError axclrtEngineGetModelTypeFromMem(const void *model, uint64_t modelSize,
                                          axclrtEngineModelKind *modelType);
axclError axclrtEngineGetModelTypeFromModelId(uint64_t modelId, axclrtEngineModelKind *modelType);

/* IO description of a loaded model. */
axclError axclrtEngineGetIOInfo(uint64_t modelId, axclrtEngineIOInfo *ioInfo);
axclError axclrtEngineDestroyIOInfo(axclrtEngineIOInfo ioInfo);
axclError axclrtEngineGetShapeGroupsCount(axclrtEngineIOInfo ioInfo, int32_t *count);
uint32_t axclrtEngineGetNumInputs(axclrtEngineIOInfo ioInfo);
uint32_t axclrtEngineGetNumOutputs(axclrtEngineIOInfo ioInfo);
uint64_t axclrtEngineGetInputSizeByIndex(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index);
uint64_t axclrtEngineGetOutputSizeByIndex(axclrtEngineIOInfo ioInfo, uint32_t group,
                                          uint32_t index);
/* Names live as long as ioInfo; NULL when the index is out of range. */
const char *axclrtEngineGetInputNameByIndex(axclrtEngineIOInfo ioInfo, uint32_t index);
const char *axclrtEngineGetOutputNameByIndex(axclrtEngineIOInfo ioInfo, uint32_t index);
/* -1 when no tensor has that name. */
int32_t axclrtEngineGetInputIndexByName(axclrtEngineIOInfo ioInfo, const char *name);
int32_t axclrtEngineGetOutputIndexByName(axclrtEngineIOInfo ioInfo, const char *name);
axclError axclrtEngineGetInputDims(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index,
                                   axclrtEngineIODims *dims);
axclError axclrtEngineGetInputDataType(axclrtEngineIOInfo ioInfo, uint32_t index,
                                       axclrtEngineDataType *type);
axclError axclrtEngineGetOutputDataType(axclrtEngineIOInfo ioInfo, uint32_t index,
                                        axclrtEngineDataType *type);
axclError axclrtEngineGetInputDataLayout(axclrtEngineIOInfo ioInfo, uint32_t index,
                                         axclrtEngineDataLayout *layout);
axclError axclrtEngineGetOutputDataLayout(axclrtEngineIOInfo ioInfo, uint32_t index,
                                          axclrtEngineDataLayout *layout);
axclError axclrtEngineGetOutputDims(axclrtEngineIOInfo ioInfo, uint32_t group, uint32_t index,
                                    axclrtEngineIODims *dims);

/* IO bindings: buffers are device memory owned by the caller. */
axclError axclrtEngineCreateIO(axclrtEngineIOInfo ioInfo, axclrtEngineIO *io);
axclError axclrtEngineDestroyIO(axclrtEngineIO io);
axclError axclrtEngineSetInputBufferByIndex(axclrtEngineIO io, uint32_t index,
                                            const void *dataBuffer, uint64_t size);
axclError axclrtEngineSetOutputBufferByIndex(axclrtEngineIO io, uint32_t index,
                                             const void *dataBuffer, uint64_t size);
axclError axclrtEngineSetInputBufferByName(axclrtEngineIO io, const char *name,
                                           const void *dataBuffer, uint64_t size);
axclError axclrtEngineSetOutputBufferByName(axclrtEngineIO io, const char *name,
                                            const void *dataBuffer, uint64_t size);
axclError axclrtEngineGetInputBufferByIndex(axclrtEngineIO io, uint32_t index, void **dataBuffer,
                                            uint64_t *size);
axclError axclrtEngineGetOutputBufferByIndex(axclrtEngineIO io, uint32_t index, void **dataBuffer,
                                             uint64_t *size);
axclError axclrtEngineGetInputBufferByName(axclrtEngineIO io, const char *name, void **dataBuffer,
                                           uint64_t *size);
axclError axclrtEngineGetOutputBufferByName(axclrtEngineIO io, const char *name,
                                            void **dataBuffer, uint64_t *size);
axclError axclrtEngineSetDynamicBatchSize(axclrtEngineIO io, uint32_t batchSize);

/* Execution contexts and runs. */
axclError axclrtEngineCreateContext(uint64_t modelId, uint64_t *contextId);
axclError axclrtEngineExecute(uint64_t modelId, uint64_t contextId, uint32_t group,
                              axclrtEngineIO io);
axclError axclrtEngineExecuteAsync(uint64_t modelId, uint64_t contextId, uint32_t group,
                                   axclrtEngineIO io, axclrtStream stream);

#ifdef __cplusplus
}
#endif

#endif /* NPU4J_AXCL_RT_ENGINE_H */
