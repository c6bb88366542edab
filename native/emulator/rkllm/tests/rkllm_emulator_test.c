/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Tests of the npu4j RKLLM emulator, compiled once per ABI (the include path
 * selects include/rkllm/v1_2 or v1_3) and linked against the matching
 * librkllmrt.so. Each ctest case runs one named test:
 *
 *     npu4j_rkllm_emu_test_v1_3 basic_run
 *
 * The suite runs with NPU4J_EMULATOR_SPEED=0 (no board delays); the tests
 * that need time set it themselves.
 */
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

static const char *g_test = "?";
static char g_tmp[512];

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

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ UTF-8 check */

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) {
            return false;
        }
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += len;
    }
    return true;
}

/* Counts characters of each script in valid UTF-8 text. */
static void count_scripts(const char *s, int *latin, int *cyrillic, int *cjk)
{
    *latin = *cyrillic = *cjk = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (*u != 0) {
        unsigned cp;
        int len;
        if (u[0] < 0x80) {
            cp = u[0];
            len = 1;
        } else if (u[0] < 0xe0) {
            cp = ((u[0] & 0x1fu) << 6) | (u[1] & 0x3fu);
            len = 2;
        } else if (u[0] < 0xf0) {
            cp = ((u[0] & 0x0fu) << 12) | ((u[1] & 0x3fu) << 6) | (u[2] & 0x3fu);
            len = 3;
        } else {
            cp = 0x1f600;
            len = 4;
        }
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
            (*latin)++;
        } else if (cp >= 0x400 && cp <= 0x4ff) {
            (*cyrillic)++;
        } else if (cp >= 0x4e00 && cp <= 0x9fff) {
            (*cjk)++;
        }
        u += len;
    }
}

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

static void collector_init(collector *c, int batch)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->prev_state = -1;
    c->hidden_finite = true;
    c->first_token_id = -1;
    c->logits_argmax_last_row = -2;
    c->batch = batch < 1 ? 1 : batch;
}

static void collector_reset(collector *c)
{
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < MAX_SLOTS; i++) {
        free(c->text[i]);
        c->text[i] = NULL;
        c->len[i] = 0;
    }
    int pause_at = c->pause_at, release = c->release_buffers, batch = c->batch;
    LLMHandle h = c->handle;
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    collector_init(c, batch);
    c->pause_at = pause_at;
    c->release_buffers = release;
    c->handle = h;
}

