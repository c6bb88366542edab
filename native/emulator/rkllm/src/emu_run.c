/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * One run of the npu4j RKLLM emulator, on the handle's worker thread: prefill,
 * hidden states and logits, the decode loop with the board's timing, result
 * callbacks (WAITING for split UTF-8, pause, FINISH/ERROR with perf stats) and
 * the injected faults (NPU4J_EMULATOR_FAIL_RUN, _DIE_AFTER_TOKENS, _STALL_MS).
 */

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "emu_runtime.h"

/* Runs started in this process, on every handle (npu4j_emulator_run_count). */
static atomic_long g_runs;

/* ----------------------------------------------- hidden states, logits */

void emu_release_buffers(emu_handle *h)
{
    for (int i = 0; i < h->n_batch; i++) {
        emu_free(h->out_buf[i]);
        h->out_buf[i] = NULL;
    }
}

static void clear_results(emu_handle *h)
{
    emu_release_buffers(h);
    memset(h->results, 0, sizeof(RKLLMResult) * (size_t)h->n_batch);
}

/* Hidden states of the tokens [from, to) of a slot's KV cache: a
 * deterministic function of token id, position and dimension. */
static float *make_hidden(const emu_handle *h, const emu_slot *s, int from, int to,
                          uint64_t seed)
{
    size_t hs = (size_t)h->model.hidden_size;
    float *buf = emu_malloc(sizeof(float) * hs * (size_t)(to - from));
    if (buf == NULL) {
        return NULL;
    }
    for (int t = from; t < to; t++) {
        emu_rng rng;
        emu_rng_seed(&rng, emu_hash_u64(emu_hash_u64(seed, (uint32_t)s->ids[t]), (uint64_t)t));
        float *row = buf + (size_t)(t - from) * hs;
        for (size_t d = 0; d < hs; d++) {
            row[d] = emu_unit_float(emu_rng_next(&rng));
        }
    }
    return buf;
}

/* Logit rows; row r favours targets[r] so that its argmax is that token. */
static float *make_logits(const emu_handle *h, const int32_t *targets, int rows, uint64_t seed)
{
    size_t vs = (size_t)h->model.vocab_size;
    float *buf = emu_malloc(sizeof(float) * vs * (size_t)rows);
    if (buf == NULL) {
        return NULL;
    }
    for (int r = 0; r < rows; r++) {
        emu_rng rng;
        emu_rng_seed(&rng, emu_hash_u64(seed, (uint64_t)r));
        float *row = buf + (size_t)r * vs;
        for (size_t v = 0; v < vs; v++) {
            row[v] = 4.0f * emu_unit_float(emu_rng_next(&rng));
        }
        if (targets[r] >= 0 && (size_t)targets[r] < vs) {
            row[targets[r]] = 12.0f;
        }
    }
    return buf;
}

/* ------------------------------------------------------------- the run */

typedef struct {
    emu_handle *h;
    emu_job *job;
    slot_run *sr;
    bool paused;
    bool failed;
    int emitted;          /* callbacks that carried a token */
    long die_after;       /* < 0: off */
    uint64_t t_start;
    uint64_t t_first;     /* first token (or end of prefill) */
    int prefill_tokens;
    int generate_tokens;
} run_ctx;

static int call_back(run_ctx *rc, LLMCallState state)
{
    emu_handle *h = rc->h;
    int ret = h->callback(h->results, rc->job->userdata, state);
    if (ret == 2) {
        /* The client no longer needs the output buffers. */
        emu_release_buffers(h);
    }
    return ret;
}

static void fill_perf(run_ctx *rc, RKLLMPerfStat *p)
{
    uint64_t end = emu_now_ns();
    uint64_t first = rc->t_first != 0 ? rc->t_first : end;
    p->prefill_time_ms = (float)((double)(first - rc->t_start) / 1e6);
    p->prefill_tokens = rc->prefill_tokens;
    p->generate_time_ms = (float)((double)(end - first) / 1e6);
    p->generate_tokens = rc->generate_tokens;
    p->memory_usage_mb = (float)rc->h->model.memory_mb;
}

