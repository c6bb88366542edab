/**
 * Vision models on the Rockchip NPU through the RKNN runtime ({@code librknnrt.so}, {@code rknn_api.h}
 * 2.x): YOLO detectors, classifiers, OCR, and the vision encoders of VLMs.
 *
 * <p>{@link org.npu4j.rknn.RknnRuntime} loads the library and opens {@link org.npu4j.rknn.RknnModel}s;
 * a model hands each thread its own {@link org.npu4j.rknn.RknnContext} ({@code rknn_dup_context});
 * a context runs either with arrays ({@link org.npu4j.rknn.RknnContext#run(java.util.Map)}) or through
 * a zero-copy {@link org.npu4j.rknn.RknnBinding} bound once. Errors come as
 * {@link org.npu4j.rknn.RknnException} with the raw {@code RKNN_ERR_*} code.
 *
 * <p>Latency is recorded per stage in nanoseconds ({@link org.npu4j.metrics.Stage#INPUT_SET},
 * {@link org.npu4j.metrics.Stage#EXECUTE}, {@link org.npu4j.metrics.Stage#OUTPUT_GET}) into
 * {@link org.npu4j.rknn.RknnModel#latency()}, and as the JFR event {@code org.npu4j.RknnRun}.
 *
 * <p>Without a board, {@link org.npu4j.rknn.RknnRuntime#emulator()} loads npu4j's emulated runtime
 * ({@code native/emulator/rknn}), which runs its own model descriptors with the published timing.
 */
@NullMarked
package org.npu4j.rknn;

import org.jspecify.annotations.NullMarked;
