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
 *                      [--prompt-tokens N | --prompt-ids FILE] [--runs N] [--decode-tokens N]
 *                      [--warmup N] [--speed S]
 *                      [--timing default|tuned|native] [--link gen2x1|gen2x2|native|slow]
 *
 * --profile writes the emulated package first (into --out, else a temporary
 * directory removed at the end). --timing and --link set
 * NPU4J_EMULATOR_AXCL_PROFILE / _LINK (--timing native implies --link native);
 * --speed sets NPU4J_EMULATOR_SPEED (default: the environment's, else 1).
 * NPU4J_EMULATOR_CATCH_UP is set to 1 unless the environment sets it (a late
 * wake-up of a loaded host is caught up by the next waits; run the npu4j side
 * of a comparison with the same setting).
 * The prompt is a ChatML user turn cut to exactly N tokens (default 128), or
 * each line of --prompt-ids FILE (token ids separated by spaces or commas: the
 * very prompts another runner prefilled, e.g. npu4j bench's); --runs N
 * (default 1) measures every prompt N times, from an empty KV cache each.
 * Decoding feeds the greedy token N times (default 64), stop token or not.
 * --warmup N (default 1) runs N unmeasured generations of the first prompt
 * first (the emulator's first touch of its memory is host work a card does
 * not do). TTFT is the prefill call (embedding rows to first sampled token);
 * decode tok/s is N over the decode loop; the top-level figures are means over
 * the measured generations ("runs" lists each); calls per token are the
 * emulator's per-kind counters over every decode loop divided by the tokens
 * fed, per chunk over every prefill. All figures come from the emulator's cost
 * model (the JSON says so), not from hardware.
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
                    "                          [--prompt-tokens N | --prompt-ids FILE] [--runs N] [--decode-tokens N]\n"
                    "                          [--warmup N] [--speed S]\n"
                    "                          [--timing default|tuned|native] [--link gen2x1|gen2x2|native|slow]\n");
    exit(2);
}

#define MAX_PROMPTS 256

struct prompt {
    int32_t *ids;
    int n;
};

