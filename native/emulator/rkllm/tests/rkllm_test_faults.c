/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the npu4j RKLLM emulator (helpers and runner: rkllm_test.h).
 *
 * Injected faults (NPU4J_EMULATOR_FAIL_RUN, _DIE_AFTER_TOKENS, _STALL_MS),
 * batches (n_batch > 1) and the timing model.
 */
#include "rkllm_test.h"

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

static const test_entry k_tests[] = {
    {"fault_fail_run", test_fault_fail_run},
    {"fault_die_after", test_fault_die_after},
    {"fault_stall", test_fault_stall},
    {"batch", test_batch},
    {"batch_timing", test_batch_timing},
    {"timing", test_timing},
};

RKLLM_TEST_MAIN(k_tests)