static void collector_free(collector *c)
{
    for (int i = 0; i < MAX_SLOTS; i++) {
        free(c->text[i]);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

static const char *text_of(collector *c, int slot)
{
    return c->text[slot] != NULL ? c->text[slot] : "";
}

static void append(collector *c, int slot, const char *s)
{
    size_t n = strlen(s);
    c->text[slot] = realloc(c->text[slot], c->len[slot] + n + 1);
    memcpy(c->text[slot] + c->len[slot], s, n + 1);
    c->len[slot] += n;
}

static int on_result(RKLLMResult *results, void *userdata, LLMCallState state)
{
    collector *c = userdata;
    pthread_mutex_lock(&c->mu);
    c->n_calls++;
    if (c->done) {
        c->after_terminal++;
    }
    if (!c->thread_seen) {
        c->thread = pthread_self();
        c->thread_seen = true;
    } else if (!pthread_equal(c->thread, pthread_self())) {
        c->thread_changed = true;
    }
    if (!c->cpus_seen) {
        CPU_ZERO(&c->cpus);
        sched_getaffinity(0, sizeof c->cpus, &c->cpus);
        c->cpus_seen = true;
    }
    if (c->handle != NULL) {
        int r = rkllm_is_running(c->handle);
        c->running_in_cb = ABI13 ? (r == 1) : (r == 0);
    }
    int ret = 0;
    RKLLMResult *r = &results[0];
    switch (state) {
    case RKLLM_RUN_NORMAL:
        c->n_normal++;
        if (c->prev_state == RKLLM_RUN_WAITING) {
            c->waiting_then_normal++;
        }
        for (int i = 0; i < c->batch; i++) {
            if (results[i].text != NULL) {
                if (!utf8_valid(results[i].text, strlen(results[i].text))) {
                    c->invalid_normal++;
                }
                append(c, i, results[i].text);
            }
        }
        if (r->last_hidden_layer.hidden_states != NULL) {
            c->hidden_calls++;
            c->hidden_tokens = r->last_hidden_layer.num_tokens;
            c->hidden_embd = r->last_hidden_layer.embd_size;
            size_t n = (size_t)c->hidden_tokens * (size_t)c->hidden_embd;
            for (size_t i = 0; i < n; i++) {
                float f = r->last_hidden_layer.hidden_states[i];
                c->hidden_finite = c->hidden_finite && isfinite(f);
                c->hidden_sum += f * (double)(i % 7 + 1);
            }
            if (c->release_buffers) {
                ret = 2;
            }
        }
        if (r->logits.logits != NULL) {
            c->logits_calls++;
            if (c->logits_calls == 1) {
                c->logits_rows_first = r->logits.num_tokens;
                c->logits_vocab = r->logits.vocab_size;
                const float *row = r->logits.logits +
                                   (size_t)(r->logits.num_tokens - 1) * (size_t)r->logits.vocab_size;
                int best = 0;
                for (int v = 1; v < r->logits.vocab_size; v++) {
                    if (row[v] > row[best]) {
                        best = v;
                    }
                }
                c->logits_argmax_last_row = best;
            } else if (r->logits.num_tokens == 1) {
                c->logits_single_rows++;
            }
            if (c->release_buffers) {
                ret = 2;
            }
        }
        break;
    case RKLLM_RUN_WAITING:
        c->n_waiting++;
        if (r->text != NULL && r->text[0] != '\0') {
            c->waiting_with_text++;
        }
        break;
    case RKLLM_RUN_FINISH:
        c->n_finish++;
        c->perf = r->perf;
        c->done = true;
        pthread_cond_broadcast(&c->cv);
        break;
    case RKLLM_RUN_ERROR:
        c->n_error++;
        c->done = true;
        pthread_cond_broadcast(&c->cv);
        break;
    }
    if ((state == RKLLM_RUN_NORMAL || state == RKLLM_RUN_WAITING) && r->token_id >= 0) {
        c->tokens++;
        if (c->first_token_id < 0) {
            c->first_token_id = r->token_id;
            c->t_first_token = now_ms();
        }
        if (c->pause_at > 0 && c->tokens == c->pause_at) {
            ret = 1;
        }
    }
    c->prev_state = (int)state;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return ret;
}

static void wait_done(collector *c, int timeout_ms)
{
    double end = now_ms() + timeout_ms;
    pthread_mutex_lock(&c->mu);
    while (!c->done && now_ms() < end) {
        pthread_mutex_unlock(&c->mu);
        sleep_ms(2);
        pthread_mutex_lock(&c->mu);
    }
    bool done = c->done;
    pthread_mutex_unlock(&c->mu);
    CHECK(done, "no FINISH/ERROR within %d ms", timeout_ms);
}

static int tokens_now(collector *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->tokens;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* --------------------------------------------------------- handle helpers */

static int init_handle(LLMHandle *h, RKLLMParam *p, collector *c)
{
#if ABI13
    RKLLMCallback cb;
    memset(&cb, 0, sizeof cb);
    cb.result_callback = on_result;
    cb.result_userdata = c;
    return rkllm_init(h, p, &cb);
#else
    (void)c;
    return rkllm_init(h, p, on_result);
#endif
}

static LLMHandle open_model(const char *path, RKLLMParam *custom, collector *c)
{
    RKLLMParam p = custom != NULL ? *custom : rkllm_createDefaultParam();
    p.model_path = path;
    if (custom == NULL) {
        p.max_context_len = 2048;
        p.max_new_tokens = 256;
    }
    LLMHandle h = NULL;
    int rc = init_handle(&h, &p, c);
    CHECK(rc == 0 && h != NULL, "rkllm_init(%s) failed: %d", path, rc);
    return h;
}

static void close_model(LLMHandle h)
{
    CHECK_EQ_INT(rkllm_destroy(h), 0);
}

static RKLLMInput prompt_input(const char *text)
{
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_PROMPT;
    in.prompt_input = text;
    return in;
}

static RKLLMInferParam infer_default(void)
{
    RKLLMInferParam ip;
    memset(&ip, 0, sizeof ip);
    ip.mode = RKLLM_INFER_GENERATE;
    return ip;
}

/* Runs a prompt synchronously with a fresh collector state. */
static int run_prompt(LLMHandle h, collector *c, const char *text, RKLLMInferParam *ip)
{
    collector_reset(c);
    RKLLMInput in = prompt_input(text);
    RKLLMInferParam def = infer_default();
    int rc = rkllm_run(h, &in, ip != NULL ? ip : &def, c);
    CHECK(c->done, "rkllm_run returned %d before FINISH/ERROR", rc);
    return rc;
}

static int kv_size(LLMHandle h)
{
    int sizes[MAX_SLOTS] = {-1, -1, -1, -1};
    CHECK_EQ_INT(rkllm_get_kv_cache_size(h, sizes), 0);
    return sizes[0];
}

/* ------------------------------------------------------------ temp files */

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_tmp, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
    CHECK(fwrite(data, 1, n, f) == n, "short write to %s", path);
    fclose(f);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    b[got] = '\0';
    if (len != NULL) {
        *len = got;
    }
    return b;
}

/* A descriptor like the 0.6B one with chosen generation behaviour. */
static const char *temp_model(const char *name, const char *eos, const char *answer, int split,
                              const char *script, int ctx_limit)
{
    static char path[640];
    tmp_path(path, sizeof path, name);
    char text[2048];
    snprintf(text, sizeof text,
             "npu4j-emulator-model rkllm 1\n"
             "# written by the emulator tests\n"
             "profile = test-%s\nname = Qwen3-0.6B\nplatform = RK3588\ndtype = W8A8\n"
             "max_context_limit = %d\nhidden_size = 1024\nvocab_size = 151936\n"
             "eos_token_id = 151645\nttft_ms_per_128 = 199\ndecode_tok_s = 32.91\n"
             "memory_mb = 791\nload_ms = 1200\nscript = %s\neos = %s\nanswer_tokens = %s\n"
             "split_utf8_percent = %d\nemoji_percent = 10\nthinking = yes\ntool_calls = qwen\n"
             "chat_system = \"\"\nchat_prefix = \"<|im_start|>user\\n\"\n"
             "chat_postfix = \"<|im_end|>\\n<|im_start|>assistant\\n\"\n",
             name, ctx_limit, script, eos, answer, split);
    write_file(path, text, strlen(text));
    return path;
}

/* Runs fn with stderr redirected to a file; returns what was written. */
static char *capture_stderr(void (*fn)(void *), void *arg)
{
    char path[640];
    tmp_path(path, sizeof path, "stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && saved >= 0, "cannot redirect stderr");
    dup2(fd, 2);
    close(fd);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *out = read_file(path, NULL);
    fputs(out != NULL ? out : "", stderr); /* keep it visible in the test log */
    return out;
}

/* ================================================================ tests */

static void test_exports(void)
{
    CHECK(dlsym(RTLD_DEFAULT, "rkllm_init") != NULL, "rkllm_init not exported");
    CHECK(dlsym(RTLD_DEFAULT, "rkllm_createDefaultParam") != NULL, "createDefaultParam");
    CHECK(dlsym(RTLD_DEFAULT, "rkllm_set_function_tools") != NULL, "set_function_tools");
    CHECK(dlsym(RTLD_DEFAULT, "npu4j_emulator_live_allocations") != NULL, "live count");
    const char *hidden[] = {"emu_malloc", "emu_tokenize", "emu_model_load", "ej_parse",
                            "emu_log", "emu_gen_next"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        CHECK(dlsym(RTLD_DEFAULT, hidden[i]) == NULL, "internal symbol %s is exported",
              hidden[i]);
    }
}

static void test_version_string(void)
{
    const char *want = ABI13 ? "rkllm-runtime version: 1.3.0 (npu4j emulator)"
                             : "rkllm-runtime version: 1.2.3 (npu4j emulator)";
    CHECK(strcmp(npu4j_emulator_version(), want) == 0, "version is '%s'",
          npu4j_emulator_version());
    /* The Java side scans the library file for the text: it must be there. */
    Dl_info info;
    CHECK(dladdr((void *)rkllm_init, &info) != 0 && info.dli_fname != NULL, "dladdr");
    size_t n = 0;
    char *lib = read_file(info.dli_fname, &n);
    CHECK(lib != NULL, "cannot read %s", info.dli_fname);
    CHECK(memmem(lib, n, want, strlen(want)) != NULL, "'%s' not found in %s", want,
          info.dli_fname);
    const char *other = ABI13 ? "rkllm-runtime version: 1.2.3" : "rkllm-runtime version: 1.3.0";
    CHECK(memmem(lib, n, other, strlen(other)) == NULL, "the other ABI's version is in %s",
          info.dli_fname);
    free(lib);
}

static void test_default_param(void)
{
    RKLLMParam p = rkllm_createDefaultParam();
    CHECK(p.model_path == NULL, "model_path");
    CHECK(p.max_context_len > 0, "max_context_len %d", p.max_context_len);
    CHECK_EQ_INT(p.top_k, 40);
    CHECK(fabsf(p.top_p - 0.9f) < 1e-6f, "top_p");
    CHECK(fabsf(p.temperature - 0.8f) < 1e-6f, "temperature");
    CHECK(fabsf(p.repeat_penalty - 1.1f) < 1e-6f, "repeat_penalty");
    CHECK_EQ_INT(p.extend_param.n_batch, 1);
    CHECK_EQ_INT(p.extend_param.enabled_cpus_mask, 0);
    CHECK(!p.is_async, "is_async");
}

static int try_init(const char *path)
{
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.model_path = path;
    LLMHandle h = (LLMHandle)0x1; /* must be reset to NULL on failure */
    int rc = init_handle(&h, &p, &c);
    CHECK(rc != 0, "init of '%s' succeeded", path != NULL ? path : "(NULL)");
    CHECK(h == NULL, "handle not NULL after failed init of '%s'", path ? path : "(NULL)");
    collector_free(&c);
    return rc;
}

static void init_missing(void *arg)
{
    try_init(arg);
}

static void test_bad_model_paths(void)
{
    char path[640];
    try_init(NULL);

    tmp_path(path, sizeof path, "does-not-exist.model");
    char *err = capture_stderr(init_missing, path);
    CHECK(err != NULL && strstr(err, path) != NULL, "message does not name the path: %s", err);
    CHECK(strstr(err, "npu4j-emulator-model rkllm 1") != NULL, "message does not say what was "
                                                                "expected: %s",
          err);
    free(err);

    try_init(g_tmp); /* a directory */

    tmp_path(path, sizeof path, "empty.model");
    write_file(path, "", 0);
    try_init(path);

    tmp_path(path, sizeof path, "garbage.model");
    const char *garbage = "hello, this is not a model\nkey = value\n";
    write_file(path, garbage, strlen(garbage));
    try_init(path);

    /* A binary file named like a real model. */
    tmp_path(path, sizeof path, "Qwen3-0.6B_W8A8_RK3588.rkllm");
    unsigned char bin[4096];
    for (size_t i = 0; i < sizeof bin; i++) {
        bin[i] = (unsigned char)(i * 7 + (i >> 3));
    }
    memcpy(bin, "RKLLM\0\1\0", 8);
    write_file(path, bin, sizeof bin);
    err = capture_stderr(init_missing, path);
    CHECK(strstr(err, "binary") != NULL && strstr(err, "emulator") != NULL,
          "message for a real model does not explain: %s", err);
    free(err);

    /* The magic followed by an unknown key, a bad value, a missing key. */
    tmp_path(path, sizeof path, "unknown-key.model");
    const char *unk = "npu4j-emulator-model rkllm 1\nname = X\nplatform = RK3588\n"
                      "hidden_size = 8\nvocab_size = 2048\nttft_ms_per_128 = 1\n"
                      "decode_tok_s = 1\nmemory_mb = 1\nflux_capacitor = on\n";
    write_file(path, unk, strlen(unk));
    try_init(path);
    tmp_path(path, sizeof path, "bad-value.model");
    const char *bad = "npu4j-emulator-model rkllm 1\nname = X\nplatform = RK3588\n"
                      "hidden_size = big\nvocab_size = 2048\nttft_ms_per_128 = 1\n"
                      "decode_tok_s = 1\nmemory_mb = 1\n";
    write_file(path, bad, strlen(bad));
    try_init(path);
    tmp_path(path, sizeof path, "missing-key.model");
    const char *miss = "npu4j-emulator-model rkllm 1\nname = X\nplatform = RK3588\n"
                       "hidden_size = 8\nvocab_size = 2048\nttft_ms_per_128 = 1\n"
                       "memory_mb = 1\n";
    write_file(path, miss, strlen(miss));
    try_init(path);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);

    /* Bad parameters with a good model. */
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.model_path = MODEL_06B;
    p.max_context_len = 100000; /* above the model's max_context_limit */
    LLMHandle h = (LLMHandle)0x1;
    CHECK(init_handle(&h, &p, &c) != 0 && h == NULL, "max_context_len above the limit");
    p.max_context_len = 0;
    h = (LLMHandle)0x1;
    CHECK(init_handle(&h, &p, &c) != 0 && h == NULL, "max_context_len 0");
    CHECK(rkllm_destroy(NULL) != 0, "destroy(NULL)");
    CHECK(rkllm_run(NULL, NULL, NULL, NULL) != 0, "run(NULL)");
    collector_free(&c);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
}

static void test_fail_init(void)
{
    setenv("NPU4J_EMULATOR_FAIL_INIT", "1", 1);
    try_init(MODEL_06B);
    unsetenv("NPU4J_EMULATOR_FAIL_INIT");
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    close_model(h);
    collector_free(&c);
}

static void test_basic_run(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    int rc = run_prompt(h, &c, "Tell me something about rivers and stones.", NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(c.n_finish, 1);
    CHECK_EQ_INT(c.n_error, 0);
    CHECK_EQ_INT(c.after_terminal, 0);
    CHECK(c.n_normal > 5, "only %d NORMAL callbacks", c.n_normal);
    CHECK(strlen(text_of(&c, 0)) > 20, "short answer '%s'", text_of(&c, 0));
    CHECK(c.thread_seen && !pthread_equal(c.thread, pthread_self()),
          "callbacks must come from the runtime thread");
    CHECK(!c.thread_changed, "callbacks came from several threads");
    CHECK(c.perf.prefill_tokens > 5, "prefill_tokens %d", c.perf.prefill_tokens);
    CHECK_EQ_INT(c.perf.generate_tokens, c.tokens);
    CHECK(fabsf(c.perf.memory_usage_mb - 791.0f) < 0.01f, "memory %f", c.perf.memory_usage_mb);
    CHECK(c.perf.prefill_time_ms >= 0 && c.perf.generate_time_ms >= 0, "times");
    /* The answer ends by itself (EOS) before max_new_tokens = 256. */
    CHECK(c.tokens < 256, "no EOS: %d tokens", c.tokens);
    fprintf(stderr, "answer: %s\n", text_of(&c, 0));
    close_model(h);
    collector_free(&c);
}

static void test_deterministic(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "What is the fastest way to cross a river?";
    run_prompt(h, &c, q, NULL);
    char *a = strdup(text_of(&c, 0));
    run_prompt(h, &c, q, NULL);
    CHECK(strcmp(a, text_of(&c, 0)) == 0, "same prompt, different answers");
    run_prompt(h, &c, "What is the slowest way to cross a river?", NULL);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "different prompts, same answer");
    close_model(h);

    /* A new handle gives the same answer; another temperature does not. */
    h = open_model(MODEL_06B, NULL, &c);
    run_prompt(h, &c, q, NULL);
    CHECK(strcmp(a, text_of(&c, 0)) == 0, "same prompt on a new handle, different answer");
    close_model(h);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 2048;
    p.max_new_tokens = 256;
    p.temperature = 0.3f;
    h = open_model(MODEL_06B, &p, &c);
    run_prompt(h, &c, q, NULL);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "temperature does not change the answer");
    close_model(h);
    free(a);
    collector_free(&c);
}

/* Shared body of the UTF-8 tests: long answers, many split characters. */
static void utf8_case(const char *prompt, int want_script, bool need_waiting)
{
    collector c;
    collector_init(&c, 1);
    const char *model = temp_model("utf8.model", "natural", "300..400", 35, "auto", 4096);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 2048;
    p.max_new_tokens = 600;
    LLMHandle h = open_model(model, &p, &c);
    for (int round = 0; round < 3; round++) {
        char q[512];
        snprintf(q, sizeof q, "%s (%d)", prompt, round);
        CHECK_EQ_INT(run_prompt(h, &c, q, NULL), 0);
        const char *t = text_of(&c, 0);
        CHECK(utf8_valid(t, strlen(t)), "concatenated NORMAL texts are not valid UTF-8");
        CHECK_EQ_INT(c.invalid_normal, 0);
        CHECK_EQ_INT(c.waiting_with_text, 0);
        if (need_waiting) {
            CHECK(c.n_waiting > 0, "no WAITING callback in %d tokens", c.tokens);
            CHECK(c.waiting_then_normal > 0, "WAITING never followed by NORMAL");
        }
        int latin, cyr, cjk;
        count_scripts(t, &latin, &cyr, &cjk);
        int mine = want_script == 0 ? latin : (want_script == 1 ? cyr : cjk);
        CHECK(mine > 3 * (latin + cyr + cjk - mine), "answer not in the prompt's script "
                                                      "(latin %d, cyrillic %d, cjk %d): %s",
              latin, cyr, cjk, t);
        if (round == 0) {
            int shown = (int)strlen(t) < 300 ? (int)strlen(t) : 300;
            while (shown > 0 && (t[shown] & 0xc0) == 0x80) {
                shown--; /* do not cut a character */
            }
            fprintf(stderr, "answer (%d tokens, %d WAITING): %.*s...\n", c.tokens,
                    c.n_waiting, shown, t);
        }
    }
    close_model(h);
    collector_free(&c);
}

static void test_utf8_latin(void)
{
    utf8_case("Please describe a quiet morning by the river, with some detail.", 0, false);
}

static void test_utf8_cyrillic(void)
{
    utf8_case("Расскажи мне, пожалуйста, о тихом утре у реки и о городе.", 1, true);
}

static void test_utf8_cjk(void)
{
    utf8_case("请告诉我关于河流和城市的故事，谢谢。", 2, true);
}

/* WAITING in detail: with every multi-byte character split, the bytes held
 * back during WAITING start the next NORMAL text. */
static void test_waiting_state(void)
{
    collector c;
    collector_init(&c, 1);
    const char *model = temp_model("split-all.model", "natural", "100..120", 100, "cjk", 4096);
    LLMHandle h = open_model(model, NULL, &c);
    run_prompt(h, &c, "split everything", NULL);
    const char *t = text_of(&c, 0);
    CHECK(c.n_waiting > 10, "only %d WAITING", c.n_waiting);
    CHECK(utf8_valid(t, strlen(t)), "invalid UTF-8");
    CHECK_EQ_INT(c.invalid_normal, 0);
    CHECK_EQ_INT(c.waiting_with_text, 0);
    CHECK_EQ_INT(c.perf.generate_tokens, c.tokens);
    CHECK_EQ_INT(c.tokens, c.n_normal + c.n_waiting);
    close_model(h);
    collector_free(&c);
}

typedef struct {
    LLMHandle h;
    collector *c;
    int rc;
    RKLLMInput in;
    RKLLMInferParam ip;
} run_thread_arg;

static void *run_thread(void *arg)
{
    run_thread_arg *a = arg;
    a->rc = rkllm_run(a->h, &a->in, &a->ip, a->c);
    return NULL;
}

static void test_abort(void)
{
    collector c;
    collector_init(&c, 1);
    const char *model = temp_model("endless.model", "never", "10..20", 20, "auto", 4096);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = -1; /* unlimited: only abort ends it */
    LLMHandle h = open_model(model, &p, &c);

    /* Async run at full speed, aborted from this thread. */
    collector_reset(&c);
    RKLLMInput in = prompt_input("go on forever");
    RKLLMInferParam ip = infer_default();
    CHECK_EQ_INT(rkllm_run_async(h, &in, &ip, &c), 0);
    while (tokens_now(&c) < 50) {
        sleep_ms(1);
    }
    CHECK_EQ_INT(rkllm_abort(h), 0);
    int at_abort = tokens_now(&c);
    wait_done(&c, 5000);
    CHECK_EQ_INT(c.n_finish, 1);
    CHECK_EQ_INT(c.n_error, 0);
    CHECK(c.tokens <= at_abort + 1, "%d tokens after abort", c.tokens - at_abort);

    /* Synchronous run in another thread, board timing, aborted mid-stream. */
    setenv("NPU4J_EMULATOR_SPEED", "0.2", 1);
    collector_reset(&c);
    run_thread_arg a = {.h = h, .c = &c, .in = in, .ip = ip};
    pthread_t t;
    pthread_create(&t, NULL, run_thread, &a);
    while (tokens_now(&c) < 3) {
        sleep_ms(1);
    }
    double t0 = now_ms();
    rkllm_abort(h);
    at_abort = tokens_now(&c);
    pthread_join(t, NULL);
    /* The promptness rule is the token bound below (at most the token in flight); the time bound only
     * tells a stop that was ignored (the run is unlimited) from a slow one, with room for a loaded
     * machine (184.7 ms seen at load average 12 against an earlier 100 ms bound). */
    CHECK(now_ms() - t0 < 1000, "abort took %.1f ms", now_ms() - t0);
    CHECK_EQ_INT(a.rc, 0);
    CHECK_EQ_INT(c.n_finish, 1);
    CHECK(c.tokens <= at_abort + 1, "%d tokens after abort", c.tokens - at_abort);

    /* Abort during a long prefill (~900 tokens, ~1.4 s at full board speed). */
    setenv("NPU4J_EMULATOR_SPEED", "1", 1);
    char *longp = malloc(3601);
    for (int i = 0; i < 900; i++) {
        memcpy(longp + 4 * i, "abc ", 4);
    }
    longp[3600] = '\0';
    collector_reset(&c);
    RKLLMInput lin = prompt_input(longp);
    CHECK_EQ_INT(rkllm_run_async(h, &lin, &ip, &c), 0);
    sleep_ms(50);
    t0 = now_ms();
    rkllm_abort(h);
    wait_done(&c, 2000);
    /* Well under the ~1.4 s the prefill would take to its end, with room for a loaded machine. */
    CHECK(now_ms() - t0 < 700, "abort in prefill took %.1f ms", now_ms() - t0);
    CHECK_EQ_INT(c.n_finish, 1);
    CHECK_EQ_INT(c.tokens, 0);
    free(longp);
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    CHECK_EQ_INT(rkllm_abort(h), 0); /* nothing running: fine */
    close_model(h);
    collector_free(&c);
}

static void test_max_new_tokens(void)
{
    collector c;
    collector_init(&c, 1);
    const char *model = temp_model("endless.model", "never", "10..20", 20, "auto", 4096);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = 7;
    LLMHandle h = open_model(model, &p, &c);
    run_prompt(h, &c, "count to seven", NULL);
    CHECK_EQ_INT(c.tokens, 7);
    CHECK_EQ_INT(c.perf.generate_tokens, 7);
    CHECK_EQ_INT(c.n_finish, 1);
#if ABI13
    RKLLMInferParam ip = infer_default();
    ip.max_new_tokens = 3;
    run_prompt(h, &c, "count to three", &ip);
    CHECK_EQ_INT(c.tokens, 3);
    ip.max_new_tokens = 0; /* <= 0: the value given at init */
    run_prompt(h, &c, "count to seven again", &ip);
    CHECK_EQ_INT(c.tokens, 7);
    ip.max_new_tokens = 12;
    run_prompt(h, &c, "count to twelve", &ip);
    CHECK_EQ_INT(c.tokens, 12);
#endif
    close_model(h);

#if ABI13
    /* ignore_eos_token: a naturally ending model keeps talking. */
    p.max_new_tokens = 400;
    p.ignore_eos_token = false;
    h = open_model(MODEL_06B, &p, &c);
    run_prompt(h, &c, "short answer please", NULL);
    int natural = c.tokens;
    CHECK(natural < 400, "no EOS");
    close_model(h);
    p.ignore_eos_token = true;
    h = open_model(MODEL_06B, &p, &c);
    run_prompt(h, &c, "short answer please", NULL);
    CHECK_EQ_INT(c.tokens, 400);
    close_model(h);
#endif
    collector_free(&c);
}

static LLMHandle g_leak_handle;

static void destroy_leak_handle(void *arg)
{
    (void)arg;
    CHECK_EQ_INT(rkllm_destroy(g_leak_handle), 0);
}

static void test_leak_counter(void)
{
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK(npu4j_emulator_live_allocations() > 0, "nothing counted while a handle lives");
    /* Exercise many paths that allocate. */
    run_prompt(h, &c, "first", NULL);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    run_prompt(h, &c, "second, keep it", &ip);
    CHECK_EQ_INT(rkllm_load_lora(h, &(RKLLMLoraAdapter){LORA_PIRATE, "pirate", 1.0f}), 0);
    RKLLMLoraParam lp = {"pirate"};
    ip.lora_params = &lp;
    run_prompt(h, &c, "with lora", &ip);
    CHECK_EQ_INT(rkllm_set_function_tools(h, "sys", "[{\"name\": \"get_time\"}]", NULL), 0);
    run_prompt(h, &c, "call get_time", NULL);
    CHECK_EQ_INT(rkllm_set_chat_template(h, "S", "P", "Q"), 0);
    ip = infer_default();
    ip.mode = RKLLM_INFER_GET_LOGITS;
    run_prompt(h, &c, "logits", &ip);
    ip.mode = RKLLM_INFER_GET_LAST_HIDDEN_LAYER;
    run_prompt(h, &c, "hidden", &ip);
    RKLLMInput bad = prompt_input(NULL);
    CHECK(rkllm_run(h, &bad, NULL, &c) != 0, "NULL prompt accepted");
    g_leak_handle = h;
    char *err = capture_stderr(destroy_leak_handle, NULL);
    char want[128];
    snprintf(want, sizeof want, "npu4j-emulator rkllm: destroy handle=%p live_allocations=0",
             (void *)h);
    CHECK(strstr(err, want) != NULL, "destroy line missing, wanted '%s' in: %s", want, err);
    free(err);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
    collector_free(&c);
}

static void test_async_run(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    setenv("NPU4J_EMULATOR_SPEED", "0.5", 1);
    collector_reset(&c);
    RKLLMInput in = prompt_input("Tell me about the garden in the morning.");
    RKLLMInferParam ip = infer_default();
    double t0 = now_ms();
    CHECK_EQ_INT(rkllm_run_async(h, &in, &ip, &c), 0);
    double returned = now_ms() - t0;
    /* ~30 prompt tokens at 199 ms / 128 tokens, halved: ~23 ms before the
     * first token; rkllm_run_async must not wait for it. */
    CHECK(returned < 15.0, "rkllm_run_async took %.1f ms", returned);
    CHECK(!c.done, "finished before rkllm_run_async returned");
    wait_done(&c, 20000);
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    CHECK_EQ_INT(c.n_finish, 1);
    CHECK(c.tokens > 0, "no tokens");
    CHECK(!pthread_equal(c.thread, pthread_self()), "callback on the caller's thread");
    /* A second async run right after FINISH: it waits for the first one. */
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run_async(h, &in, &ip, &c), 0);
    wait_done(&c, 5000);
    CHECK_EQ_INT(c.n_finish, 1);
    close_model(h);
    collector_free(&c);
}