/* Delivers the final FINISH or ERROR callback. */
static void finish(run_ctx *rc, LLMCallState state)
{
    emu_handle *h = rc->h;
    clear_results(h);
    RKLLMPerfStat perf;
    fill_perf(rc, &perf);
    for (int i = 0; i < h->n_batch; i++) {
        h->results[i].text = "";
        h->results[i].token_id = -1;
        h->results[i].perf = perf;
    }
    call_back(rc, state);
    clear_results(h);
    if (emu_log_level() >= 1 && state == RKLLM_RUN_FINISH) {
        double pt = perf.prefill_time_ms, gt = perf.generate_time_ms;
        emu_log('I', "--------------------------------------------------------------------");
        emu_log('I', " Stage      Total Time (ms)  Tokens  Time per Token (ms)  Tokens/s");
        emu_log('I', " Prefill    %14.2f  %6d  %19.2f  %8.2f", pt, perf.prefill_tokens,
                perf.prefill_tokens > 0 ? pt / perf.prefill_tokens : 0.0,
                pt > 0 ? perf.prefill_tokens * 1000.0 / pt : 0.0);
        emu_log('I', " Generate   %14.2f  %6d  %19.2f  %8.2f", gt, perf.generate_tokens,
                perf.generate_tokens > 0 ? gt / perf.generate_tokens : 0.0,
                gt > 0 ? perf.generate_tokens * 1000.0 / gt : 0.0);
        emu_log('I', " Memory (profile of %s): %.2f MB", h->model.profile, perf.memory_usage_mb);
        emu_log('I', "--------------------------------------------------------------------");
    }
}

/* The seed of one entry's answer. The batch index is not part of it: a
 * batched decode computes every entry on its own, so an input gets the same
 * answer in any batch entry as in a run of its own. */
static uint64_t slot_seed(const emu_handle *h, const emu_job *j, const emu_request *rq,
                          const emu_slot *s)
{
    uint64_t x = emu_hash_str(EMU_FNV_OFFSET, "npu4j rkllm emulator seed v1");
    x = emu_hash_str(x, h->model.name);
    for (int i = 0; i < s->len; i++) {
        x = emu_hash_u64(x, (uint32_t)s->ids[i]);
    }
    x = emu_hash_u64(x, rq->digest);
    x = emu_hash_sampling(x, &j->sampling);
    x = emu_hash_u64(x, rq->enable_thinking ? 1 : 0);
    x = emu_hash_u64(x, (uint64_t)j->mode);
    if (j->have_lora) {
        x = emu_hash_str(x, j->lora_name);
        x = emu_hash_u64(x, j->lora_digest);
        x = emu_hash_float(x, j->lora_scale);
    }
    x = emu_hash_u64(x, h->cross_digest);
    return emu_hash_u64(x, 0); /* (was the batch index: 0 keeps every single-entry answer as it was) */
}

static int common_prefix(const int32_t *a, int na, const int32_t *b, int nb)
{
    int n = 0;
    while (n < na && n < nb && a[n] == b[n]) {
        n++;
    }
    return n;
}

