/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The engine end to end: loading (and refusing), IO queries, IO bindings by
 * index and by name, execution (sync and async), dynamic batch, several
 * engine contexts, shape groups, usage, model type, VNPU kind and affinity.
 */
#include "axtest.h"

#include <math.h>

static void refusals(void) {
    uint64_t id = 0;
    /* Not our descriptor: garbage, something shaped like a compiled model, an empty file. */
    static const uint8_t fake_axmodel[] = {0x08, 0x01, 0x12, 0x07, 'a', 'x', 'm', 'o', 'd', 'e', 'l', 0x1a, 0x00, 0xff};
    write_file(tmp_path("fake.axmodel"), fake_axmodel, sizeof fake_axmodel);
    CHECK_RC(axclrtEngineLoadFromFile(tmp_path("fake.axmodel"), &id), E_ENG_UNSUPPORTED);
    write_text(tmp_path("garbage.model"), "hello world\n");
    CHECK_RC(axclrtEngineLoadFromFile(tmp_path("garbage.model"), &id), E_ENG_UNSUPPORTED);
    write_text(tmp_path("empty.model"), "");
    CHECK_RC(axclrtEngineLoadFromFile(tmp_path("empty.model"), &id), E_ENG_UNSUPPORTED);
    write_text(tmp_path("almost.model"), "npu4j-emulator-model axcl 2\ncompute identity\n");
    CHECK_RC(axclrtEngineLoadFromFile(tmp_path("almost.model"), &id), E_ENG_UNSUPPORTED);
    /* Our magic, broken body. */
    const char *broken[] = {
        "npu4j-emulator-model axcl 1\n",
        "npu4j-emulator-model axcl 1\ncompute identity\ninput a fp32 none 1x4\n",
        "npu4j-emulator-model axcl 1\ncompute identity\ninput a fp32 none 1x4\noutput b fp32 none 1x5\n",
        "npu4j-emulator-model axcl 1\ncompute identity\ninput a fp99 none 1x4\noutput b fp32 none 1x4\n",
        "npu4j-emulator-model axcl 1\ncompute identity\ninput a fp32 nhwc 1x0\noutput b fp32 none 1x4\n",
        "npu4j-emulator-model axcl 1\nfrobnicate\n",
        "npu4j-emulator-model axcl 1\ncompute yolo\ninput a uint8 nhwc 1x100x100x3\noutput b fp32 none 1x4\n",
        "npu4j-emulator-model axcl 1\ninput a fp32 none 1x4\noutput b fp32 none 1x4\n",
        "npu4j-emulator-model axcl 1\ncompute affine scale=x\ninput a fp32 none 1x4\noutput b fp32 none 1x4\n",
        "npu4j-emulator-model axcl 1\ncompute identity\ngroup g1\ninput a fp32 none 1x4\noutput b fp32 none 1x4\n"
        "group g2\ninput a fp32 none 1x8\n",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        write_text(tmp_path("broken.model"), broken[i]);
        axclError rc = axclrtEngineLoadFromFile(tmp_path("broken.model"), &id);
        if (rc != E_ENG_DECODE) {
            fprintf(stderr, "descriptor %zu: 0x%08X, expected 0x%08X\n", i, (unsigned)rc, (unsigned)E_ENG_DECODE);
            exit(1);
        }
    }
    CHECK_RC(axclrtEngineLoadFromFile(tmp_path("no-such.model"), &id), E_ENG_OPEN);
    CHECK_RC(axclrtEngineLoadFromFile(NULL, &id), E_ENG_NULL);
    CHECK_RC(axclrtEngineLoadFromMem("junk", 4, &id), E_ENG_UNSUPPORTED);
    CHECK_RC(axclrtEngineLoadFromMem(NULL, 4, &id), E_ENG_NULL);
    CHECK(npu4j_emulator_axcl_live("models") == 0);
}

