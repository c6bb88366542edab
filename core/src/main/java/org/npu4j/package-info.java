/**
 * The shared base of npu4j: loading the vendor runtimes (or their emulators) and the exception
 * hierarchy. The APIs live in {@link org.npu4j.rkllm} (LLMs on Rockchip NPUs),
 * {@link org.npu4j.axcl} (models on the Axera AX650N card), {@link org.npu4j.tuning} (host tuning:
 * big cores, IRQ affinity, governors) and {@link org.npu4j.metrics} (latency histograms).
 */
@NullMarked
package org.npu4j;

import org.jspecify.annotations.NullMarked;
