/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the C tests of the npu4j RKLLM emulator (rkllm_test_*.c): the
 * assertions, the callback collector, handle and temp-file helpers, and the
 * runner. Every test program is compiled once per ABI (the include path selects
 * include/rkllm/v1_2 or v1_3) and linked against the matching librkllmrt.so;
 * each ctest case runs one named test in one program:
 *
 *     npu4j_rkllm_emu_test_run_v1_3 basic_run    (or "all")
 *
 * The suite runs with NPU4J_EMULATOR_SPEED=0 (no board delays); the tests that
 * need time set it themselves.
 */
#ifndef NPU4J_RKLLM_TEST_H
#define NPU4J_RKLLM_TEST_H

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rkllm.h"

/* npu4j introspection functions of the emulator. */
extern long npu4j_emulator_live_allocations(void);
extern const char *npu4j_emulator_version(void);

#define ABI13 (NPU4J_RKLLM_ABI_MINOR >= 3)
#define MODEL_06B NPU4J_EMU_MODELS_DIR "/rk3588-qwen3-0.6b-w8a8.model"
#define MODEL_17B NPU4J_EMU_MODELS_DIR "/rk3588-qwen3-1.7b-w8a8.model"
#define MODEL_3576 NPU4J_EMU_MODELS_DIR "/rk3576-qwen3-0.6b-w4a16.model"
#define MODEL_VL NPU4J_EMU_MODELS_DIR "/rk3588-qwen3-vl-2b-w8a8.model"
#define LORA_PIRATE NPU4J_EMU_MODELS_DIR "/qwen3-0.6b-pirate.lora"
#define LORA_FORMAL NPU4J_EMU_MODELS_DIR "/qwen3-0.6b-formal.lora"

/* The running test's name, and its private temp directory. */
extern const char *g_test;
extern char g_tmp[512];

/* ------------------------------------------------------------ assertions */

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "FAIL %s (%s:%d): %s: ", g_test, __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fprintf(stderr, "\n");                                                           \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                   \
    CHECK((long long)(a) == (long long)(b), "%s = %lld, expected %lld", #a, (long long)(a),  \
          (long long)(b))

/* --------------------------------------------------------- the collector */

#define MAX_SLOTS 4

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *text[MAX_SLOTS];       /* concatenated NORMAL texts */
    size_t len[MAX_SLOTS];
    int n_calls, n_normal, n_waiting, n_finish, n_error, after_terminal;
    int tokens;                  /* NORMAL/WAITING callbacks with a token */
    int waiting_with_text;       /* WAITING callbacks whose text was not empty */
    int invalid_normal;          /* NORMAL texts that were not valid UTF-8 alone */
    int waiting_then_normal;     /* a WAITING directly followed by NORMAL */
    int prev_state;
    bool done;
    RKLLMPerfStat perf;
    pthread_t thread;
    bool thread_seen;
    bool thread_changed;
    cpu_set_t cpus;
    bool cpus_seen;
    int running_in_cb;           /* rkllm_is_running() seen inside a callback */
    LLMHandle handle;            /* for rkllm_is_running() in the callback */
    int pause_at;                /* return 1 at this token (1-based), 0: never */
    int release_buffers;         /* return 2 on callbacks with buffers */
    int n_slots_seen;
    /* hidden states / logits */
    int hidden_calls, hidden_tokens, hidden_embd;
    double hidden_sum;
    bool hidden_finite;
    int logits_calls, logits_rows_first, logits_vocab;
    int logits_argmax_last_row;  /* of the first logits callback */
    int first_token_id;          /* token of the first NORMAL/WAITING with a token */
    int logits_single_rows;      /* later callbacks with exactly one row */
    double t_first_token;
    int batch;                   /* number of results per callback */
} collector;

/* --------------------------------------------------------------- timing */

double now_ms(void);
void sleep_ms(int ms);

/* ------------------------------------------------------------ UTF-8 check */

bool utf8_valid(const char *s, size_t n);
void count_scripts(const char *s, int *latin, int *cyrillic, int *cjk);

/* The collector's life; on_result is the result callback that fills it. */
void collector_init(collector *c, int batch);
void collector_reset(collector *c);
void collector_free(collector *c);
const char *text_of(collector *c, int slot);
void append(collector *c, int slot, const char *s);
int on_result(RKLLMResult *results, void *userdata, LLMCallState state);
void wait_done(collector *c, int timeout_ms);
int tokens_now(collector *c);

/* --------------------------------------------------------- handle helpers */

int init_handle(LLMHandle *h, RKLLMParam *p, collector *c);
LLMHandle open_model(const char *path, RKLLMParam *custom, collector *c);
void close_model(LLMHandle h);
RKLLMInput prompt_input(const char *text);
RKLLMInferParam infer_default(void);
int run_prompt(LLMHandle h, collector *c, const char *text, RKLLMInferParam *ip);
int kv_size(LLMHandle h);

/* ------------------------------------------------------------ temp files */

void tmp_path(char *out, size_t cap, const char *name);
void write_file(const char *path, const void *data, size_t n);
char *read_file(const char *path, size_t *len);
const char *temp_model(const char *name, const char *eos, const char *answer, int split,
                       const char *script, int ctx_limit);
char *capture_stderr(void (*fn)(void *), void *arg);

/* ------------------------------------------------------------ the runner */

typedef struct {
    const char *name;
    void (*fn)(void);
} test_entry;

/* main() of a test program: runs the test named by argv[1] ("all": every
 * one) in a private temp directory; 0 when it passed, 2 for an unknown name
 * (a failed check exits 1). */
int rkllm_test_main(int argc, char **argv, const test_entry *tests, size_t n_tests);

#define RKLLM_TEST_MAIN(table)                                                                \
    int main(int argc, char **argv)                                                          \
    {                                                                                        \
        return rkllm_test_main(argc, argv, table, sizeof table / sizeof table[0]);           \
    }

#endif /* NPU4J_RKLLM_TEST_H */