/* Templating, context management and answer planning for one batch entry. */
static int prepare_slot(run_ctx *rc, int index, char *err, size_t errlen)
{
    emu_handle *h = rc->h;
    emu_slot *s = &h->slots[index];
    slot_run *r = &rc->sr[index];
    const emu_request *rq = &rc->job->req[index];
    s->paused = false;

    id_list in = {0};
    int system_tokens = 0;
    if (emu_build_input_ids(h, s, rq, &in, &system_tokens) != 0) {
        emu_free(in.ids);
        snprintf(err, errlen, "out of memory building the prompt");
        return -1;
    }
    if (in.len >= h->max_context_len) {
        snprintf(err, errlen, "the input is %d tokens long (with the chat template) and does "
                              "not fit max_context_len %d",
                 in.len, h->max_context_len);
        emu_free(in.ids);
        return -1;
    }
    bool fresh = s->len == 0;
    if (s->len + in.len > h->max_context_len) {
        /* Make room by dropping history after the first n_keep tokens. */
        int keep = emu_effective_keep(h, s);
        int drop = s->len + in.len - h->max_context_len;
        if (drop <= s->len - keep) {
            memmove(s->ids + keep, s->ids + keep + drop,
                    sizeof(int32_t) * (size_t)(s->len - keep - drop));
            s->len -= drop;
        } else {
            s->len = h->max_context_len - in.len;
            if (s->len < 0) {
                s->len = 0;
            }
        }
        if (s->system_len > s->len) {
            s->system_len = s->len;
        }
        emu_log('W', "history does not fit max_context_len %d with the new input: dropped %d "
                     "tokens after the first %d (n_keep)",
                h->max_context_len, drop, keep);
    }
    if (fresh && h->n_cache_ids > 0) {
        /* A loaded prompt cache saves the prefill of its common prefix. */
        r->reused = common_prefix(h->cache_ids, h->n_cache_ids, in.ids, in.len);
        if (r->reused >= in.len) {
            r->reused = in.len - 1;
        }
    }
    r->first_new = s->len;
    memcpy(s->ids + s->len, in.ids, sizeof(int32_t) * (size_t)in.len);
    s->len += in.len;
    if (fresh) {
        s->system_len = system_tokens;
    }
    r->new_tokens = in.len;
    emu_free(in.ids);
    emu_slot_publish(s);

    emu_script script = h->model.script;
    if (script == EMU_SCRIPT_AUTO) {
        if (rq->text != NULL && !rq->is_tool) {
            script = emu_detect_script(rq->text, strlen(rq->text));
            s->last_script = script;
        } else {
            script = s->last_script != EMU_SCRIPT_AUTO ? s->last_script : EMU_SCRIPT_LATIN;
        }
    }
    bool endless = h->model.eos_never || h->ignore_eos_token;
    r->seed = slot_seed(h, rc->job, rq, s);
    if (emu_log_level() >= 2) {
        emu_log('I', "batch %d: %d input tokens (%d from the prompt cache), KV cache %d of %d, "
                     "answer script %s, seed %016" PRIx64,
                index, in.len, r->reused, s->len, h->max_context_len, emu_script_name(script),
                r->seed);
    }
    emu_gen_init(&r->gen, &h->model, r->seed, script, h->model.split_percent, endless);
    r->gen_ready = true;
    emu_plan_answer(h, r, rq, script);
    r->has_next = emu_gen_next(&r->gen, &r->next);
    r->active = true;
    return 0;
}

/* Emits the callback that carries hidden states or prefill logits. */
static int deliver_prefill_output(run_ctx *rc)
{
    emu_handle *h = rc->h;
    clear_results(h);
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        slot_run *r = &rc->sr[i];
        RKLLMResult *res = &h->results[i];
        res->text = "";
        res->token_id = -1;
        int from = r->first_new, to = s->len;
        if (rc->job->mode == RKLLM_INFER_GET_LAST_HIDDEN_LAYER) {
            h->out_buf[i] = make_hidden(h, s, from, to, r->seed);
            if (h->out_buf[i] == NULL) {
                return -1;
            }
            res->last_hidden_layer.hidden_states = h->out_buf[i];
            res->last_hidden_layer.embd_size = h->model.hidden_size;
            res->last_hidden_layer.num_tokens = to - from;
        } else {
            /* Row t predicts token t+1; the last row predicts the answer's
             * first token. */
            int rows = to - from;
            int32_t *targets = emu_malloc(sizeof(int32_t) * (size_t)rows);
            if (targets == NULL) {
                return -1;
            }
            for (int t = 0; t < rows; t++) {
                targets[t] = t + 1 < rows ? s->ids[from + t + 1]
                                          : (r->has_next ? r->next.id : h->model.eos_token_id);
            }
            h->out_buf[i] = make_logits(h, targets, rows, r->seed);
            emu_free(targets);
            if (h->out_buf[i] == NULL) {
                return -1;
            }
            res->logits.logits = h->out_buf[i];
            res->logits.vocab_size = h->model.vocab_size;
            res->logits.num_tokens = rows;
        }
    }
    int ret = call_back(rc, RKLLM_RUN_NORMAL);
    clear_results(h);
    if (ret == 1) {
        rc->paused = true;
    }
    return 0;
}

/* One decoding step for every active batch entry. Returns false when no
 * entry produced anything (all are finished). */
