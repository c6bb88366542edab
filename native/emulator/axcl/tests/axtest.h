/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Minimal assertions for the AXCL emulator's C tests: a failed check prints
 * where and why, and exits non-zero (ctest reports the test as failed).
 */
#ifndef NPU4J_AXCL_AXTEST_H
#define NPU4J_AXCL_AXTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axcl.h"
#include "npu4j_axcl_emulator.h"

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

#define CHECK_RC(expr, want)                                                                       \
    do {                                                                                           \
        axclError rc_ = (expr);                                                                    \
        axclError want_ = (axclError)(want);                                                       \
        if (rc_ != want_) {                                                                        \
            fprintf(stderr, "%s:%d: %s returned 0x%08X, expected 0x%08X\n", __FILE__, __LINE__, \
                    #expr, (unsigned)rc_, (unsigned)want_);                                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define OK(expr) CHECK_RC(expr, AXCL_SUCC)

/* Error codes the emulator is documented to return (README.md). */
#define E_NOT_INIT ((axclError)0x80300185)       /* DEVICE / NO_ACTIVE_DEVICE */
#define E_LOST ((axclError)0x80300181)           /* DEVICE / NO_CONNECT */
#define E_NO_CTX ((axclError)0x80300284)         /* CONTEXT / NO_BIND_CONTEXT */
#define E_MEM_NO_MEMORY ((axclError)0x80300507)  /* MEMORY / NO_MEMORY */
#define E_MEM_ILLEGAL ((axclError)0x80300503)    /* MEMORY / ILLEGAL_PARAM */
#define E_MEM_NOT_DEVICE ((axclError)0x80300581) /* MEMORY / NOT_DEVICE_MEMORY */
#define E_ENG_ILLEGAL ((axclError)0x80300703)    /* ENGINE / ILLEGAL_PARAM */
#define E_ENG_UNSUPPORTED ((axclError)0x80300704)
#define E_ENG_DECODE ((axclError)0x80300709)
#define E_ENG_NOT_INIT ((axclError)0x8030070A) /* ENGINE / UNEXPECT_RESPONSE */
#define E_ENG_OPEN ((axclError)0x8030070B)
#define E_ENG_EXECUTE ((axclError)0x8030070C)
#define E_ENG_INDEX ((axclError)0x80300781)
#define E_ENG_NULL ((axclError)0x80300702)

/* dir/name in the next of four heap buffers that ring[] rotates through (a
 * result stays valid for the next three calls with the same ring). No length
 * limit: the source and build directories are part of the path. */
static inline const char *ring_path(char *ring[4], int *next, const char *dir, const char *name) {
    char **slot = &ring[(*next)++ % 4];
    free(*slot);
    if (asprintf(slot, "%s/%s", dir, name) < 0) {
        fprintf(stderr, "out of memory joining %s/%s\n", dir, name);
        exit(1);
    }
    return *slot;
}

/* A shipped descriptor under models/, or an absolute path as it is. */
static inline const char *model_path(const char *name) {
    if (name[0] == '/') {
        return name;
    }
    static char *ring[4];
    static int next;
    return ring_path(ring, &next, AXCL_MODELS_DIR, name);
}

static inline const char *tmp_path(const char *name) {
    static char *ring[4];
    static int next;
    return ring_path(ring, &next, AXCL_TEST_TMPDIR, name);
}

static inline void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, n, f) == n);
    CHECK(fclose(f) == 0);
}

static inline void write_text(const char *path, const char *text) {
    write_file(path, text, strlen(text));
}

static inline double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* axclInit(NULL), axclrtSetDevice(1), axclrtEngineInit(VNPU_DISABLE). */
static inline void setup_engine(void) {
    OK(axclInit(NULL));
    OK(axclrtSetDevice(1));
    OK(axclrtEngineInit(AXCL_VNPU_DISABLE));
}

static inline void teardown_engine(void) {
    OK(axclrtEngineFinalize());
    OK(axclrtResetDevice(1));
    OK(axclFinalize());
}

/* A loaded model with its IO info, one IO, device buffers for every tensor
 * (sized for group `group` times `batch`) and one engine context. */
struct model_run {
    uint64_t id, ctx;
    axclrtEngineIOInfo info;
    axclrtEngineIO io;
    uint32_t nin, nout;
    void *in[16], *out[16];
    uint64_t in_size[16], out_size[16];
};

static inline void model_open(struct model_run *m, const char *file, uint32_t group, uint32_t batch) {
    memset(m, 0, sizeof *m);
    OK(axclrtEngineLoadFromFile(model_path(file), &m->id));
    CHECK(m->id != 0);
    OK(axclrtEngineGetIOInfo(m->id, &m->info));
    OK(axclrtEngineCreateIO(m->info, &m->io));
    m->nin = axclrtEngineGetNumInputs(m->info);
    m->nout = axclrtEngineGetNumOutputs(m->info);
    for (uint32_t i = 0; i < m->nin; i++) {
        m->in_size[i] = axclrtEngineGetInputSizeByIndex(m->info, group, i) * batch;
        OK(axclrtMalloc(&m->in[i], m->in_size[i], AXCL_MEM_MALLOC_HUGE_FIRST));
        OK(axclrtEngineSetInputBufferByIndex(m->io, i, m->in[i], m->in_size[i]));
    }
    for (uint32_t i = 0; i < m->nout; i++) {
        m->out_size[i] = axclrtEngineGetOutputSizeByIndex(m->info, group, i) * batch;
        OK(axclrtMalloc(&m->out[i], m->out_size[i], AXCL_MEM_MALLOC_HUGE_FIRST));
        OK(axclrtEngineSetOutputBufferByIndex(m->io, i, m->out[i], m->out_size[i]));
    }
    if (batch > 1) {
        OK(axclrtEngineSetDynamicBatchSize(m->io, batch));
    }
    OK(axclrtEngineCreateContext(m->id, &m->ctx));
    CHECK(m->ctx != 0);
}

static inline void model_close(struct model_run *m) {
    for (uint32_t i = 0; i < m->nin; i++) {
        OK(axclrtFree(m->in[i]));
    }
    for (uint32_t i = 0; i < m->nout; i++) {
        OK(axclrtFree(m->out[i]));
    }
    OK(axclrtEngineDestroyIO(m->io));
    OK(axclrtEngineDestroyIOInfo(m->info));
    OK(axclrtEngineUnload(m->id));
}

#endif /* NPU4J_AXCL_AXTEST_H */
