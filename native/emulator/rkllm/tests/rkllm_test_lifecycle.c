/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the npu4j RKLLM emulator (helpers and runner: rkllm_test.h).
 *
 * Initialisation and teardown: exported symbols, the version text, default
 * parameters, model paths init rejects, injected init failure, the live
 * allocation counter, several handles at once and CPU pinning.
 */
#include "rkllm_test.h"

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

static const test_entry k_tests[] = {
    {"exports", test_exports},
    {"version_string", test_version_string},
    {"default_param", test_default_param},
    {"bad_model_paths", test_bad_model_paths},
    {"fail_init", test_fail_init},
    {"leak_counter", test_leak_counter},
    {"multi_handle", test_multi_handle},
    {"cpu_mask", test_cpu_mask},
    {"cpu_mask_invalid", test_cpu_mask_invalid},
};

RKLLM_TEST_MAIN(k_tests)