static void identity(void) {
    struct model_run m;
    model_open(&m, "identity-small.model", 0, 1);
    CHECK(strstr(axclrtEngineGetModelCompilerVersion(m.id), "npu4j") != NULL);
    CHECK(strcmp(axclrtEngineGetModelCompilerVersion(999999), "") == 0);

    /* IO description. */
    int32_t groups = 0;
    OK(axclrtEngineGetShapeGroupsCount(m.info, &groups));
    CHECK(groups == 1 && m.nin == 1 && m.nout == 1);
    CHECK(axclrtEngineGetInputSizeByIndex(m.info, 0, 0) == 1024);
    CHECK(axclrtEngineGetOutputSizeByIndex(m.info, 0, 0) == 1024);
    CHECK(axclrtEngineGetInputSizeByIndex(m.info, 0, 1) == 0);
    CHECK(axclrtEngineGetInputSizeByIndex(m.info, 1, 0) == 0);
    CHECK(strcmp(axclrtEngineGetInputNameByIndex(m.info, 0), "input") == 0);
    CHECK(strcmp(axclrtEngineGetOutputNameByIndex(m.info, 0), "output") == 0);
    CHECK(axclrtEngineGetInputNameByIndex(m.info, 1) == NULL);
    CHECK(axclrtEngineGetInputIndexByName(m.info, "input") == 0);
    CHECK(axclrtEngineGetOutputIndexByName(m.info, "output") == 0);
    CHECK(axclrtEngineGetInputIndexByName(m.info, "output") == -1);
    CHECK(axclrtEngineGetOutputIndexByName(m.info, NULL) == -1);
    axclrtEngineIODims dims;
    OK(axclrtEngineGetInputDims(m.info, 0, 0, &dims));
    CHECK(dims.dimCount == 2 && dims.dims[0] == 1 && dims.dims[1] == 256);
    OK(axclrtEngineGetOutputDims(m.info, 0, 0, &dims));
    CHECK(dims.dimCount == 2 && dims.dims[1] == 256);
    CHECK_RC(axclrtEngineGetInputDims(m.info, 0, 1, &dims), E_ENG_INDEX);
    CHECK_RC(axclrtEngineGetOutputDims(m.info, 1, 0, &dims), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineGetInputDims(m.info, 0, 0, NULL), E_ENG_NULL);
    axclrtEngineDataType type;
    axclrtEngineDataLayout layout;
    OK(axclrtEngineGetInputDataType(m.info, 0, &type));
    CHECK(type == AXCL_DATA_TYPE_FP32);
    OK(axclrtEngineGetOutputDataType(m.info, 0, &type));
    CHECK(type == AXCL_DATA_TYPE_FP32);
    OK(axclrtEngineGetInputDataLayout(m.info, 0, &layout));
    CHECK(layout == AXCL_DATA_LAYOUT_NONE);
    OK(axclrtEngineGetOutputDataLayout(m.info, 0, &layout));
    CHECK_RC(axclrtEngineGetOutputDataType(m.info, 3, &type), E_ENG_INDEX);
    CHECK_RC(axclrtEngineGetInputDataLayout(m.info, 3, &layout), E_ENG_INDEX);
    CHECK(axclrtEngineGetNumInputs(NULL) == 0);

    /* Binding as the real 3.10 runtime: only a NULL IO or buffer, size 0 and a bad index (or an
     * unknown name) are refused; size, memory kind and range are checked at execute, for the bytes
     * the tensor uses. */
    char host[1024];
    CHECK_RC(axclrtEngineSetInputBufferByIndex(m.io, 1, m.in[0], 1024), E_ENG_INDEX);
    CHECK_RC(axclrtEngineSetInputBufferByIndex(m.io, 0, NULL, 1024), E_ENG_NULL);
    CHECK_RC(axclrtEngineSetInputBufferByIndex(NULL, 0, m.in[0], 1024), E_ENG_NULL);
    CHECK_RC(axclrtEngineSetInputBufferByIndex(m.io, 0, m.in[0], 0), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineSetInputBufferByName(m.io, "nope", m.in[0], 1024), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineSetOutputBufferByName(m.io, "input", m.out[0], 1024), E_ENG_ILLEGAL);
    {
        uint64_t ectx;
        OK(axclrtEngineCreateContext(m.id, &ectx));
        int64_t binds = npu4j_emulator_axcl_call_count("bind");
        int64_t executes = npu4j_emulator_axcl_call_count("execute");
        OK(axclrtEngineSetInputBufferByIndex(m.io, 0, m.in[0], 100)); /* declared too small */
        CHECK_RC(axclrtEngineExecute(m.id, ectx, 0, m.io), E_ENG_ILLEGAL);
        OK(axclrtEngineSetInputBufferByIndex(m.io, 0, host, sizeof host)); /* host memory */
        CHECK_RC(axclrtEngineExecute(m.id, ectx, 0, m.io), E_ENG_ILLEGAL);
        OK(axclrtEngineSetInputBufferByIndex(m.io, 0, (char *)m.in[0] + 512, 1024)); /* the used bytes run past */
        CHECK_RC(axclrtEngineExecute(m.id, ectx, 0, m.io), E_ENG_ILLEGAL);
        /* Declared past the end of a bigger allocation, but the 1024 bytes used fit: runs. */
        void *big;
        OK(axclrtMalloc(&big, 2048, AXCL_MEM_MALLOC_HUGE_FIRST));
        OK(axclrtEngineSetInputBufferByIndex(m.io, 0, (char *)big + 1024, 1 << 20));
        OK(axclrtEngineExecute(m.id, ectx, 0, m.io));
        CHECK(npu4j_emulator_axcl_call_count("bind") == binds + 4);
        CHECK(npu4j_emulator_axcl_call_count("execute") == executes + 1);
        OK(axclrtEngineSetInputBufferByIndex(m.io, 0, m.in[0], 1024));
        OK(axclrtFree(big));
    }
    OK(axclrtEngineSetInputBufferByName(m.io, "input", m.in[0], 1024));
    OK(axclrtEngineSetOutputBufferByName(m.io, "output", m.out[0], 1024));
    void *got;
    uint64_t got_size;
    OK(axclrtEngineGetInputBufferByName(m.io, "input", &got, &got_size));
    CHECK(got == m.in[0] && got_size == 1024);
    OK(axclrtEngineGetOutputBufferByIndex(m.io, 0, &got, &got_size));
    CHECK(got == m.out[0] && got_size == 1024);
    OK(axclrtEngineGetOutputBufferByName(m.io, "output", &got, &got_size));
    OK(axclrtEngineGetInputBufferByIndex(m.io, 0, &got, &got_size));
    CHECK_RC(axclrtEngineGetInputBufferByName(m.io, "zzz", &got, &got_size), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineGetOutputBufferByIndex(m.io, 4, &got, &got_size), E_ENG_INDEX);

    /* Execute: output = input. */
    float in[256], out[256];
    for (int i = 0; i < 256; i++) {
        in[i] = (float)i * 0.5f - 3.0f;
    }
    OK(axclrtMemcpy(m.in[0], in, sizeof in, AXCL_MEMCPY_HOST_TO_DEVICE));
    uint64_t before = npu4j_emulator_axcl_execute_count();
    OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io));
    CHECK(npu4j_emulator_axcl_execute_count() == before + 1);
    OK(axclrtMemcpy(out, m.out[0], sizeof out, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(in, out, sizeof in) == 0);

    /* Wrong ids, groups, IOs. */
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx + 1000, 0, m.io), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineExecute(m.id + 1000, m.ctx, 0, m.io), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 1, m.io), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, NULL), E_ENG_NULL);
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, (axclrtEngineIO)host), E_ENG_ILLEGAL);
    axclrtEngineIO bare;
    OK(axclrtEngineCreateIO(m.info, &bare));
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, bare), E_ENG_NULL); /* no buffers set */
    OK(axclrtEngineDestroyIO(bare));
    CHECK_RC(axclrtEngineDestroyIO(bare), E_ENG_ILLEGAL);

    /* Several engine contexts on one model. */
    uint64_t c2, c3;
    OK(axclrtEngineCreateContext(m.id, &c2));
    OK(axclrtEngineCreateContext(m.id, &c3));
    CHECK(c2 != c3 && c2 != m.ctx);
    OK(axclrtEngineExecute(m.id, c2, 0, m.io));
    OK(axclrtEngineExecute(m.id, c3, 0, m.io));
    CHECK(npu4j_emulator_axcl_live("engine_contexts") == 4); /* one more from the binding checks */

    /* Dynamic batch: sizes multiply. */
    CHECK_RC(axclrtEngineSetDynamicBatchSize(m.io, 0), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineSetDynamicBatchSize(m.io, 9), E_ENG_ILLEGAL); /* max_batch 8 */
    OK(axclrtEngineSetDynamicBatchSize(m.io, 4));
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, m.io), E_ENG_ILLEGAL); /* 1 KiB buffers, 4 KiB needed */
    void *bin, *bout;
    OK(axclrtMalloc(&bin, 4096, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMalloc(&bout, 4096, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtEngineSetInputBufferByIndex(m.io, 0, bin, 4096));
    OK(axclrtEngineSetOutputBufferByIndex(m.io, 0, bout, 4096));
    static uint8_t big_in[4096], big_out[4096];
    for (int i = 0; i < 4096; i++) {
        big_in[i] = (uint8_t)(i * 13);
    }
    OK(axclrtMemcpy(bin, big_in, 4096, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io));
    OK(axclrtMemcpy(big_out, bout, 4096, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(big_in, big_out, 4096) == 0);

    /* Asynchronous execution, on a stream and on the default stream. */
    axclrtStream s;
    OK(axclrtCreateStream(&s));
    memset(big_out, 0, sizeof big_out);
    for (int i = 0; i < 4096; i++) {
        big_in[i] = (uint8_t)(i * 31 + 1);
    }
    OK(axclrtMemcpyAsync(bin, big_in, 4096, AXCL_MEMCPY_HOST_TO_DEVICE, s));
    OK(axclrtEngineExecuteAsync(m.id, c2, 0, m.io, s));
    OK(axclrtMemcpyAsync(big_out, bout, 4096, AXCL_MEMCPY_DEVICE_TO_HOST, s));
    OK(axclrtSynchronizeStream(s));
    CHECK(memcmp(big_in, big_out, 4096) == 0);
    OK(axclrtEngineExecuteAsync(m.id, c3, 0, m.io, NULL));
    OK(axclrtSynchronizeStream(NULL));
    CHECK_RC(axclrtEngineExecuteAsync(m.id, 424242, 0, m.io, s), E_ENG_ILLEGAL); /* refused when queued */
    OK(axclrtDestroyStream(s));
    OK(axclrtFree(bin));
    OK(axclrtFree(bout));
    /* A freed buffer is noticed at execute. */
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 0, m.io), E_ENG_ILLEGAL);

    /* Usage and type queries. */
    int64_t sys = 0, cmm = 0;
    OK(axclrtEngineGetUsageFromModelId(m.id, &sys, &cmm));
    CHECK(sys == 64 * 1024 && cmm == 64 * 1024);
    OK(axclrtEngineGetUsage(model_path("yolo11s-640.model"), &sys, &cmm));
    CHECK(sys == 2 << 20 && cmm == 24 << 20);
    axclrtEngineModelKind kind;
    OK(axclrtEngineGetModelTypeFromModelId(m.id, &kind));
    CHECK(kind == AXCL_MODEL_TYPE_1CORE);
    OK(axclrtEngineGetModelType(model_path("yolo11s-640.model"), &kind));
    CHECK(kind == AXCL_MODEL_TYPE_3CORE);
    CHECK_RC(axclrtEngineGetModelType(tmp_path("garbage.model"), &kind), E_ENG_UNSUPPORTED);

    uint64_t id = m.id;
    model_close(&m);
    CHECK_RC(axclrtEngineUnload(id), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineCreateContext(id, &c2), E_ENG_ILLEGAL);
}