static bool decode_step(run_ctx *rc, bool *error)
{
    emu_handle *h = rc->h;
    *error = false;
    clear_results(h);
    bool any = false;
    bool waiting = false;
    for (int i = 0; i < h->n_batch; i++) {
        slot_run *r = &rc->sr[i];
        emu_slot *s = &h->slots[i];
        RKLLMResult *res = &h->results[i];
        res->text = NULL;
        res->token_id = -1;
        if (!r->active) {
            continue;
        }
        if (!r->has_next ||
            (rc->job->max_new_tokens > 0 && r->generated >= rc->job->max_new_tokens)) {
            r->active = false;
            continue;
        }
        emu_token tok = r->next;
        r->has_next = emu_gen_next(&r->gen, &r->next);
        if (tok.eos) {
            r->active = false;
            if (h->skip_special_token) {
                continue;
            }
        }
        emu_kv_append(h, s, tok.id);
        r->generated++;
        rc->generate_tokens++;
        any = true;
        res->token_id = tok.id;
        emu_sb_append(&r->pending, tok.text, (size_t)tok.len);
        if (r->pending.failed) {
            *error = true;
            return false;
        }
        if (emu_utf8_incomplete_tail(r->pending.buf, r->pending.len) > 0) {
            /* The text ends inside a character: hold it back and report
             * WAITING; the next NORMAL text starts with these bytes. */
            res->text = "";
            waiting = true;
        } else {
            res->text = emu_sb_cstr(&r->pending);
        }
        if (rc->job->mode == RKLLM_INFER_GET_LOGITS) {
            int32_t target = r->has_next ? r->next.id : h->model.eos_token_id;
            h->out_buf[i] = make_logits(h, &target, 1, emu_hash_u64(r->seed, (uint64_t)s->len));
            if (h->out_buf[i] == NULL) {
                *error = true;
                return false;
            }
            res->logits.logits = h->out_buf[i];
            res->logits.vocab_size = h->model.vocab_size;
            res->logits.num_tokens = 1;
        }
        emu_slot_publish(s);
    }
    if (!any) {
        return false;
    }
    if (rc->die_after >= 0 && rc->emitted >= rc->die_after) {
        emu_log('E', "npu4j emulator: injected failure after %d tokens "
                     "(NPU4J_EMULATOR_DIE_AFTER_TOKENS=%ld)",
                rc->emitted, rc->die_after);
        *error = true;
        return false;
    }
    if (rc->t_first == 0) {
        rc->t_first = emu_now_ns();
    }
    /* With one batch entry WAITING stands for that entry; with several one
     * state cannot speak for every entry, so it is NORMAL and an entry whose
     * character is incomplete gets "" (its bytes come with its next text). */
    int ret = call_back(rc, waiting && h->n_batch == 1 ? RKLLM_RUN_WAITING : RKLLM_RUN_NORMAL);
    rc->emitted++;
    for (int i = 0; i < h->n_batch; i++) {
        slot_run *r = &rc->sr[i];
        if (h->results[i].text != NULL && h->results[i].text[0] != '\0') {
            emu_sb_clear(&r->pending);
        }
    }
    clear_results(h);
    if (ret == 1) {
        rc->paused = true;
        return false;
    }
    return true;
}

/* Batch entries that still have a token to produce (an EOS that is not
 * shown still costs its decoding step, as on the board). */
static int entries_left(const run_ctx *rc)
{
    int n = 0;
    for (int i = 0; i < rc->h->n_batch; i++) {
        const slot_run *r = &rc->sr[i];
        if (r->active && r->has_next &&
            (rc->job->max_new_tokens <= 0 || r->generated < rc->job->max_new_tokens)) {
            n++;
        }
    }
    return n;
}

/* Time of one decode step that advances `entries` batch entries: the
 * profile's single-entry step, plus batch_step_percent of it for every entry
 * beyond the first (README.md, "Timing": an assumption, not a measurement). */
static uint64_t step_ns_for(const emu_handle *h, int entries, double speed)
{
    double factor = 1.0 + (entries > 1 ? (entries - 1) * h->model.batch_step_percent / 100.0 : 0.0);
    return emu_ms_to_ns(h->model.decode_ms_per_token * factor * speed);
}