static bool running(LLMHandle h)
{
    int r = rkllm_is_running(h);
    return ABI13 ? r == 1 : r == 0;
}

static void test_is_running(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    c.handle = h;
#if ABI13
    CHECK_EQ_INT(rkllm_is_running(h), 0);
#else
    CHECK(rkllm_is_running(h) != 0, "1.2.x: idle must be non-zero");
#endif
    setenv("NPU4J_EMULATOR_SPEED", "0.2", 1);
    collector_reset(&c);
    RKLLMInput in = prompt_input("Is it running?");
    RKLLMInferParam ip = infer_default();
    CHECK_EQ_INT(rkllm_run_async(h, &in, &ip, &c), 0);
    CHECK(running(h), "not running right after rkllm_run_async");
    wait_done(&c, 20000);
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    CHECK(c.running_in_cb, "not running inside the callback");
    /* After the FINISH callback has returned the task is over. */
    for (int i = 0; i < 200 && running(h); i++) {
        sleep_ms(1);
    }
    CHECK(!running(h), "still running after FINISH");
#if ABI13
    CHECK_EQ_INT(rkllm_is_running(h), 0);
#else
    CHECK(rkllm_is_running(h) != 0, "1.2.x: idle must be non-zero");
#endif
    c.handle = NULL;
    close_model(h);
    collector_free(&c);
}

