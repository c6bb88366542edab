/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The worker thread of an npu4j RKLLM emulator handle and the calls that hand
 * it work or stop it: rkllm_run, rkllm_run_async, rkllm_abort,
 * rkllm_is_running. One task runs per handle at a time; a new request waits
 * until the previous one has delivered FINISH or ERROR.
 */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "emu_runtime.h"

/* Waits until the monotonic deadline or an abort; true when aborted. */
bool emu_wait_until(emu_handle *h, uint64_t deadline_ns)
{
    if (atomic_load(&h->abort_requested)) {
        return true;
    }
    if (emu_now_ns() >= deadline_ns) {
        return false;
    }
    struct timespec ts = {.tv_sec = (time_t)(deadline_ns / 1000000000ULL),
                          .tv_nsec = (long)(deadline_ns % 1000000000ULL)};
    pthread_mutex_lock(&h->mu);
    while (!atomic_load(&h->abort_requested) && emu_now_ns() < deadline_ns) {
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return atomic_load(&h->abort_requested);
}

void *emu_worker_main(void *arg)
{
    emu_handle *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (h->pending == NULL && !h->shutting_down) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        if (h->pending == NULL) {
            break; /* shutting down, nothing left to run */
        }
        emu_job *job = h->pending;
        h->pending = NULL;
        pthread_mutex_unlock(&h->mu);

        int rc = emu_run_job(h, job);

        pthread_mutex_lock(&h->mu);
        h->running = false;
        if (job->sync) {
            job->rc = rc;
            job->done = true; /* the waiting caller frees it */
        } else {
            emu_job_free(job);
        }
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* Hands a job to the worker; for sync jobs waits for its end. */
static int submit(emu_handle *h, emu_job *job)
{
    pthread_mutex_lock(&h->mu);
    h->waiters++;
    while (h->running && !h->shutting_down) {
        pthread_cond_wait(&h->cv, &h->mu);
    }
    if (h->shutting_down) {
        h->waiters--;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        emu_job_free(job);
        emu_log('E', "rkllm_run: the handle is being destroyed");
        return -1;
    }
    h->running = true;
    atomic_store(&h->abort_requested, false);
    h->pending = job;
    pthread_cond_broadcast(&h->cv);
    int rc = 0;
    if (job->sync) {
        while (!job->done) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        rc = job->rc;
        emu_job_free(job);
    }
    h->waiters--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return rc;
}

/* For calls that change state a task uses: takes the handle's lock and
 * returns true when no task runs (the caller then unlocks); otherwise logs,
 * unlocks and returns false. Holding the lock keeps a new task from starting
 * while the state changes. */
bool emu_lock_idle(emu_handle *h, const char *fn)
{
    pthread_mutex_lock(&h->mu);
    if (!h->running) {
        return true;
    }
    pthread_mutex_unlock(&h->mu);
    emu_log('E', "%s: a task is running on this handle; wait for FINISH or call "
                 "rkllm_abort first",
            fn);
    return false;
}

static int run_common(LLMHandle handle, RKLLMInput *input, RKLLMInferParam *params,
                      void *userdata, bool sync, const char *fn)
{
    emu_handle *h = emu_as_handle(handle, fn);
    if (h == NULL) {
        return -1;
    }
    if (emu_on_worker(h)) {
        emu_log('E', "%s: cannot start a task from the result callback (the runtime thread "
                     "would wait for itself); return 1 to pause, then call %s from your "
                     "own thread",
                fn, fn);
        return -1;
    }
    char err[ERRLEN];
    emu_job *job = emu_job_make(h, input, params, userdata, err, sizeof err);
    if (job == NULL) {
        emu_log('E', "%s: %s", fn, err);
        return -1;
    }
    job->sync = sync;
    return submit(h, job);
}

EMU_EXPORT int rkllm_run(LLMHandle handle, RKLLMInput *rkllm_input,
                         RKLLMInferParam *rkllm_infer_params, void *userdata)
{
    return run_common(handle, rkllm_input, rkllm_infer_params, userdata, true, "rkllm_run");
}

EMU_EXPORT int rkllm_run_async(LLMHandle handle, RKLLMInput *rkllm_input,
                               RKLLMInferParam *rkllm_infer_params, void *userdata)
{
    return run_common(handle, rkllm_input, rkllm_infer_params, userdata, false,
                      "rkllm_run_async");
}

EMU_EXPORT int rkllm_abort(LLMHandle handle)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_abort");
    if (h == NULL) {
        return -1;
    }
    atomic_store(&h->abort_requested, true);
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

EMU_EXPORT int rkllm_is_running(LLMHandle handle)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_is_running");
    if (h == NULL) {
        return -1;
    }
    pthread_mutex_lock(&h->mu);
    bool running = h->running;
    pthread_mutex_unlock(&h->mu);
#if NPU4J_EMU_ABI_MINOR >= 3
    return running ? 1 : 0;   /* 1.3.0: 1 while a task runs */
#else
    return running ? 0 : -1;  /* 1.2.x: 0 while a task runs, non-zero otherwise */
#endif
}
