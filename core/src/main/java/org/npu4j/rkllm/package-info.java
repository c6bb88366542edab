/**
 * Large language models on Rockchip NPUs (RK3588, RK3576, ...) through the RKLLM runtime
 * ({@code librkllmrt.so}, ABIs 1.2.x and 1.3.0), or through npu4j's emulated runtime on machines
 * without an NPU.
 *
 * <ul>
 *   <li>{@link org.npu4j.rkllm.RkllmRuntime}: which library, which ABI (one runtime per process);</li>
 *   <li>{@link org.npu4j.rkllm.RkllmModel}: a loaded model; blocking, asynchronous
 *       ({@link java.util.concurrent.CompletableFuture}) and streaming ({@link java.util.concurrent.Flow})
 *       generation; LoRA, prompt cache, KV cache, chat template, function tools;</li>
 *   <li>{@link org.npu4j.rkllm.ChatSession}: a conversation kept in the KV cache, with thinking and
 *       tool calls taken apart ({@link org.npu4j.rkllm.ChatReply}, {@link org.npu4j.llm.ToolCall}).</li>
 * </ul>
 *
 * <p>Terms: <i>prefill</i> is the pass over the prompt that fills the KV cache; <i>decode</i> produces
 * one token per step; <i>TTFT</i> (time to first token) is prefill plus the first decode step plus
 * host overheads; throughput is in tokens per second; all latencies npu4j records are nanoseconds.
 * Where a rule or number comes from is said where it is used: the vendor header ({@code rkllm.h} of
 * airockchip/rknn-llm 1.2.3 and 1.3.0, declared again in npu4j's {@code native/include}), the vendor
 * demos, or board measurements ({@code shared/facts/boards.md}).
 */
@NullMarked
package org.npu4j.rkllm;

import org.jspecify.annotations.NullMarked;