static void cpu_case(unsigned cpu)
{
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = 8;
    p.extend_param.enabled_cpus_mask = 1u << cpu;
    p.extend_param.enabled_cpus_num = 1;
    LLMHandle h = open_model(MODEL_06B, &p, &c);
    run_prompt(h, &c, "where do you run?", NULL);
    CHECK(c.cpus_seen, "no callback");
    CHECK_EQ_INT(CPU_COUNT(&c.cpus), 1);
    CHECK(CPU_ISSET(cpu, &c.cpus), "callback thread not on CPU %u", cpu);
    close_model(h);
    collector_free(&c);
}

static void test_cpu_mask(void)
{
    cpu_set_t avail;
    CPU_ZERO(&avail);
    sched_getaffinity(0, sizeof avail, &avail);
    CHECK(CPU_ISSET(0, &avail), "CPU0 not available to the test");
    cpu_case(0);
    if (CPU_ISSET(1, &avail)) {
        cpu_case(1);
    }
    /* No mask: the runtime chooses (here: the available CPUs). */
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    run_prompt(h, &c, "anywhere", NULL);
    CHECK(CPU_COUNT(&c.cpus) >= 1, "no CPU");
    close_model(h);
    collector_free(&c);
}

static void test_cpu_mask_invalid(void)
{
    cpu_set_t avail;
    CPU_ZERO(&avail);
    sched_getaffinity(0, sizeof avail, &avail);
    int missing = -1;
    for (int cpu = 31; cpu >= 0; cpu--) {
        if (!CPU_ISSET(cpu, &avail)) {
            missing = cpu;
            break;
        }
    }
    if (missing < 0) {
        fprintf(stderr, "SKIP: all CPUs 0-31 are available\n");
        return;
    }
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.model_path = MODEL_06B;
    p.extend_param.enabled_cpus_mask = 1u << missing;
    p.extend_param.enabled_cpus_num = 1;
    LLMHandle h = (LLMHandle)0x1;
    CHECK(init_handle(&h, &p, &c) != 0, "mask of CPU %d accepted", missing);
    CHECK(h == NULL, "handle not NULL");
    collector_free(&c);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
}

static void test_keep_history(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK_EQ_INT(kv_size(h), 0);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    run_prompt(h, &c, "Hello there, remember me.", &ip);
    int first = kv_size(h);
    CHECK_EQ_INT(first, c.perf.prefill_tokens + c.perf.generate_tokens);
    char *a1 = strdup(text_of(&c, 0));
    run_prompt(h, &c, "And now?", &ip);
    int second = kv_size(h);
    CHECK_EQ_INT(second, first + c.perf.prefill_tokens + c.perf.generate_tokens);
    /* The history changes the answer: the same message in a fresh
     * conversation gives another text. */
    char *with_history = strdup(text_of(&c, 0));
    ip.keep_history = 0;
    run_prompt(h, &c, "And now?", &ip);
    CHECK_EQ_INT(kv_size(h), 0); /* single turn: nothing kept (no system prompt) */
    run_prompt(h, &c, "And now?", &ip);
    CHECK(strcmp(with_history, text_of(&c, 0)) != 0, "history did not change the answer");
    free(a1);
    free(with_history);
    close_model(h);
    collector_free(&c);
}