static void affine(void) {
    struct model_run m;
    model_open(&m, "affine-small.model", 0, 1);
    CHECK(m.nin == 2 && m.nout == 2);
    CHECK(axclrtEngineGetInputIndexByName(m.info, "y") == 1);
    CHECK(axclrtEngineGetOutputIndexByName(m.info, "y_out") == 1);
    float x[8], xo[8];
    uint8_t y[8] = {0, 1, 2, 50, 100, 127, 128, 200}, yo[8];
    for (int i = 0; i < 8; i++) {
        x[i] = (float)i - 2.5f;
    }
    OK(axclrtMemcpy(m.in[0], x, sizeof x, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtMemcpy(m.in[1], y, sizeof y, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io));
    OK(axclrtMemcpy(xo, m.out[0], sizeof xo, AXCL_MEMCPY_DEVICE_TO_HOST));
    OK(axclrtMemcpy(yo, m.out[1], sizeof yo, AXCL_MEMCPY_DEVICE_TO_HOST));
    for (int i = 0; i < 8; i++) {
        CHECK(xo[i] == x[i] * 2 + 1);
        int want = y[i] * 2 + 1;
        CHECK(yo[i] == (want > 255 ? 255 : want));
    }
    model_close(&m);
}

/* Two shape groups: decode (1 token) and prefill (128 tokens), bf16. */
static void shape_groups(void) {
    struct model_run m;
    model_open(&m, "qwen3-0.6b-layer.model", 1, 1); /* buffers sized for prefill */
    int32_t groups;
    OK(axclrtEngineGetShapeGroupsCount(m.info, &groups));
    CHECK(groups == 2);
    CHECK(axclrtEngineGetInputSizeByIndex(m.info, 0, 0) == 1024 * 2);
    CHECK(axclrtEngineGetInputSizeByIndex(m.info, 1, 0) == 128 * 1024 * 2);
    axclrtEngineIODims dims;
    OK(axclrtEngineGetInputDims(m.info, 1, 0, &dims));
    CHECK(dims.dimCount == 3 && dims.dims[1] == 128 && dims.dims[2] == 1024);
    axclrtEngineDataType type;
    OK(axclrtEngineGetInputDataType(m.info, 0, &type));
    CHECK(type == AXCL_DATA_TYPE_BF16);

    static uint16_t hidden[128 * 1024], out1[128 * 1024], out2[128 * 1024];
    for (int i = 0; i < 128 * 1024; i++) {
        hidden[i] = (uint16_t)(0x3F80 + (i % 64)); /* bf16 values around 1.0 */
    }
    OK(axclrtMemcpy(m.in[0], hidden, sizeof hidden, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m.id, m.ctx, 1, m.io)); /* prefill */
    OK(axclrtMemcpy(out1, m.out[0], sizeof out1, AXCL_MEMCPY_DEVICE_TO_HOST));
    OK(axclrtEngineExecute(m.id, m.ctx, 1, m.io));
    OK(axclrtMemcpy(out2, m.out[0], sizeof out2, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(out1, out2, sizeof out1) == 0); /* deterministic */
    for (int i = 0; i < 128 * 1024; i++) {
        uint32_t bits = (uint32_t)out1[i] << 16;
        float f;
        memcpy(&f, &bits, 4);
        CHECK(isfinite(f) && f >= -1.0f && f <= 1.0f);
    }
    OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io)); /* decode with the same (larger) buffers */
    OK(axclrtMemcpy(out2, m.out[0], 2048, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(out1, out2, 2048) != 0); /* other group, other input size: other output */
    hidden[0] ^= 1;
    OK(axclrtMemcpy(m.in[0], hidden, sizeof hidden, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m.id, m.ctx, 1, m.io));
    OK(axclrtMemcpy(out2, m.out[0], sizeof out2, AXCL_MEMCPY_DEVICE_TO_HOST));
    CHECK(memcmp(out1, out2, sizeof out1) != 0); /* depends on the input */

    /* Buffers only big enough for decode work for decode, not for prefill. */
    axclrtEngineIO small;
    void *si, *so;
    OK(axclrtEngineCreateIO(m.info, &small));
    OK(axclrtMalloc(&si, 2048, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMalloc(&so, 2048, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtEngineSetInputBufferByIndex(small, 0, si, 2048));
    OK(axclrtEngineSetOutputBufferByIndex(small, 0, so, 2048));
    OK(axclrtEngineExecute(m.id, m.ctx, 0, small));
    CHECK_RC(axclrtEngineExecute(m.id, m.ctx, 1, small), E_ENG_ILLEGAL);
    OK(axclrtEngineDestroyIO(small));
    OK(axclrtFree(si));
    OK(axclrtFree(so));
    model_close(&m);
}

static void classifier(void) {
    struct model_run m;
    model_open(&m, "mobilenetv2.model", 0, 1);
    static uint8_t img[224 * 224 * 3];
    for (size_t i = 0; i < sizeof img; i++) {
        img[i] = (uint8_t)(i * 7);
    }
    float logits[1000];
    OK(axclrtMemcpy(m.in[0], img, sizeof img, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io));
    OK(axclrtMemcpy(logits, m.out[0], sizeof logits, AXCL_MEMCPY_DEVICE_TO_HOST));
    int best = 0, above = 0;
    for (int i = 0; i < 1000; i++) {
        best = logits[i] > logits[best] ? i : best;
        above += logits[i] > 1.0f;
    }
    CHECK(logits[best] >= 9.0f && above == 1); /* one clear winner */
    model_close(&m);
}

static void load_from_memory(void) {
    FILE *f = fopen(model_path("identity-small.model"), "rb");
    CHECK(f != NULL);
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    /* As documented: the model is in device memory. */
    void *d;
    OK(axclrtMalloc(&d, n, AXCL_MEM_MALLOC_HUGE_FIRST));
    OK(axclrtMemcpy(d, text, n, AXCL_MEMCPY_HOST_TO_DEVICE));
    uint64_t id1, id2;
    OK(axclrtEngineLoadFromMem(d, n, &id1));
    int64_t sys, cmm;
    OK(axclrtEngineGetUsageFromMem(d, n, &sys, &cmm));
    CHECK(cmm == 64 * 1024);
    axclrtEngineModelKind kind;
    OK(axclrtEngineGetModelTypeFromMem(d, n, &kind));
    CHECK(kind == AXCL_MODEL_TYPE_1CORE);
    CHECK_RC(axclrtEngineLoadFromMem(d, n + 5000, &id2), E_ENG_ILLEGAL); /* past the allocation */
    /* Tolerated (with a warning): host memory, here with its terminating NUL. */
    OK(axclrtEngineLoadFromMem(text, n + 1, &id2));
    CHECK(id1 != id2);
    OK(axclrtEngineUnload(id1));
    OK(axclrtEngineUnload(id2));
    OK(axclrtFree(d));
}

static void model_memory(void) {
    axclrtDeviceProperties p0, p1;
    OK(axclrtGetDeviceProperties(1, &p0));
    uint64_t id;
    OK(axclrtEngineLoadFromFile(model_path("yolo11s-640.model"), &id));
    OK(axclrtGetDeviceProperties(1, &p1));
    CHECK(p1.freeCmmSize == p0.freeCmmSize - 24 * 1024);
    CHECK(p1.freeMemSize == p0.freeMemSize - 2 * 1024);
    OK(axclrtEngineUnload(id));
    OK(axclrtGetDeviceProperties(1, &p1));
    CHECK(p1.freeCmmSize == p0.freeCmmSize && p1.freeMemSize == p0.freeMemSize);
}

static void vnpu_and_affinity(void) {
    axclrtEngineVNpuKind k;
    OK(axclrtEngineGetVNpuKind(&k));
    CHECK(k == AXCL_VNPU_DISABLE);
    CHECK_RC(axclrtEngineInit(AXCL_VNPU_ENABLE), E_ENG_ILLEGAL); /* already running as DISABLE */
    OK(axclrtEngineInit(AXCL_VNPU_DISABLE));                     /* same kind: counted */
    OK(axclrtEngineFinalize());
    OK(axclrtEngineFinalize());
    CHECK_RC(axclrtEngineGetVNpuKind(&k), E_ENG_NOT_INIT);
    CHECK_RC(axclrtEngineFinalize(), E_ENG_NOT_INIT);
    CHECK_RC(axclrtEngineInit((axclrtEngineVNpuKind)4), E_ENG_ILLEGAL);

    OK(axclrtEngineInit(AXCL_VNPU_ENABLE));
    OK(axclrtEngineGetVNpuKind(&k));
    CHECK(k == AXCL_VNPU_ENABLE);
    uint64_t id;
    CHECK_RC(axclrtEngineLoadFromFile(model_path("yolo11s-640.model"), &id), E_ENG_UNSUPPORTED); /* 3-core model */
    OK(axclrtEngineLoadFromFile(model_path("identity-small.model"), &id));
    axclrtEngineSet set = 0;
    OK(axclrtEngineGetAffinity(id, &set));
    CHECK(set == 0x7);
    OK(axclrtEngineSetAffinity(id, 0x2));
    OK(axclrtEngineGetAffinity(id, &set));
    CHECK(set == 0x2);
    CHECK_RC(axclrtEngineSetAffinity(id, 0), E_ENG_ILLEGAL);
    CHECK_RC(axclrtEngineSetAffinity(id, 0x8), E_ENG_ILLEGAL);
    uint64_t ctx;
    OK(axclrtEngineCreateContext(id, &ctx));
    CHECK_RC(axclrtEngineSetContextAffinity(id, ctx, 0x1), E_ENG_UNSUPPORTED);
    CHECK_RC(axclrtEngineGetContextAffinity(id, ctx, &set), E_ENG_UNSUPPORTED);
    OK(axclrtEngineUnload(id));
    OK(axclrtEngineFinalize());

    OK(axclrtEngineInit(AXCL_VNPU_BIG_LITTLE));
    OK(axclrtEngineLoadFromFile(model_path("identity-small.model"), &id));
    OK(axclrtEngineGetAffinity(id, &set));
    CHECK(set == 0x3);
    OK(axclrtEngineUnload(id));
    OK(axclrtEngineFinalize());
    OK(axclrtEngineInit(AXCL_VNPU_DISABLE));
}

int main(void) {
    OK(axclInit(NULL));
    OK(axclrtSetDevice(1));
    uint64_t id;
    CHECK_RC(axclrtEngineLoadFromFile(model_path("identity-small.model"), &id), E_ENG_NOT_INIT);
    OK(axclrtEngineInit(AXCL_VNPU_DISABLE));
    refusals();
    identity();
    affine();
    shape_groups();
    classifier();
    load_from_memory();
    model_memory();
    vnpu_and_affinity();
    teardown_engine();
    const char *report = npu4j_emulator_axcl_finalize_report();
    CHECK(strstr(report, "live_device_allocations=0 live_host_allocations=0 live_contexts=0 live_streams=0"
                         " live_models=0 live_engine_contexts=0 live_io_infos=0 live_ios=0 active_devices=0"
                         " engine_inits=0") != NULL);
    puts("axcl_engine: ok");
    return 0;
}
