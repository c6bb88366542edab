/**
 * One LLM API over every NPU backend: {@link org.npu4j.llm.LanguageModel} (generate, generateAsync,
 * stream, abort, close, latency), opened from a path by the backend that accepts it
 * ({@link org.npu4j.llm.LanguageModel#open}: an {@code .rkllm} file on RKLLM, an ax-llm package
 * directory on AXCL) or from an emulator profile; conversations with history, system prompt, thinking on
 * or off, function declarations and parsed calls ({@link org.npu4j.llm.ChatSession},
 * {@link org.npu4j.llm.LlmRequest}, {@link org.npu4j.llm.Completion}).
 *
 * <p>Backend-only features stay on the backend types: RKLLM's LoRA adapters, prompt cache, cross
 * attention and logits modes on {@link org.npu4j.rkllm.RkllmModel}.
 *
 * <p>Terms: <i>prefill</i> is the pass over the prompt that fills the KV cache; <i>decode</i> produces one
 * token per step; <i>TTFT</i> (time to first token) is prefill plus the first decode step plus host
 * overheads; throughput is in tokens per second; latencies are nanoseconds.
 */
@NullMarked
package org.npu4j.llm;

import org.jspecify.annotations.NullMarked;