static void test_clear_kv_cache(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK_EQ_INT(rkllm_set_chat_template(h, "<|im_start|>system\nYou are a terse helper."
                                            "<|im_end|>\n",
                                         "<|im_start|>user\n",
                                         "<|im_end|>\n<|im_start|>assistant\n"),
                 0);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    run_prompt(h, &c, "first message", &ip);
    run_prompt(h, &c, "second message", &ip);
    int full = kv_size(h);
    CHECK(full > 20, "kv %d", full);

    int start = 2, end = 5;
    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 0, &start, &end), 0);
    CHECK_EQ_INT(kv_size(h), full - 3);
    start = -3;
    CHECK(rkllm_clear_kv_cache(h, 0, &start, &end) != 0, "negative start accepted");
    start = 9;
    end = 9; /* empty range: nothing happens */
    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 0, &start, &end), 0);
    CHECK_EQ_INT(kv_size(h), full - 3);

    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 1, NULL, NULL), 0);
    int system = kv_size(h);
    CHECK(system > 0 && system < full, "system prompt tokens %d", system);

    /* Single-turn runs keep the system prompt cached and skip its prefill. */
    ip.keep_history = 0;
    run_prompt(h, &c, "third message", &ip);
    CHECK_EQ_INT(kv_size(h), system);

    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 0, NULL, NULL), 0);
    CHECK_EQ_INT(kv_size(h), 0);
    CHECK(rkllm_get_kv_cache_size(h, NULL) != 0, "NULL sizes accepted");
    close_model(h);
    collector_free(&c);
}

static void test_context_shift(void)
{
    collector c;
    collector_init(&c, 1);
    const char *model = temp_model("endless.model", "never", "10..20", 20, "auto", 4096);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 64;
    p.max_new_tokens = 300;
    p.n_keep = 8;
    LLMHandle h = open_model(model, &p, &c);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    CHECK_EQ_INT(run_prompt(h, &c, "shift please", &ip), 0);
    CHECK_EQ_INT(c.n_error, 0);
    CHECK_EQ_INT(c.tokens, 300);
    int kv = kv_size(h);
    CHECK(kv > 8 && kv <= 64, "kv %d", kv);
    /* A prompt that alone exceeds the context fails. */
    char big[2048];
    memset(big, 0, sizeof big);
    for (int i = 0; i < 100; i++) {
        strcat(big, " word");
    }
    CHECK(run_prompt(h, &c, big, &ip) != 0, "too long prompt accepted");
    CHECK_EQ_INT(c.n_error, 1);
    CHECK_EQ_INT(c.n_normal, 0);
    close_model(h);
    collector_free(&c);
}

static void test_chat_template(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "Which template is used?";
    run_prompt(h, &c, q, NULL);
    int plain = c.perf.prefill_tokens;
    char *a = strdup(text_of(&c, 0));
    CHECK_EQ_INT(rkllm_set_chat_template(h, "<|im_start|>system\nYou are a very patient, "
                                            "careful and precise assistant who answers every "
                                            "question about boards.<|im_end|>\n",
                                         "<|im_start|>user\n",
                                         "<|im_end|>\n<|im_start|>assistant\n"),
                 0);
    run_prompt(h, &c, q, NULL);
    int with_system = c.perf.prefill_tokens;
    CHECK(with_system > plain + 15, "prefill %d vs %d: the system prompt was not counted",
          with_system, plain);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "template does not change the answer");
    /* The demo's call: empty system prompt, other markers. */
    CHECK_EQ_INT(rkllm_set_chat_template(h, "", "<｜User｜>", "<｜Assistant｜>"), 0);
    run_prompt(h, &c, q, NULL);
    CHECK(c.perf.prefill_tokens < with_system, "prefill %d", c.perf.prefill_tokens);
    free(a);
    close_model(h);
    collector_free(&c);
}

static void test_thinking(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    RKLLMInput in = prompt_input("Think about stones, then answer.");
    RKLLMInferParam ip = infer_default();
    in.enable_thinking = true;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    const char *t = text_of(&c, 0);
    CHECK(strncmp(t, "<think>\n", 8) == 0, "no <think> at the start: %.80s", t);
    CHECK(strstr(t, "</think>\n\n") != NULL, "no </think>: %s", t);
    CHECK(strlen(strstr(t, "</think>\n\n")) > 20, "no answer after thinking");
    int think_prefill = c.perf.prefill_tokens;
    in.enable_thinking = false;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strstr(text_of(&c, 0), "<think>") == NULL, "<think> without enable_thinking");
    /* Thinking off adds the empty think block to the prompt. */
    CHECK(c.perf.prefill_tokens > think_prefill, "prefill %d vs %d", c.perf.prefill_tokens,
          think_prefill);
    /* After a custom template enable_thinking has no effect. */
    CHECK_EQ_INT(rkllm_set_chat_template(h, "", "<|im_start|>user\n",
                                         "<|im_end|>\n<|im_start|>assistant\n"),
                 0);
    in.enable_thinking = true;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strstr(text_of(&c, 0), "<think>") == NULL, "<think> after set_chat_template");
    close_model(h);
    collector_free(&c);
}

static const char *k_tools =
    "[{\"type\": \"function\", \"function\": {\"name\": \"get_current_temperature\", "
    "\"description\": \"Temperature at a place.\", \"parameters\": {\"type\": \"object\", "
    "\"properties\": {\"location\": {\"type\": \"string\"}, \"unit\": {\"type\": \"string\", "
    "\"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"location\"]}}}, "
    "{\"type\": \"function\", \"function\": {\"name\": \"get_temperature_date\", "
    "\"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": "
    "\"string\"}, \"days\": {\"type\": \"integer\"}, \"unit\": {\"type\": \"string\", "
    "\"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"location\", \"days\", "
    "\"unit\"]}}}]";

static void test_function_tools(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK(rkllm_set_function_tools(h, "sys", "[{\"name\": ", "tool_response") != 0,
          "invalid JSON accepted");
    CHECK(rkllm_set_function_tools(h, "sys", "[{\"description\": \"x\"}]", NULL) != 0,
          "tool without a name accepted");
    CHECK_EQ_INT(rkllm_set_function_tools(h, "You are Qwen.", k_tools, "tool_response"), 0);

    run_prompt(h, &c, "Please use get_current_temperature for San Francisco now.", NULL);
    const char *want = "<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": "
                       "{\"location\": \"San Francisco\"}}\n</tool_call>";
    CHECK(strcmp(text_of(&c, 0), want) == 0, "tool call is\n%s\nexpected\n%s", text_of(&c, 0),
          want);
    CHECK_EQ_INT(c.n_finish, 1);

    run_prompt(h, &c, "What does get_temperature_date say for Paris?", NULL);
    CHECK(strstr(text_of(&c, 0), "{\"name\": \"get_temperature_date\", \"arguments\": "
                                 "{\"location\": \"Paris\", \"days\": ") != NULL,
          "second tool call: %s", text_of(&c, 0));
    CHECK(strstr(text_of(&c, 0), "\"unit\": \"celsius\"}}") != NULL, "enum argument: %s",
          text_of(&c, 0));

    /* A message that names no tool gets an ordinary answer. */
    run_prompt(h, &c, "How are you?", NULL);
    CHECK(strstr(text_of(&c, 0), "<tool_call>") == NULL, "unexpected tool call");

    /* The tool's result comes back with role "tool". */
    collector_reset(&c);
    RKLLMInput in = prompt_input("[{\"temperature\": 26.1, \"location\": \"San Francisco\", "
                                 "\"unit\": \"celsius\"}]");
    in.role = "tool";
    RKLLMInferParam ip = infer_default();
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strstr(text_of(&c, 0), "26.1") != NULL && strstr(text_of(&c, 0), "San Francisco"),
          "tool result not used: %s", text_of(&c, 0));
    CHECK(strstr(text_of(&c, 0), "<tool_call>") == NULL, "tool call after a tool result");

    in.role = "assistant";
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "unknown role accepted");
    /* Tools off again. */
    CHECK_EQ_INT(rkllm_set_function_tools(h, NULL, NULL, NULL), 0);
    run_prompt(h, &c, "Please use get_current_temperature for San Francisco now.", NULL);
    CHECK(strstr(text_of(&c, 0), "<tool_call>") == NULL, "tool call without tools");
    close_model(h);
    collector_free(&c);
}

