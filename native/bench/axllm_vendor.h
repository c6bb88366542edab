/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * A C replay of Axera's mid-2025 ax-llm AXCL runner call pattern (the one
 * behind the published CM3588 rows, shared/facts/axllm.md): per decoded
 * token one H2D embedding row, per layer H2D indices + H2D mask + execute +
 * D2D K row + D2D V row + D2D hidden state, then the post model and a D2H of
 * the logits; prefill per chunk and layer H2D indices + H2D mask + H2D
 * input + execute + 2 D2D K/V + D2H output (the host hop). Greedy sampling.
 * Written for npu4j from those facts; used by axllm_vendor_bench and the
 * KV-equivalence test. Needs a current AXCL context with the engine
 * initialised in the calling thread.
 */
#ifndef NPU4J_AXLLM_VENDOR_H
#define NPU4J_AXLLM_VENDOR_H

#include <stdint.h>

struct axllm_vendor;

/* Loads the package in dir (config.json layout). 0 or -1 (reason on stderr). */
int axllm_vendor_open(struct axllm_vendor **out, const char *dir);
void axllm_vendor_close(struct axllm_vendor *r);

/* Prefills ids[0..n) after the tokens already in the KV cache and returns the
 * greedy next token (or -1). Chunks of P tokens, each with the smallest
 * shape group whose history capacity holds the chunk's history. */
int axllm_vendor_prefill(struct axllm_vendor *r, const int32_t *ids, int n);
/* Feeds one token at the next position and returns the greedy next token (or -1). */
int axllm_vendor_decode(struct axllm_vendor *r, int32_t token);
/* Test hook: decode steps make one mistake from now on (AXLLM_FAULT_*: a position off by one in
 * `indices`, the previous token masked out, K/V rows written one row too far). */
enum { AXLLM_FAULT_NONE, AXLLM_FAULT_INDEX, AXLLM_FAULT_MASK, AXLLM_FAULT_KV_ROW };
void axllm_vendor_fault(struct axllm_vendor *r, int fault);
/* Forgets the KV cache (the next prefill starts at position 0). */
void axllm_vendor_reset(struct axllm_vendor *r);

int axllm_vendor_position(const struct axllm_vendor *r);
int axllm_vendor_capacity(const struct axllm_vendor *r);  /* C */
int axllm_vendor_chunk(const struct axllm_vendor *r);     /* P */
int axllm_vendor_layers(const struct axllm_vendor *r);
int axllm_vendor_stop_id(const struct axllm_vendor *r);   /* the stop id of the package's tokenizer.txt */

#endif /* NPU4J_AXLLM_VENDOR_H */