/* Reads one prompt per non-empty line: token ids separated by spaces or commas. Returns the count or -1. */
static int read_prompts(const char *path, struct prompt *out, int max) {
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    int count = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        int n = 0, size = 64;
        int32_t *ids = malloc(sizeof(int32_t) * (size_t)size);
        char *p = line;
        while (ids && *p) {
            while (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n' || *p == '\r') {
                p++;
            }
            if (!*p) {
                break;
            }
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p || v < 0 || v > INT32_MAX) {
                fprintf(stderr, "axllm_vendor_bench: %s line %d: \"%.*s\" is not a token id\n", path, count + 1,
                        (int)strcspn(p, " ,\t\r\n"), p);
                free(ids);
                ids = NULL;
                break;
            }
            if (n == size) {
                size *= 2;
                int32_t *grown = realloc(ids, sizeof(int32_t) * (size_t)size);
                if (!grown) {
                    free(ids);
                    ids = NULL;
                    break;
                }
                ids = grown;
            }
            ids[n++] = (int32_t)v;
            p = end;
        }
        if (!ids) {
            count = -1;
            break;
        }
        if (n == 0) {
            free(ids);
            continue;
        }
        if (count == max) {
            fprintf(stderr, "axllm_vendor_bench: %s: more than %d prompts\n", path, max);
            free(ids);
            count = -1;
            break;
        }
        out[count].ids = ids;
        out[count].n = n;
        count++;
    }
    free(line);
    fclose(f);
    if (count < 0) {
        for (int i = 0; i < max && out[i].ids; i++) {
            free(out[i].ids);
            out[i].ids = NULL;
        }
    } else if (count == 0) {
        fprintf(stderr, "axllm_vendor_bench: %s holds no prompt\n", path);
        return -1;
    }
    return count;
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
    const char *prompt_file = NULL;
    int prompt_tokens = 128, decode_tokens = 64, warmup = 1, runs = 1;
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
        } else if (strcmp(a, "--prompt-ids") == 0) {
            prompt_file = argv[++i];
        } else if (strcmp(a, "--runs") == 0) {
            runs = atoi(argv[++i]);
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
    if ((!package) == (!profile) || prompt_tokens < 1 || decode_tokens < 1 || runs < 1 || warmup < 0) {
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
    struct prompt prompts[MAX_PROMPTS] = {{0}};
    int nprompts = 0;
    if (prompt_file) {
        nprompts = read_prompts(prompt_file, prompts, MAX_PROMPTS);
        if (nprompts < 0) {
            goto done;
        }
    } else {
        /* The emulator profile names its tokenizer; a foreign package gets the Qwen3 layout's. */
        const char *vocab = strstr(package, "tiny") || (profile && strcmp(profile, "tiny") == 0) ? "tiny" : "qwen3-0.6b";
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
        prompts[0].ids = ids;
        prompts[0].n = n;
        nprompts = 1;
    }
    for (int i = 0; i < nprompts; i++) {
        if (axllm_vendor_capacity(r) < prompts[i].n + decode_tokens) {
            fprintf(stderr, "axllm_vendor_bench: %d + %d tokens do not fit the context of %d\n", prompts[i].n,
                    decode_tokens, axllm_vendor_capacity(r));
            goto free_prompts;
        }
    }

    /* Warm-up generations: the emulator's first touch of its memory is host work a card does not do. */
    for (int w = 0; w < warmup; w++) {
        int tok = axllm_vendor_prefill(r, prompts[0].ids, prompts[0].n);
        for (int i = 0; i < decode_tokens && tok >= 0; i++) {
            tok = axllm_vendor_decode(r, tok);
        }
        axllm_vendor_reset(r);
        if (tok < 0) {
            fprintf(stderr, "axllm_vendor_bench: warm-up generation failed\n");
            goto free_prompts;
        }
    }
    int total = runs * nprompts;
    double *ttft = calloc((size_t)total, sizeof(double)), *decode = calloc((size_t)total, sizeof(double));
    int64_t prefill_calls[NKINDS] = {0}, decode_calls[NKINDS] = {0};
    long chunks = 0;
    long prompt_sum = 0;
    if (!ttft || !decode) {
        free(ttft);
        free(decode);
        goto free_prompts;
    }
    for (int k = 0; k < total; k++) {
        const struct prompt *pr = &prompts[k % nprompts];
        int64_t c0[NKINDS], c1[NKINDS], c2[NKINDS];
        axllm_vendor_reset(r);
        snap(c0);
        double t0 = now_ms();
        int tok = axllm_vendor_prefill(r, pr->ids, pr->n);
        double t1 = now_ms();
        snap(c1);
        if (tok < 0) {
            fprintf(stderr, "axllm_vendor_bench: prefill failed\n");
            free(ttft);
            free(decode);
            goto free_prompts;
        }
        for (int i = 0; i < decode_tokens && tok >= 0; i++) {
            tok = axllm_vendor_decode(r, tok);
        }
        double t2 = now_ms();
        snap(c2);
        if (tok < 0) {
            fprintf(stderr, "axllm_vendor_bench: decode failed\n");
            free(ttft);
            free(decode);
            goto free_prompts;
        }
        ttft[k] = t1 - t0;
        decode[k] = decode_tokens / ((t2 - t1) / 1e3);
        for (int j = 0; j < NKINDS; j++) {
            prefill_calls[j] += c1[j] - c0[j];
            decode_calls[j] += c2[j] - c1[j];
        }
        chunks += (pr->n + axllm_vendor_chunk(r) - 1) / axllm_vendor_chunk(r);
        prompt_sum += pr->n;
    }
    double ttft_mean = 0, decode_mean = 0;
    for (int k = 0; k < total; k++) {
        ttft_mean += ttft[k] / total;
        decode_mean += decode[k] / total;
    }
    const char *sp = getenv("NPU4J_EMULATOR_SPEED");
    int64_t zero[NKINDS] = {0};
    printf("{\"driver\":\"axllm_vendor_bench\",\"source\":\"npu4j AXCL emulator cost model (not hardware)\","
           "\"pattern\":\"ax-llm AXCL runner, mid-2025 (copy per layer)\",\"package\":\"%s\",\"layers\":%d,"
           "\"timing\":\"%s\",\"link\":\"%s\",\"speed\":%s,\"prompt_tokens\":%ld,\"prefill_chunks\":%ld,"
           "\"ttft_ms\":%.3f,\"prefill_tok_s\":%.3f,\"decode_tokens\":%d,\"decode_ms_per_token\":%.4f,"
           "\"decode_tok_s\":%.4f,\"catch_up\":%s,\"warmup\":%d,\"generations\":%d,",
           package, axllm_vendor_layers(r), timing ? timing : "default", link ? link : "gen2x1", sp && *sp ? sp : "1",
           prompt_sum / total, chunks / total, ttft_mean, (prompt_sum / (double)total) / (ttft_mean / 1e3),
           decode_tokens, 1e3 / decode_mean, decode_mean,
           strcmp(getenv("NPU4J_EMULATOR_CATCH_UP"), "1") == 0 ? "true" : "false", warmup, total);
    print_calls("calls_per_token", zero, decode_calls, (double)decode_tokens * total);
    printf(",");
    print_calls("calls_prefill_per_chunk", zero, prefill_calls, (double)chunks);
    printf(",\"runs\":[");
    for (int k = 0; k < total; k++) {
        printf("%s{\"prompt\":%d,\"prompt_tokens\":%d,\"ttft_ms\":%.3f,\"decode_tok_s\":%.4f}", k ? "," : "",
               k % nprompts, prompts[k % nprompts].n, ttft[k], decode[k]);
    }
    printf("]}\n");
    free(ttft);
    free(decode);
    rc = 0;
free_prompts:
    for (int i = 0; i < nprompts; i++) {
        free(prompts[i].ids);
    }
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