static void test_lora(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "Describe the sea.";
    RKLLMInferParam ip = infer_default();
    RKLLMLoraParam lp = {"pirate"};
    ip.lora_params = &lp;
    RKLLMInput in = prompt_input(q);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "unloaded adapter accepted");

    char path[640];
    CHECK(rkllm_load_lora(h, &(RKLLMLoraAdapter){"/nonexistent/x.lora", "x", 1.0f}) != 0,
          "missing adapter file accepted");
    tmp_path(path, sizeof path, "garbage.lora");
    write_file(path, "LORA\0\1\2", 7);
    CHECK(rkllm_load_lora(h, &(RKLLMLoraAdapter){path, "x", 1.0f}) != 0, "garbage accepted");
    tmp_path(path, sizeof path, "other-base.lora");
    const char *other = "npu4j-emulator-lora rkllm 1\nbase = Llama-3\n";
    write_file(path, other, strlen(other));
    CHECK(rkllm_load_lora(h, &(RKLLMLoraAdapter){path, "x", 1.0f}) != 0, "wrong base accepted");
    CHECK(rkllm_load_lora(h, NULL) != 0, "NULL adapter accepted");

    CHECK_EQ_INT(rkllm_load_lora(h, &(RKLLMLoraAdapter){LORA_PIRATE, "pirate", 1.0f}), 0);
    CHECK_EQ_INT(rkllm_load_lora(h, &(RKLLMLoraAdapter){LORA_FORMAL, "formal", 0.5f}), 0);

    run_prompt(h, &c, q, NULL);
    char *base = strdup(text_of(&c, 0));
    run_prompt(h, &c, q, &ip);
    char *pirate = strdup(text_of(&c, 0));
    CHECK(strcmp(base, pirate) != 0, "LoRA did not change the answer");
    run_prompt(h, &c, q, &ip);
    CHECK(strcmp(pirate, text_of(&c, 0)) == 0, "LoRA answer not deterministic");
    lp.lora_adapter_name = "formal";
    run_prompt(h, &c, q, &ip);
    CHECK(strcmp(pirate, text_of(&c, 0)) != 0 && strcmp(base, text_of(&c, 0)) != 0,
          "adapters give the same answer");
    lp.lora_adapter_name = "nobody";
    collector_reset(&c);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "unknown adapter name accepted");
    CHECK_EQ_INT(c.n_calls, 0);
    free(base);
    free(pirate);
    close_model(h);
    collector_free(&c);
}

static void test_prompt_cache(void)
{
    collector c;
    collector_init(&c, 1);
    char cache[640];
    tmp_path(cache, sizeof cache, "prompt_cache.bin");
    remove(cache);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "A long shared instruction about rivers, stones, boards and memory. "
                    "Answer briefly.";
    RKLLMInferParam ip = infer_default();
    RKLLMPromptCacheParam pc = {1, cache};
    ip.prompt_cache_params = &pc;
    run_prompt(h, &c, q, &ip);
    int full = c.perf.prefill_tokens;
    char *first = strdup(text_of(&c, 0));
    size_t n = 0;
    char *file = read_file(cache, &n);
    CHECK(file != NULL, "no prompt cache file at %s", cache);
    CHECK(strncmp(file, "npu4j-emulator-prompt-cache rkllm 1\n", 36) == 0, "cache: %.60s",
          file);
    free(file);
    close_model(h);

    h = open_model(MODEL_06B, NULL, &c);
    CHECK_EQ_INT(rkllm_load_prompt_cache(h, cache), 0);
    run_prompt(h, &c, q, NULL);
    CHECK_EQ_INT(c.perf.prefill_tokens, 1); /* all but the last token came from the cache */
    CHECK(strcmp(first, text_of(&c, 0)) == 0, "the cache changed the answer");
    run_prompt(h, &c, "A long shared instruction about something else entirely.", NULL);
    CHECK(c.perf.prefill_tokens > 1 && c.perf.prefill_tokens < full,
          "partial reuse: %d of %d", c.perf.prefill_tokens, full);
    CHECK_EQ_INT(rkllm_release_prompt_cache(h), 0);
    run_prompt(h, &c, q, NULL);
    CHECK_EQ_INT(c.perf.prefill_tokens, full);

    char bad[640];
    CHECK(rkllm_load_prompt_cache(h, "/nonexistent/cache.bin") != 0, "missing cache accepted");
    CHECK(rkllm_load_prompt_cache(h, NULL) != 0, "NULL path accepted");
    tmp_path(bad, sizeof bad, "garbage-cache.bin");
    write_file(bad, "\x01\x02garbage", 9);
    CHECK(rkllm_load_prompt_cache(h, bad) != 0, "garbage cache accepted");
    /* A cache whose token list was tampered with. */
    file = read_file(cache, &n);
    char *tok = strstr(file, "tokens = ");
    CHECK(tok != NULL, "no tokens line");
    tok[9] = tok[9] == '1' ? '2' : '1';
    tmp_path(bad, sizeof bad, "tampered-cache.bin");
    write_file(bad, file, n);
    free(file);
    CHECK(rkllm_load_prompt_cache(h, bad) != 0, "tampered cache accepted");
    free(first);
    close_model(h);
    collector_free(&c);
}

static void test_token_input(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    int32_t ids[] = {9707, 11, 1879, 0, 151643};
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.input_type = RKLLM_INPUT_TOKEN;
    in.token_input.input_ids = ids;
    in.token_input.n_tokens = 5;
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK_EQ_INT(c.perf.prefill_tokens, 5); /* token input bypasses the template */
    char *a = strdup(text_of(&c, 0));
    CHECK(strlen(a) > 0, "empty answer");
    collector_reset(&c);
    rkllm_run(h, &in, &ip, &c);
    CHECK(strcmp(a, text_of(&c, 0)) == 0, "not deterministic");
    ids[4] = 151642;
    collector_reset(&c);
    rkllm_run(h, &in, &ip, &c);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last id not read");
    in.token_input.n_tokens = 0;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_tokens 0 accepted");
    in.token_input.n_tokens = 5;
    in.token_input.input_ids = NULL;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL ids accepted");
    in.token_input.input_ids = ids;
    ids[2] = 151936;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "id outside the vocabulary accepted");
    ids[2] = -1;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "negative id accepted");
    free(a);
    close_model(h);
    collector_free(&c);
}

static void test_embed_input(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    enum { N = 3, HS = 1024 };
    float *e = malloc(sizeof(float) * N * HS);
    for (int i = 0; i < N * HS; i++) {
        e[i] = sinf((float)i * 0.01f);
    }
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.input_type = RKLLM_INPUT_EMBED;
    in.embed_input.embed = e;
    in.embed_input.n_tokens = N;
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK_EQ_INT(c.perf.prefill_tokens, N);
    char *a = strdup(text_of(&c, 0));
    /* Every float counts: change only the very last one. */
    e[N * HS - 1] += 1e-3f;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last float of the embedding was not read");
    e[N * HS - 1] -= 1e-3f;
    collector_reset(&c);
    rkllm_run(h, &in, &ip, &c);
    CHECK(strcmp(a, text_of(&c, 0)) == 0, "not deterministic");
    e[17] = NAN;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NaN accepted");
    e[17] = INFINITY;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "inf accepted");
    e[17] = 0.0f;
    in.embed_input.n_tokens = 0;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_tokens 0 accepted");
    in.embed_input.n_tokens = N;
    in.embed_input.embed = NULL;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL embed accepted");
    free(a);
    free(e);
    close_model(h);
    collector_free(&c);
}

static void set_image(RKLLMInput *in, float *embed, size_t n_image, size_t tokens)
{
#if ABI13
    in->multimodal_input.image.image_embed = embed;
    in->multimodal_input.image.n_image = n_image;
    in->multimodal_input.image.n_image_tokens = tokens;
    in->multimodal_input.image.image_start = "<|vision_start|>";
    in->multimodal_input.image.image_end = "<|vision_end|>";
    in->multimodal_input.image.image_content = "<|image_pad|>";
    in->multimodal_input.image.image_width = 392;
    in->multimodal_input.image.image_height = 392;
#else
    in->multimodal_input.image_embed = embed;
    in->multimodal_input.n_image = n_image;
    in->multimodal_input.n_image_tokens = tokens;
    in->multimodal_input.image_width = 392;
    in->multimodal_input.image_height = 392;
#endif
}

static void test_multimodal_input(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    enum { T = 4, HS = 1024 };
    float *img = malloc(sizeof(float) * 2 * T * HS);
    for (int i = 0; i < 2 * T * HS; i++) {
        img[i] = cosf((float)i * 0.003f);
    }
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_MULTIMODAL;
    in.multimodal_input.prompt = "<image>What is in the image?";
    set_image(&in, img, 1, T);
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    int with_image = c.perf.prefill_tokens;
    char *a = strdup(text_of(&c, 0));
    run_prompt(h, &c, "What is in the image?", NULL);
    CHECK(with_image >= c.perf.prefill_tokens + T, "image tokens not counted: %d vs %d",
          with_image, c.perf.prefill_tokens);
    img[T * HS - 1] = 0.5f; /* the last float of the image */
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last image float not read");
    /* Two images. */
    in.multimodal_input.prompt = "<image><image>Compare them.";
    set_image(&in, img, 2, T);
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    /* Inconsistent inputs. */
    in.multimodal_input.prompt = "<image>One tag, two images.";
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "tag count mismatch accepted");
    in.multimodal_input.prompt = "<image>x";
    set_image(&in, img, 1, 0);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_image_tokens 0 accepted");
    set_image(&in, NULL, 1, T);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL image_embed accepted");
    set_image(&in, img, 0, T);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "image_embed with n_image 0 accepted");
    set_image(&in, img, 1, T);
    img[3] = NAN;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NaN accepted");
    img[3] = 0.0f;
    in.multimodal_input.prompt = NULL;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL prompt accepted");
