/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * rkllm_stream_bench: the C reference for the cost of streaming tokens out of
 * librkllmrt.so. It loads an npu4j emulator model (1.3.0 ABI), turns the
 * emulated board delays off (NPU4J_EMULATOR_SPEED=0) and generates one long
 * answer, counting tokens and bytes in the result callback. What remains is
 * the runtime's per-token work plus one callback per token, the same path a
 * Java upcall takes; a JMH benchmark of the Java bindings is compared with
 * the number printed here:
 *
 *     tokens=100000 ns_per_token=123.4
 *
 * Usage: rkllm_stream_bench [--model PATH] [--tokens N] [--warmup N] [--ctx N] [--prompt TEXT]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rkllm.h"

typedef struct {
    long tokens;      /* NORMAL and WAITING callbacks carrying a token */
    long bytes;       /* bytes of the NORMAL texts */
    bool finished;
    bool failed;
    RKLLMPerfStat perf;
} stream_stats;

static int on_token(RKLLMResult *result, void *userdata, LLMCallState state)
{
    stream_stats *s = userdata;
    switch (state) {
    case RKLLM_RUN_NORMAL:
        s->tokens++;
        if (result->text != NULL) {
            s->bytes += (long)strlen(result->text);
        }
        break;
    case RKLLM_RUN_WAITING:
        s->tokens++; /* bytes held back; they arrive with the next NORMAL */
        break;
    case RKLLM_RUN_FINISH:
        s->finished = true;
        s->perf = result->perf;
        break;
    case RKLLM_RUN_ERROR:
        s->failed = true;
        break;
    }
    return 0;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long parse_count(const char *flag, const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0) {
        fprintf(stderr, "rkllm_stream_bench: %s needs a count >= 0, got '%s'\n", flag, v);
        exit(2);
    }
    return n;
}

/* One generation of exactly `tokens` tokens; returns the wall time in ns. */
static const char *prompt = "Write a very long story about rivers, boards and memory.";

static double stream(LLMHandle h, long tokens, stream_stats *s)
{
    memset(s, 0, sizeof *s);
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_PROMPT;
    in.prompt_input = prompt;
    RKLLMInferParam ip;
    memset(&ip, 0, sizeof ip);
    ip.mode = RKLLM_INFER_GENERATE;
    ip.keep_history = 0;
    ip.max_new_tokens = (int32_t)tokens;
    double t0 = now_ns();
    int rc = rkllm_run(h, &in, &ip, s);
    double t1 = now_ns();
    if (rc != 0 || s->failed || !s->finished) {
        fprintf(stderr, "rkllm_stream_bench: run failed (rc %d)\n", rc);
        exit(1);
    }
    return t1 - t0;
}

int main(int argc, char **argv)
{
    const char *model = NPU4J_EMU_DEFAULT_MODEL;
    long tokens = 100000;
    long warmup = 2000;
    long ctx = 4096;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--model") == 0) {
            model = argv[++i];
        } else if (i + 1 < argc && strcmp(argv[i], "--tokens") == 0) {
            tokens = parse_count("--tokens", argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--warmup") == 0) {
            warmup = parse_count("--warmup", argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--ctx") == 0) {
            ctx = parse_count("--ctx", argv[++i]);
        } else if (i + 1 < argc && strcmp(argv[i], "--prompt") == 0) {
            prompt = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: %s [--model PATH] [--tokens N] [--warmup N] [--ctx N] [--prompt TEXT]\n"
                    "  streams N tokens (default 100000) from an npu4j emulator model with\n"
                    "  NPU4J_EMULATOR_SPEED=0 and prints tokens=N ns_per_token=X\n",
                    argv[0]);
            return 2;
        }
    }
    if (tokens < 1 || tokens > 2000000000L) {
        fprintf(stderr, "rkllm_stream_bench: --tokens must be between 1 and 2e9\n");
        return 2;
    }
    /* No emulated board delays: measure the streaming path only. */
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);

    RKLLMParam param = rkllm_createDefaultParam();
    param.model_path = model;
    param.max_context_len = (int32_t)ctx;
    param.max_new_tokens = (int32_t)tokens;
    param.ignore_eos_token = true; /* one answer of exactly N tokens */
    param.skip_special_token = true;
    RKLLMCallback cb;
    memset(&cb, 0, sizeof cb);
    cb.result_callback = on_token;
    LLMHandle h = NULL;
    if (rkllm_init(&h, &param, &cb) != 0) {
        fprintf(stderr, "rkllm_stream_bench: rkllm_init failed for %s\n", model);
        return 1;
    }

    stream_stats s;
    if (warmup > 0) {
        stream(h, warmup, &s);
    }
    double ns = stream(h, tokens, &s);
    if (s.tokens != tokens) {
        fprintf(stderr, "rkllm_stream_bench: expected %ld tokens, got %ld\n", tokens, s.tokens);
        rkllm_destroy(h);
        return 1;
    }
    fprintf(stderr,
            "rkllm_stream_bench: model %s, %ld tokens, %ld bytes in %.1f ms "
            "(prefill %d tokens; runtime says %.1f ms generating)\n",
            model, s.tokens, s.bytes, ns / 1e6, s.perf.prefill_tokens,
            (double)s.perf.generate_time_ms);
    printf("tokens=%ld ns_per_token=%.1f\n", s.tokens, ns / (double)s.tokens);
    fflush(stdout);
    rkllm_destroy(h);
    return 0;
}
