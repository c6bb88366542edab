/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated LLM package (profile given as argv[1], default "tiny") on the
 * emulated AXCL runtime, driven by the vendor call pattern:
 * - KV equivalence: every token decoded step by step equals the token a full
 *   recompute of the context (reset + prefill, split at several chunk
 *   boundaries) predicts, for several prompts and a multi-turn history;
 * - behaviour: a <think> block (none after an empty one), <|im_end|> within
 *   a bound, a <tool_call> naming the declared tool, answers that depend on
 *   the prompt;
 * - sensitivity: a wrong position, mask or K/V row changes the tokens;
 * - no leaks (live counters 0 before axclFinalize).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axcl.h"
#include "axllm_vendor.h"
#include "npu4j_axcl_emulator.h"

#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

#define MAXTOK 4096
#define MAXGEN 96

static const char *profile = "tiny";
static struct axllm_vendor *R;
static int STOP;

static int encode(const char *text, int32_t *ids) {
    int n = npu4j_emu_axllm_encode(profile, text, ids, MAXTOK);
    CHECK(n > 0 && n <= MAXTOK);
    return n;
}

static char *text_of(const int32_t *ids, int n) {
    static char buf[4096];
    npu4j_emu_axllm_decode(profile, ids, n, buf, sizeof buf);
    return buf;
}

/* Decodes after prefilling ctx (the cache must hold nothing, or exactly what
 * precedes ctx when tail_from > 0); generated tokens go to gen. */
static int generate(const int32_t *ctx, int n, int tail_from, int32_t *gen) {
    if (tail_from == 0) {
        axllm_vendor_reset(R);
    }
    CHECK(axllm_vendor_position(R) == tail_from);
    int t = axllm_vendor_prefill(R, ctx + tail_from, n - tail_from);
    CHECK(t >= 0);
    int k = 0;
    gen[k++] = t;
    while (t != STOP && k < MAXGEN) {
        t = axllm_vendor_decode(R, t);
        CHECK(t >= 0);
        gen[k++] = t;
    }
    return k;
}

/* Reset, prefill ctx[0..n) in pieces split at `split` (0: one call), return the next token. */
static int recompute(const int32_t *ctx, int n, int split) {
    axllm_vendor_reset(R);
    int t = -1;
    for (int at = 0; at < n;) {
        int m = split > 0 && at + split < n ? split : n - at;
        t = axllm_vendor_prefill(R, ctx + at, m);
        CHECK(t >= 0);
        at += m;
    }
    return t;
}

/* Every generated token equals the full recompute's, at three split patterns. */
static void check_equivalence(const int32_t *ctx, int n, const int32_t *gen, int k) {
    static int32_t full[MAXTOK + MAXGEN];
    memcpy(full, ctx, sizeof(int32_t) * (size_t)n);
    memcpy(full + n, gen, sizeof(int32_t) * (size_t)k);
    int P = axllm_vendor_chunk(R);
    const int splits[] = {0, 7, P + 3};
    for (int s = 0; s < 3; s++) {
        /* every step for the first pattern, every 5th step for the others (time) */
        for (int j = 0; j < k; j += s == 0 ? 1 : 5) {
            int t = recompute(full, n + j, splits[s]);
            if (t != gen[j]) {
                fprintf(stderr, "step %d (split %d): decode gave %d, recompute %d\n", j, splits[s], gen[j], t);
                CHECK(t == gen[j]);
            }
        }
    }
}

static bool contains(const char *hay, const char *needle) {
    return strstr(hay, needle) != NULL;
}

static const char TOOLS_SPACED[] =
    "<|im_start|>system\n# Tools\n\nYou may call one or more functions to answer. Their signatures are inside"
    " <tools></tools>:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\":"
    " \"Weather of a city\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}"
    "\n</tools>\n\nTo call a function, answer with a JSON object inside <tool_call></tool_call> tags.<|im_end|>\n"
    "<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n";
static const char TOOLS_COMPACT[] =
    "<|im_start|>system\n<tools>\n{\"type\":\"function\",\"function\":{\"name\":\"run_model\",\"parameters\":{}}}"
    "\n</tools><|im_end|>\n<|im_start|>user\nrun it<|im_end|>\n<|im_start|>assistant\n";