#if ABI13
    /* Video: 1 video of 2 frames with 3 tokens each. */
    float *vid = malloc(sizeof(float) * 2 * 3 * HS);
    for (int i = 0; i < 2 * 3 * HS; i++) {
        vid[i] = (float)(i % 13) * 0.1f;
    }
    memset(&in, 0, sizeof in);
    in.input_type = RKLLM_INPUT_MULTIMODAL;
    in.multimodal_input.prompt = "<video>What happens?";
    in.multimodal_input.video.video_embed = vid;
    in.multimodal_input.video.n_video = 1;
    in.multimodal_input.video.n_frame_per_video = 2;
    in.multimodal_input.video.n_frame_tokens = 3;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    char *v1 = strdup(text_of(&c, 0));
    vid[2 * 3 * HS - 1] = 9.0f;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(v1, text_of(&c, 0)) != 0, "last video float not read");
    in.multimodal_input.video.n_frame_tokens = 0;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_frame_tokens 0 accepted");
    free(v1);
    free(vid);
#endif
    free(a);
    free(img);
    close_model(h);
    collector_free(&c);
}

/* vision_outputs = 4 (Qwen3-VL deepstack): an image token is 4 x hidden_size
 * floats, and every one of them, up to the last, reaches the answer. */
static void test_vision_outputs(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_VL, NULL, &c);
    enum { T = 4, HS = 2048, K = 4 };
    float *img = malloc(sizeof(float) * T * HS * K);
    for (int i = 0; i < T * HS * K; i++) {
        img[i] = sinf((float)i * 0.001f);
    }
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_MULTIMODAL;
    in.multimodal_input.prompt = "<image>Describe the image.";
    set_image(&in, img, 1, T);
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    char *a = strdup(text_of(&c, 0));
    img[T * HS * K - 1] = 0.25f; /* in the last deepstack block of the last token */
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last deepstack float not read");
    img[T * HS * K - 1] = NAN;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NaN in the last deepstack block accepted");
    free(a);
    free(img);
    close_model(h);
    collector_free(&c);
}

static void test_hidden_layer(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    RKLLMInferParam ip = infer_default();
    ip.mode = RKLLM_INFER_GET_LAST_HIDDEN_LAYER;
    run_prompt(h, &c, "Embed this sentence.", &ip);
    CHECK_EQ_INT(c.hidden_calls, 1);
    CHECK_EQ_INT(c.hidden_embd, 1024);
    CHECK_EQ_INT(c.hidden_tokens, c.perf.prefill_tokens);
    CHECK(c.hidden_finite, "non-finite hidden state");
    CHECK_EQ_INT(c.tokens, 0);
    CHECK_EQ_INT(c.n_finish, 1);
    double sum = c.hidden_sum;
    c.release_buffers = 1; /* return 2: release the buffer at once */
    run_prompt(h, &c, "Embed this sentence.", &ip);
    CHECK(c.hidden_sum == sum, "hidden states not deterministic");
    run_prompt(h, &c, "Embed another sentence.", &ip);
    CHECK(c.hidden_sum != sum, "hidden states do not depend on the input");
    c.release_buffers = 0;
    close_model(h);
    collector_free(&c);
}

static void test_logits(void)
{
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = 4;
    LLMHandle h = open_model(MODEL_06B, &p, &c);
    RKLLMInferParam ip = infer_default();
    ip.mode = RKLLM_INFER_GET_LOGITS;
    run_prompt(h, &c, "Logits, please.", &ip);
    CHECK_EQ_INT(c.logits_vocab, 151936);
    CHECK_EQ_INT(c.logits_rows_first, c.perf.prefill_tokens);
    CHECK_EQ_INT(c.logits_argmax_last_row, c.first_token_id);
    CHECK_EQ_INT(c.tokens, 4);
    CHECK_EQ_INT(c.logits_single_rows, 4);
    CHECK_EQ_INT(c.n_finish, 1);
    close_model(h);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
    collector_free(&c);
}

static void test_pause(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    c.pause_at = 3;
    RKLLMInferParam ip = infer_default(); /* keep_history 0 */
    CHECK_EQ_INT(run_prompt(h, &c, "Pause after three tokens.", &ip), 0);
    CHECK_EQ_INT(c.tokens, 3);
    CHECK_EQ_INT(c.n_finish, 1);
    /* Paused: the KV cache stays, even in single-turn mode. */
    int kv = kv_size(h);
    CHECK_EQ_INT(kv, c.perf.prefill_tokens + 3);
    c.pause_at = 0;
    run_prompt(h, &c, "Go on.", &ip);
    CHECK(c.tokens > 3, "resume produced %d tokens", c.tokens);
    CHECK_EQ_INT(kv_size(h), 0);
    close_model(h);
    collector_free(&c);
}

static void test_fault_fail_run(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    setenv("NPU4J_EMULATOR_FAIL_RUN", "2", 1);
    CHECK_EQ_INT(run_prompt(h, &c, "one", NULL), 0);
    CHECK(run_prompt(h, &c, "two", NULL) != 0, "run 2 did not fail");
    CHECK_EQ_INT(c.n_error, 1);
    CHECK_EQ_INT(c.n_normal, 0);
    CHECK_EQ_INT(c.n_finish, 0);
    CHECK_EQ_INT(run_prompt(h, &c, "three", NULL), 0);
    /* Async: the error arrives through the callback. */
    setenv("NPU4J_EMULATOR_FAIL_RUN", "4", 1);
    collector_reset(&c);
    RKLLMInput in = prompt_input("four");
    RKLLMInferParam ip = infer_default();
    CHECK_EQ_INT(rkllm_run_async(h, &in, &ip, &c), 0);
    wait_done(&c, 5000);
    CHECK_EQ_INT(c.n_error, 1);
    unsetenv("NPU4J_EMULATOR_FAIL_RUN");
    close_model(h);
    collector_free(&c);
}

static void test_fault_die_after(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    setenv("NPU4J_EMULATOR_DIE_AFTER_TOKENS", "5", 1);
    CHECK(run_prompt(h, &c, "die soon", NULL) != 0, "run did not fail");
    CHECK_EQ_INT(c.tokens, 5);
    CHECK_EQ_INT(c.n_error, 1);
    CHECK_EQ_INT(c.n_finish, 0);
    CHECK_EQ_INT(c.after_terminal, 0);
    setenv("NPU4J_EMULATOR_DIE_AFTER_TOKENS", "five", 1); /* invalid: ignored */
    CHECK_EQ_INT(run_prompt(h, &c, "live", NULL), 0);
    unsetenv("NPU4J_EMULATOR_DIE_AFTER_TOKENS");
    close_model(h);
    collector_free(&c);
}

static void test_fault_stall(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    setenv("NPU4J_EMULATOR_STALL_MS", "300", 1);
    double t0 = now_ms();
    run_prompt(h, &c, "stall", NULL);
    CHECK(c.t_first_token - t0 >= 290, "first token after %.1f ms", c.t_first_token - t0);
    /* An abort ends the stall. */
    setenv("NPU4J_EMULATOR_STALL_MS", "10000", 1);
    collector_reset(&c);
    RKLLMInput in = prompt_input("stall long");
    RKLLMInferParam ip = infer_default();
    CHECK_EQ_INT(rkllm_run_async(h, &in, &ip, &c), 0);
    sleep_ms(50);
    t0 = now_ms();
    rkllm_abort(h);
    wait_done(&c, 2000);
    /* The stall lasts 10 s; the bound leaves room for a loaded machine. */
    CHECK(now_ms() - t0 < 1000, "abort during the stall took %.1f ms", now_ms() - t0);
    CHECK_EQ_INT(c.tokens, 0);
    unsetenv("NPU4J_EMULATOR_STALL_MS");
    close_model(h);
    collector_free(&c);
}

static void test_multi_handle(void)
{
    collector c1, c2;
    collector_init(&c1, 1);
    collector_init(&c2, 1);
    LLMHandle h1 = open_model(MODEL_06B, NULL, &c1);
    LLMHandle h2 = open_model(MODEL_3576, NULL, &c2);
    RKLLMInput in1 = prompt_input("first handle");
    RKLLMInput in2 = prompt_input("второй дескриптор");
    RKLLMInferParam keep = infer_default();
    keep.keep_history = 1;
    collector_reset(&c1);
    collector_reset(&c2);
    CHECK_EQ_INT(rkllm_run_async(h1, &in1, &keep, &c1), 0);
    CHECK_EQ_INT(rkllm_run_async(h2, &in2, &keep, &c2), 0);
    wait_done(&c1, 10000);
    wait_done(&c2, 10000);
    CHECK_EQ_INT(c1.n_finish, 1);
    CHECK_EQ_INT(c2.n_finish, 1);
    CHECK(!pthread_equal(c1.thread, c2.thread), "handles share a thread");
    CHECK(fabsf(c2.perf.memory_usage_mb - 512.71f) < 0.01f, "profile memory");
    CHECK_EQ_INT(kv_size(h1), c1.perf.prefill_tokens + c1.perf.generate_tokens);
    CHECK_EQ_INT(kv_size(h2), c2.perf.prefill_tokens + c2.perf.generate_tokens);
    int cyr = 0, lat = 0, cjk = 0;
    count_scripts(text_of(&c2, 0), &lat, &cyr, &cjk);
    CHECK(cyr > lat, "second handle answered in the wrong script");
    close_model(h1);
    /* h2 is unaffected by destroying h1. */
    CHECK_EQ_INT(run_prompt(h2, &c2, "still here", NULL), 0);
    close_model(h2);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
    collector_free(&c1);
    collector_free(&c2);
}

