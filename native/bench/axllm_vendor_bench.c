/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The vendor reference for `npu4j bench` on AX650N LLM packages: replays
 * Axera's mid-2025 ax-llm AXCL call pattern (axllm_vendor.h) on the emulated
 * runtime and prints one JSON line:
 *
 *   {"driver":"axllm_vendor_bench", ..., "ttft_ms":..., "decode_tok_s":...,
 *    "calls_per_token":{"execute":29,"h2d":57,"d2h":1,"d2d":84,...}, ...}
 *
 * Usage:
 *   axllm_vendor_bench [--package DIR | --profile qwen3-0.6b|tiny [--out DIR]]
 *                      [--prompt-tokens N] [--decode-tokens N] [--warmup N] [--speed S]
 *                      [--timing default|tuned|native] [--link gen2x1|gen2x2|native|slow]
 *
 * --profile writes the emulated package first (into --out, else a temporary
 * directory removed at the end). --timing and --link set
 * NPU4J_EMULATOR_AXCL_PROFILE / _LINK (--timing native implies --link native);
 * --speed sets NPU4J_EMULATOR_SPEED (default: the environment's, else 1).
 * NPU4J_EMULATOR_CATCH_UP is set to 1 unless the environment sets it (a late
 * wake-up of a loaded host is caught up by the next waits; run the npu4j side
 * of a comparison with the same setting).
 * The prompt is a ChatML user turn cut to exactly N tokens (default 128);
 * decoding feeds the greedy token N times (default 64), stop token or not.
 * --warmup N (default 1) prefills and resets N times before measuring (the
 * emulator's first touch of its memory is host work a card does not do).
 * TTFT is the prefill call (embedding rows to first sampled token); decode
 * tok/s is N over the decode loop; calls per token are the emulator's
 * per-kind counters over that loop divided by N. All figures come from the
 * emulator's cost model (the JSON says so), not from hardware.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "axcl.h"
#include "axllm_vendor.h"
#include "npu4j_axcl_emulator.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void) {
    fprintf(stderr, "usage: axllm_vendor_bench [--package DIR | --profile qwen3-0.6b|tiny [--out DIR]]\n"
                    "                          [--prompt-tokens N] [--decode-tokens N] [--warmup N] [--speed S]\n"
                    "                          [--timing default|tuned|native] [--link gen2x1|gen2x2|native|slow]\n");
    exit(2);
}

static const char *const KINDS[] = {"execute", "h2d", "d2h", "d2d", "device_other", "pcie", "bind"};
#define NKINDS 7

static void snap(int64_t *c) {
    for (int k = 0; k < NKINDS; k++) {
        c[k] = npu4j_emulator_axcl_call_count(KINDS[k]);
    }
}

static void print_calls(const char *key, const int64_t *a, const int64_t *b, double per) {
    printf("\"%s\":{", key);
    for (int k = 0; k < NKINDS; k++) {
        printf("%s\"%s\":%.6g", k ? "," : "", KINDS[k], (double)(b[k] - a[k]) / per);
    }
    printf("}");
}

int main(int argc, char **argv) {
    const char *package = NULL, *profile = NULL, *out = NULL, *timing = NULL, *link = NULL, *speed = NULL;
    int prompt_tokens = 128, decode_tokens = 64, warmup = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) {
            usage();
        }
        if (strcmp(a, "--package") == 0) {
            package = argv[++i];
        } else if (strcmp(a, "--profile") == 0) {
            profile = argv[++i];
        } else if (strcmp(a, "--out") == 0) {
            out = argv[++i];
        } else if (strcmp(a, "--prompt-tokens") == 0) {
            prompt_tokens = atoi(argv[++i]);
        } else if (strcmp(a, "--decode-tokens") == 0) {
            decode_tokens = atoi(argv[++i]);
        } else if (strcmp(a, "--warmup") == 0) {
            warmup = atoi(argv[++i]);
        } else if (strcmp(a, "--speed") == 0) {
            speed = argv[++i];
        } else if (strcmp(a, "--timing") == 0) {
            timing = argv[++i];
        } else if (strcmp(a, "--link") == 0) {
            link = argv[++i];
        } else {
            usage();
        }
    }
    if ((!package) == (!profile) || prompt_tokens < 1 || decode_tokens < 1) {
        usage();
    }
    if (speed) {
        setenv("NPU4J_EMULATOR_SPEED", speed, 1);
    }
    /* A throughput benchmark: wake-up lateness of a loaded host is caught up (unless the caller says 0). */
    setenv("NPU4J_EMULATOR_CATCH_UP", "1", 0);
    if (timing) {
        setenv("NPU4J_EMULATOR_AXCL_PROFILE", timing, 1);
        if (!link && strcmp(timing, "native") == 0) {
            link = "native";
        }
    }
    if (link) {
        setenv("NPU4J_EMULATOR_AXCL_LINK", link, 1);
    }
    char tmp[] = "/tmp/npu4j-axllm-bench-XXXXXX";
    if (profile) {
        if (!out) {
            if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
            }
            out = tmp;
        }
        if (npu4j_emu_axllm_write_package(out, profile) != 0) {
            fprintf(stderr, "axllm_vendor_bench: %s\n", npu4j_emu_axllm_error());
            return 1;
        }
        package = out;
    }
    int rc = 1;
    struct axllm_vendor *r = NULL;
    axclrtDeviceList list;
    if (axclInit(NULL) != AXCL_SUCC || axclrtGetDeviceList(&list) != AXCL_SUCC || list.num < 1 ||
        axclrtSetDevice(list.devices[0]) != AXCL_SUCC || axclrtEngineInit(AXCL_VNPU_DISABLE) != AXCL_SUCC) {
        fprintf(stderr, "axllm_vendor_bench: AXCL initialisation failed\n");
        goto done;
    }
    if (axllm_vendor_open(&r, package) != 0) {
        goto done;
    }
    /* The emulator profile names its tokenizer; a foreign package gets the Qwen3 layout's. */
    const char *vocab = strstr(package, "tiny") || (profile && strcmp(profile, "tiny") == 0) ? "tiny" : "qwen3-0.6b";
    if (axllm_vendor_capacity(r) < prompt_tokens + decode_tokens) {
        fprintf(stderr, "axllm_vendor_bench: %d + %d tokens do not fit the context of %d\n", prompt_tokens,
                decode_tokens, axllm_vendor_capacity(r));
        goto done;
    }
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(prompt_tokens + 64));
    static const char HEAD[] = "<|im_start|>user\n", TAIL[] = "<|im_end|>\n<|im_start|>assistant\n";
    int32_t head[16], tail[16], body[512];
    int nh = npu4j_emu_axllm_encode(vocab, HEAD, head, 16), nt = npu4j_emu_axllm_encode(vocab, TAIL, tail, 16);
    int nb = npu4j_emu_axllm_encode(vocab, " Why does the NPU need its IRQ on a big core, and why is the link slow?",
                                    body, 512);
    if (!ids || nh < 1 || nt < 1 || nb < 1 || prompt_tokens < nh + nt + 1) {
        fprintf(stderr, "axllm_vendor_bench: cannot build a %d-token prompt\n", prompt_tokens);
        free(ids);
        goto done;
    }
    int n = 0;
    memcpy(ids, head, sizeof(int32_t) * (size_t)nh);
    n = nh;
    while (n < prompt_tokens - nt) {
        ids[n] = body[(n - nh) % nb];
        n++;
    }
    memcpy(ids + n, tail, sizeof(int32_t) * (size_t)nt);
    n += nt;

    /* Warm-up prefills: the emulator's first touch of its memory is host work a card does not do. */
    for (int w = 0; w < warmup; w++) {
        if (axllm_vendor_prefill(r, ids, n) < 0) {
            fprintf(stderr, "axllm_vendor_bench: prefill failed\n");
            free(ids);
            goto done;
        }
        axllm_vendor_reset(r);
    }
    int64_t c0[NKINDS], c1[NKINDS], c2[NKINDS];
    snap(c0);
    double t0 = now_ms();
    int tok = axllm_vendor_prefill(r, ids, n);
    double t1 = now_ms();
    snap(c1);
    free(ids);
    if (tok < 0) {
        fprintf(stderr, "axllm_vendor_bench: prefill failed\n");
        goto done;
    }
    for (int i = 0; i < decode_tokens && tok >= 0; i++) {
        tok = axllm_vendor_decode(r, tok);
    }
    double t2 = now_ms();
    snap(c2);
    if (tok < 0) {
        fprintf(stderr, "axllm_vendor_bench: decode failed\n");
        goto done;
    }
    int chunks = (n + axllm_vendor_chunk(r) - 1) / axllm_vendor_chunk(r);
    const char *sp = getenv("NPU4J_EMULATOR_SPEED");
    printf("{\"driver\":\"axllm_vendor_bench\",\"source\":\"npu4j AXCL emulator cost model (not hardware)\","
           "\"pattern\":\"ax-llm AXCL runner, mid-2025 (copy per layer)\",\"package\":\"%s\",\"layers\":%d,"
           "\"timing\":\"%s\",\"link\":\"%s\",\"speed\":%s,\"prompt_tokens\":%d,\"prefill_chunks\":%d,"
           "\"ttft_ms\":%.3f,\"prefill_tok_s\":%.3f,\"decode_tokens\":%d,\"decode_ms_per_token\":%.4f,"
           "\"decode_tok_s\":%.4f,\"catch_up\":%s,",
           package, axllm_vendor_layers(r), timing ? timing : "default", link ? link : "gen2x1", sp && *sp ? sp : "1",
           n, chunks, t1 - t0, n / ((t1 - t0) / 1e3), decode_tokens, (t2 - t1) / decode_tokens,
           decode_tokens / ((t2 - t1) / 1e3), strcmp(getenv("NPU4J_EMULATOR_CATCH_UP"), "1") == 0 ? "true" : "false");
    print_calls("calls_per_token", c1, c2, decode_tokens);
    printf(",");
    print_calls("calls_prefill_per_chunk", c0, c1, chunks);
    printf("}\n");
    rc = 0;
done:
    axllm_vendor_close(r);
    axclrtEngineFinalize();
    axclFinalize();
    if (profile && out == tmp) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        if (system(cmd) != 0) {
            fprintf(stderr, "axllm_vendor_bench: could not remove %s\n", tmp);
        }
    }
    return rc;
}