int main(int argc, char **argv) {
    if (argc > 1) {
        profile = argv[1];
    }
    char dir[] = "/tmp/npu4j-axllm-test-XXXXXX";
    CHECK(mkdtemp(dir));
    if (npu4j_emu_axllm_write_package(dir, profile) != 0) {
        fprintf(stderr, "%s\n", npu4j_emu_axllm_error());
        return 1;
    }
    CHECK(npu4j_emu_axllm_write_package(dir, "no-such-profile") == -1 && strstr(npu4j_emu_axllm_error(), "unknown"));
    CHECK(axclInit(NULL) == AXCL_SUCC);
    axclrtDeviceList list;
    CHECK(axclrtGetDeviceList(&list) == AXCL_SUCC && list.num > 0);
    CHECK(axclrtSetDevice(list.devices[0]) == AXCL_SUCC);
    CHECK(axclrtEngineInit(AXCL_VNPU_DISABLE) == AXCL_SUCC);
    CHECK(axllm_vendor_open(&R, dir) == 0);
    STOP = axllm_vendor_stop_id(R);
    CHECK(STOP > 0);

    static int32_t ctx[MAXTOK], gen[MAXGEN], gen2[MAXGEN];
    const char *prompts[] = {
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhy does an NPU need its IRQ"
        " on a big core?<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>user\nHello world<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>user\nHello world<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        TOOLS_SPACED,
        TOOLS_COMPACT,
    };
    char first_answer[2][4096];
    for (int p = 0; p < 5; p++) {
        int n = encode(prompts[p], ctx);
        int k = generate(ctx, n, 0, gen);
        const char *out = text_of(gen, k);
        printf("prompt %d (%d tokens) -> %d tokens: %s\n", p, n, k, out);
        CHECK(gen[k - 1] == STOP);
        if (p == 2) {
            CHECK(!contains(out, "<think>") && !contains(out, "</think>"));
        } else {
            CHECK(strncmp(out, "<think>\nOkay, the user asks about", 33) == 0 && contains(out, ".\n</think>\n\n"));
        }
        if (p == 3) {
            CHECK(contains(out, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call><|im_end|>"));
        } else if (p == 4) {
            CHECK(contains(out, "<tool_call>\n{\"name\": \"run_model\", \"arguments\": {}}\n</tool_call><|im_end|>"));
        } else {
            CHECK(!contains(out, "<tool_call>"));
        }
        if (p < 2) {
            snprintf(first_answer[p], sizeof first_answer[p], "%s", out);
        }
        check_equivalence(ctx, n, gen, k);
    }
    CHECK(strcmp(first_answer[0], first_answer[1]) != 0); /* the answer depends on the prompt */

    /* Multi-turn: keep the cache, prefill only the new tail (the last answer token, then the new turn). */
    int n = encode(prompts[0], ctx);
    int k = generate(ctx, n, 0, gen);
    memcpy(ctx + n, gen, sizeof(int32_t) * (size_t)k);
    int cached = n + k - 1; /* the final <|im_end|> was sampled, not fed */
    n += k;
    n += encode("\n<|im_start|>user\nAnd why is the link slow?<|im_end|>\n<|im_start|>assistant\n", ctx + n);
    int k2 = generate(ctx, n, cached, gen2);
    printf("turn 2 -> %d tokens: %s\n", k2, text_of(gen2, k2));
    CHECK(gen2[k2 - 1] == STOP);
    check_equivalence(ctx, n, gen2, k2);
    /* A tool response turn is answered in words. */
    n = encode(TOOLS_COMPACT, ctx);
    k = generate(ctx, n, 0, gen);
    memcpy(ctx + n, gen, sizeof(int32_t) * (size_t)k);
    n += k;
    n += encode("\n<|im_start|>user\n<tool_response>\n{\"temperature\": 21}\n</tool_response><|im_end|>\n"
                "<|im_start|>assistant\n",
                ctx + n);
    k2 = generate(ctx, n, 0, gen2);
    printf("after the tool response -> %s\n", text_of(gen2, k2));
    CHECK(gen2[k2 - 1] == STOP && !contains(text_of(gen2, k2), "<tool_call>"));
    check_equivalence(ctx, n, gen2, k2);

    /* Sensitivity: each decode mistake changes the tokens of the first prompt. */
    n = encode(prompts[0], ctx);
    int clean = generate(ctx, n, 0, gen);
    for (int f = AXLLM_FAULT_INDEX; f <= AXLLM_FAULT_KV_ROW; f++) {
        axllm_vendor_fault(R, f);
        int bad = generate(ctx, n, 0, gen2);
        axllm_vendor_fault(R, AXLLM_FAULT_NONE);
        bool differ = bad != clean || memcmp(gen, gen2, sizeof(int32_t) * (size_t)clean) != 0;
        printf("fault %d -> %s\n", f, text_of(gen2, bad));
        CHECK(differ);
    }

    axllm_vendor_close(R);
    CHECK(npu4j_emulator_axcl_live("device_allocations") == 0 && npu4j_emulator_axcl_live("models") == 0 &&
          npu4j_emulator_axcl_live("ios") == 0 && npu4j_emulator_axcl_live("io_infos") == 0);
    CHECK(axclrtEngineFinalize() == AXCL_SUCC);
    CHECK(axclrtResetDevice(list.devices[0]) == AXCL_SUCC);
    CHECK(axclFinalize() == AXCL_SUCC);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    puts("axllm_kv_test: ok");
    return 0;
}