static void test_batch(void)
{
    collector c;
    collector_init(&c, 2);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = 64;
    p.extend_param.n_batch = 2;
    LLMHandle h = open_model(MODEL_06B, &p, &c);
    RKLLMInput in[2] = {prompt_input("Tell me about the river."),
                        prompt_input("请介绍一下这个城市。")};
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, in, &ip, &c), 0);
    CHECK_EQ_INT(c.n_finish, 1);
    CHECK_EQ_INT(c.n_waiting, 0);
    const char *t0 = text_of(&c, 0), *t1 = text_of(&c, 1);
    CHECK(strlen(t0) > 0 && strlen(t1) > 0, "empty batch output");
    CHECK(utf8_valid(t1, strlen(t1)), "batch 1 not valid UTF-8");
    int lat, cyr, cjk;
    count_scripts(t1, &lat, &cyr, &cjk);
    CHECK(cjk > lat, "batch 1 not in CJK: %s", t1);
    int sizes[2] = {0, 0};
    CHECK_EQ_INT(rkllm_get_kv_cache_size(h, sizes), 0);
    CHECK(sizes[0] > 0 && sizes[1] > 0 && sizes[0] != sizes[1], "kv sizes %d %d", sizes[0],
          sizes[1]);
    char *batched1 = strdup(t1);

    /* One run per batch, whatever n_batch. */
    long (*runs)(void) = (long (*)(void))dlsym(RTLD_DEFAULT, "npu4j_emulator_run_count");
    CHECK(runs != NULL, "npu4j_emulator_run_count not exported");
    long before = runs();
    ip.keep_history = 0;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, in, &ip, &c), 0);
    CHECK(runs() == before + 1, "run count %ld after one batch, expected %ld", runs(),
          before + 1);
    close_model(h);

    /* An entry gets the answer its input gets alone (the seed has no batch index), with
     * split characters held back per entry (the text stays valid UTF-8, no WAITING). */
    collector c1;
    collector_init(&c1, 1);
    RKLLMParam p1 = rkllm_createDefaultParam();
    p1.max_context_len = 1024;
    p1.max_new_tokens = 64;
    LLMHandle h1 = open_model(MODEL_06B, &p1, &c1);
    run_prompt(h1, &c1, "请介绍一下这个城市。", NULL);
    CHECK(strcmp(text_of(&c1, 0), batched1) == 0, "alone: %s\nin batch entry 1: %s",
          text_of(&c1, 0), batched1);
    close_model(h1);
    collector_free(&c1);
    free(batched1);
    collector_free(&c);
}

/* A decode step of a batch costs a single step plus batch_step_percent of it per
 * further active entry (an assumption of the emulator's cost model). */
static void test_batch_timing(void)
{
    char path[1024];
    tmp_path(path, sizeof path, "batch-timing.model");
    const char *desc = "npu4j-emulator-model rkllm 1\n"
                       "name = BatchTiming\nplatform = RK3588\nhidden_size = 64\n"
                       "vocab_size = 151936\nttft_ms_per_128 = 1\ndecode_tok_s = 100\n"
                       "memory_mb = 10\neos = never\nbatch_step_percent = 50\n";
    write_file(path, desc, strlen(desc));
    collector c;
    collector_init(&c, 4);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 512;
    p.max_new_tokens = 11;
    p.extend_param.n_batch = 4;
    LLMHandle h = open_model(path, &p, &c);
    RKLLMInput in[4] = {prompt_input("a"), prompt_input("b"), prompt_input("c"),
                        prompt_input("d")};
    RKLLMInferParam ip = infer_default();
    setenv("NPU4J_EMULATOR_SPEED", "1", 1);
    collector_reset(&c);
    double t0 = now_ms();
    CHECK_EQ_INT(rkllm_run(h, in, &ip, &c), 0);
    double elapsed = now_ms() - t0;
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    /* 10 steps after the first token, each 10 ms x (1 + 3 x 0.5); lower bound only. */
    double expected = 10 * 10.0 * 2.5;
    CHECK(c.perf.generate_time_ms >= expected * 0.95, "generate %.1f ms, expected >= %.1f",
          c.perf.generate_time_ms, expected);
    CHECK(elapsed >= expected * 0.95, "elapsed %.1f ms, expected >= %.1f", elapsed, expected);
    CHECK_EQ_INT(c.perf.generate_tokens, 44);
    close_model(h);
    collector_free(&c);
}

static void test_timing(void)
{
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = 10;
    LLMHandle h = open_model(temp_model("endless.model", "never", "10..20", 20, "auto", 4096),
                             &p, &c);
    /* Speed 0.25: a quarter of the RK3588 timing. */
    setenv("NPU4J_EMULATOR_SPEED", "0.25", 1);
    double t0 = now_ms();
    run_prompt(h, &c, "How long does this take on the board?", NULL);
    double elapsed = now_ms() - t0;
    double prefill = 199.0 / 128.0 * c.perf.prefill_tokens * 0.25;
    double decode = 1000.0 / 32.91 * 9 * 0.25; /* first token comes with the prefill */
    /* Only a lower bound: a sleep never ends early, but on a loaded host it may end
     * arbitrarily late, so an upper bound on wall-clock time would be a timed test. */
    CHECK(elapsed >= (prefill + decode) * 0.95, "elapsed %.1f ms, expected at least %.1f", elapsed,
          prefill + decode);
    CHECK(c.perf.prefill_time_ms >= prefill * 0.95, "prefill_time_ms %.1f < %.1f",
          c.perf.prefill_time_ms, prefill);
    CHECK(c.perf.generate_time_ms >= decode * 0.95, "generate_time_ms %.1f < %.1f",
          c.perf.generate_time_ms, decode);
    /* An invalid value falls back to 1 (board timing). */
    setenv("NPU4J_EMULATOR_SPEED", "fast", 1);
    p.max_new_tokens = 2;
    close_model(h);
    h = open_model(MODEL_06B, &p, &c);
    t0 = now_ms();
    run_prompt(h, &c, "x", NULL);
    elapsed = now_ms() - t0;
    double board = 199.0 / 128.0 * c.perf.prefill_tokens + 1000.0 / 32.91;
    CHECK(elapsed >= board * 0.95, "invalid speed: %.1f ms < %.1f", elapsed, board);
    setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    close_model(h);
    collector_free(&c);
}

/* ================================================================ main */

typedef struct {
    const char *name;
    void (*fn)(void);
} test_entry;

static const test_entry k_tests[] = {
    {"exports", test_exports},
    {"version_string", test_version_string},
    {"default_param", test_default_param},
    {"bad_model_paths", test_bad_model_paths},
    {"fail_init", test_fail_init},
    {"basic_run", test_basic_run},
    {"deterministic", test_deterministic},
    {"utf8_latin", test_utf8_latin},
    {"utf8_cyrillic", test_utf8_cyrillic},
    {"utf8_cjk", test_utf8_cjk},
    {"waiting_state", test_waiting_state},
    {"abort", test_abort},
    {"max_new_tokens", test_max_new_tokens},
    {"leak_counter", test_leak_counter},
    {"async_run", test_async_run},
    {"is_running", test_is_running},
    {"cpu_mask", test_cpu_mask},
    {"cpu_mask_invalid", test_cpu_mask_invalid},
    {"keep_history", test_keep_history},
    {"clear_kv_cache", test_clear_kv_cache},
    {"context_shift", test_context_shift},
    {"chat_template", test_chat_template},
    {"thinking", test_thinking},
    {"function_tools", test_function_tools},
    {"lora", test_lora},
    {"prompt_cache", test_prompt_cache},
    {"token_input", test_token_input},
    {"embed_input", test_embed_input},
    {"multimodal_input", test_multimodal_input},
    {"vision_outputs", test_vision_outputs},
    {"hidden_layer", test_hidden_layer},
    {"logits", test_logits},
    {"pause", test_pause},
    {"fault_fail_run", test_fault_fail_run},
    {"fault_die_after", test_fault_die_after},
    {"fault_stall", test_fault_stall},
    {"multi_handle", test_multi_handle},
    {"batch", test_batch},
    {"batch_timing", test_batch_timing},
    {"timing", test_timing},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TEST | all\n", argv[0]);
        return 2;
    }
    /* A private temp dir per test and process (ctest may run in parallel). */
    mkdir(NPU4J_EMU_TEST_TMP, 0755);
    snprintf(g_tmp, sizeof g_tmp, "%s/%s-%ld", NPU4J_EMU_TEST_TMP, argv[1], (long)getpid());
    mkdir(g_tmp, 0755);
    if (getenv("NPU4J_EMULATOR_SPEED") == NULL) {
        setenv("NPU4J_EMULATOR_SPEED", "0", 1);
    }
    int ran = 0;
    for (size_t i = 0; i < sizeof k_tests / sizeof k_tests[0]; i++) {
        if (strcmp(argv[1], "all") == 0 || strcmp(argv[1], k_tests[i].name) == 0) {
            g_test = k_tests[i].name;
            fprintf(stderr, "--- %s (RKLLM %s ABI)\n", g_test, ABI13 ? "1.3.0" : "1.2.x");
            k_tests[i].fn();
            fprintf(stderr, "PASS %s\n", g_test);
            ran++;
        }
    }
    if (ran == 0) {
        fprintf(stderr, "unknown test '%s'\n", argv[1]);
        return 2;
    }
    return 0;
}
