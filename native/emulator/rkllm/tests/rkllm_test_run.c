/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the npu4j RKLLM emulator (helpers and runner: rkllm_test.h).
 *
 * Running a prompt: the callback protocol, determinism, UTF-8 text in three
 * scripts and WAITING, abort, max_new_tokens, rkllm_run_async, rkllm_is_running
 * and pause.
 */
#include "rkllm_test.h"

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

static const test_entry k_tests[] = {
    {"basic_run", test_basic_run},
    {"deterministic", test_deterministic},
    {"utf8_latin", test_utf8_latin},
    {"utf8_cyrillic", test_utf8_cyrillic},
    {"utf8_cjk", test_utf8_cjk},
    {"waiting_state", test_waiting_state},
    {"abort", test_abort},
    {"max_new_tokens", test_max_new_tokens},
    {"async_run", test_async_run},
    {"is_running", test_is_running},
    {"pause", test_pause},
};

RKLLM_TEST_MAIN(k_tests)