/* Runs one job on the worker thread; returns the value rkllm_run returns. */
int emu_run_job(emu_handle *h, emu_job *job)
{
    run_ctx rc = {.h = h, .job = job, .t_start = emu_now_ns()};
    char err[ERRLEN];
    double speed = emu_env_speed();
    long fail_run = emu_env_long("NPU4J_EMULATOR_FAIL_RUN", 0, 1);
    long stall_ms = emu_env_long("NPU4J_EMULATOR_STALL_MS", 0, 0);
    rc.die_after = emu_env_long("NPU4J_EMULATOR_DIE_AFTER_TOKENS", -1, 0);
    h->run_count++;
    atomic_fetch_add_explicit(&g_runs, 1, memory_order_relaxed);

    rc.sr = emu_calloc((size_t)h->n_batch, sizeof *rc.sr);
    if (rc.sr == NULL) {
        emu_log('E', "out of memory starting a run");
        finish(&rc, RKLLM_RUN_ERROR);
        return -1;
    }
    int result = 0;
    if (fail_run > 0 && h->run_count == (uint64_t)fail_run) {
        emu_log('E', "npu4j emulator: injected failure of run %" PRIu64
                     " on this handle (NPU4J_EMULATOR_FAIL_RUN=%ld)",
                h->run_count, fail_run);
        finish(&rc, RKLLM_RUN_ERROR);
        result = -1;
        goto done;
    }

    for (int i = 0; i < h->n_batch; i++) {
        if (prepare_slot(&rc, i, err, sizeof err) != 0) {
            emu_log('E', "%s%s", h->n_batch > 1 ? "batch entry: " : "", err);
            finish(&rc, RKLLM_RUN_ERROR);
            result = -1;
            goto done;
        }
        rc.prefill_tokens += rc.sr[i].new_tokens - rc.sr[i].reused;
    }
    if (job->save_cache) {
        emu_slot *s0 = &h->slots[0];
        if (emu_prompt_cache_save(job->cache_path, &h->model, s0->ids, s0->len, err,
                                  sizeof err) != 0) {
            emu_log('E', "%s", err);
            finish(&rc, RKLLM_RUN_ERROR);
            result = -1;
            goto done;
        }
    }

    /* Prefill: the board's time for the prompt tokens not served by the
     * prompt cache. */
    uint64_t deadline = rc.t_start +
                        emu_ms_to_ns(h->model.prefill_ms_per_token * rc.prefill_tokens * speed);
    if (speed > 0.0 && emu_wait_until(h, deadline)) {
        finish(&rc, RKLLM_RUN_FINISH);
        goto done;
    }
    if (job->mode != RKLLM_INFER_GENERATE) {
        if (deliver_prefill_output(&rc) != 0) {
            emu_log('E', "out of memory for the %s buffer",
                    job->mode == RKLLM_INFER_GET_LOGITS ? "logits" : "hidden state");
            finish(&rc, RKLLM_RUN_ERROR);
            result = -1;
            goto done;
        }
        rc.t_first = emu_now_ns();
        if (job->mode == RKLLM_INFER_GET_LAST_HIDDEN_LAYER || rc.paused) {
            finish(&rc, RKLLM_RUN_FINISH);
            goto done;
        }
    }
    if (stall_ms > 0) {
        /* Fault injection: real milliseconds, not scaled by the speed. */
        if (emu_wait_until(h, emu_now_ns() + (uint64_t)stall_ms * 1000000ULL)) {
            finish(&rc, RKLLM_RUN_FINISH);
            goto done;
        }
    }
    /* Decoding: as on the board the callback runs inside the decode loop, so
     * each token is ready one decode step after the previous callback
     * returned, and a slow callback delays everything after it. The first
     * token comes out of the prefill. */
    uint64_t ready = 0;
    for (;;) {
        int left = entries_left(&rc);
        if (atomic_load(&h->abort_requested) || left == 0) {
            break;
        }
        if (ready != 0) {
            ready += step_ns_for(h, left, speed);
            if (speed > 0.0 && emu_wait_until(h, ready)) {
                break;
            }
        }
        bool error = false;
        if (!decode_step(&rc, &error)) {
            if (error) {
                finish(&rc, RKLLM_RUN_ERROR);
                result = -1;
                goto done;
            }
            break;
        }
        ready = emu_now_ns(); /* the next step starts when the callback returned */
    }
    finish(&rc, RKLLM_RUN_FINISH);

done:
    for (int i = 0; i < h->n_batch; i++) {
        emu_slot *s = &h->slots[i];
        if (rc.paused) {
            /* Pausing keeps the KV cache so that the next run resumes. */
            s->paused = true;
        } else if (!job->keep_history) {
            s->len = s->system_len;
        }
        emu_slot_publish(s);
        if (rc.sr[i].gen_ready) {
            emu_gen_free(&rc.sr[i].gen);
        }
        emu_sb_free(&rc.sr[i].pending);
    }
    emu_free(rc.sr);
    return result;
}

/* ------------------------------------------------- npu4j introspection */

EMU_EXPORT long npu4j_emulator_run_count(void);

/* Process-wide number of runs started (rkllm_run and rkllm_run_async that
 * reached the runtime thread), on every handle: one per batch, whatever its
 * n_batch. */
EMU_EXPORT long npu4j_emulator_run_count(void)
{
    return atomic_load_explicit(&g_runs, memory_order_relaxed);
}
