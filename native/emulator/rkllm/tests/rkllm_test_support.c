/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Helpers and the runner of the RKLLM emulator's C tests (rkllm_test.h).
 */
#include "rkllm_test.h"

const char *g_test = "?";
char g_tmp[512];

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ UTF-8 check */

bool utf8_valid(const char *s, size_t n)
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
void count_scripts(const char *s, int *latin, int *cyrillic, int *cjk)
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

void collector_init(collector *c, int batch)
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

void collector_reset(collector *c)
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

void collector_free(collector *c)
{
    for (int i = 0; i < MAX_SLOTS; i++) {
        free(c->text[i]);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
}

const char *text_of(collector *c, int slot)
{
    return c->text[slot] != NULL ? c->text[slot] : "";
}

void append(collector *c, int slot, const char *s)
{
    size_t n = strlen(s);
    c->text[slot] = realloc(c->text[slot], c->len[slot] + n + 1);
    memcpy(c->text[slot] + c->len[slot], s, n + 1);
    c->len[slot] += n;
}

int on_result(RKLLMResult *results, void *userdata, LLMCallState state)
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

void wait_done(collector *c, int timeout_ms)
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

int tokens_now(collector *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->tokens;
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* --------------------------------------------------------- handle helpers */

int init_handle(LLMHandle *h, RKLLMParam *p, collector *c)
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

LLMHandle open_model(const char *path, RKLLMParam *custom, collector *c)
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

void close_model(LLMHandle h)
{
    CHECK_EQ_INT(rkllm_destroy(h), 0);
}

RKLLMInput prompt_input(const char *text)
{
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_PROMPT;
    in.prompt_input = text;
    return in;
}

RKLLMInferParam infer_default(void)
{
    RKLLMInferParam ip;
    memset(&ip, 0, sizeof ip);
    ip.mode = RKLLM_INFER_GENERATE;
    return ip;
}

/* Runs a prompt synchronously with a fresh collector state. */
int run_prompt(LLMHandle h, collector *c, const char *text, RKLLMInferParam *ip)
{
    collector_reset(c);
    RKLLMInput in = prompt_input(text);
    RKLLMInferParam def = infer_default();
    int rc = rkllm_run(h, &in, ip != NULL ? ip : &def, c);
    CHECK(c->done, "rkllm_run returned %d before FINISH/ERROR", rc);
    return rc;
}

int kv_size(LLMHandle h)
{
    int sizes[MAX_SLOTS] = {-1, -1, -1, -1};
    CHECK_EQ_INT(rkllm_get_kv_cache_size(h, sizes), 0);
    return sizes[0];
}

/* ------------------------------------------------------------ temp files */

void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_tmp, name);
}

void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
    CHECK(fwrite(data, 1, n, f) == n, "short write to %s", path);
    fclose(f);
}

char *read_file(const char *path, size_t *len)
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
const char *temp_model(const char *name, const char *eos, const char *answer, int split,
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
char *capture_stderr(void (*fn)(void *), void *arg)
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

/* ================================================================ main */

int rkllm_test_main(int argc, char **argv, const test_entry *tests, size_t n_tests)
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
    for (size_t i = 0; i < n_tests; i++) {
        if (strcmp(argv[1], "all") == 0 || strcmp(argv[1], tests[i].name) == 0) {
            g_test = tests[i].name;
            fprintf(stderr, "--- %s (RKLLM %s ABI)\n", g_test, ABI13 ? "1.3.0" : "1.2.x");
            tests[i].fn();
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
