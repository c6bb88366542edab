/**
 * Models on the Axera AX650N accelerator card through the AXCL PCIe runtime ({@code libaxcl_rt.so},
 * AXCL 3.x): any compiled {@code .axmodel} (detectors, encoders, LLM layers).
 *
 * <h2>Objects</h2>
 * {@link org.npu4j.axcl.AxclRuntime} (the process's runtime: {@code axclInit}/{@code axclFinalize},
 * reference-counted; devices, versions) → {@link org.npu4j.axcl.AxDevice} (one card, its AXCL
 * context) → {@link org.npu4j.axcl.AxModel} (a loaded model and its IO description) →
 * {@link org.npu4j.axcl.AxSession} (an engine context: one running call at a time) →
 * {@link org.npu4j.axcl.AxBinding} (device and pinned host buffers bound once, reused by every call).
 *
 * <h2>Threads</h2>
 * AXCL binds a context per OS thread; npu4j binds the right one lazily before each native call that
 * needs it, on platform and virtual threads alike (see {@link org.npu4j.axcl.AxDevice}). Several
 * sessions of one model run concurrently, one per thread.
 *
 * <h2>Errors</h2>
 * Every AXCL return code goes through one check: non-zero codes become
 * {@link org.npu4j.axcl.AxclException}, with the raw code and its decoding
 * ({@code module/SUBMODULE/NAME (0x…)}). Using a closed handle throws
 * {@link java.lang.IllegalStateException}; bad arguments throw
 * {@link java.lang.IllegalArgumentException}; a library that cannot be found or loaded throws
 * {@link org.npu4j.NpuException} listing every place tried.
 *
 * <h2>Metrics</h2>
 * Every call records host→device, execute and device→host latency, in nanoseconds, into the model's
 * {@link org.npu4j.metrics.LatencyRecorder}, and a JFR {@link org.npu4j.metrics.EngineCallEvent} when
 * a recording enables {@code org.npu4j.EngineCall}.
 *
 * <h2>Without a card</h2>
 * The emulated runtime in {@code org.npu4j:npu4j-native} exports the same functions:
 * {@code AxclRuntime.acquire(AxclRuntime.Options.emulator())}.
 */
@NullMarked
package org.npu4j.axcl;

import org.jspecify.annotations.NullMarked;
