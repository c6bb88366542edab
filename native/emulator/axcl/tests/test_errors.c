/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Error-code encoding: 0x80000000 | (module & 0x7F) << 24 | 0x30 << 16 |
 * sub << 8 | id, for the header's constants and for the codes the emulator
 * actually returns.
 */
#include "axtest.h"

struct decoded {
    unsigned module, app, sub, id;
};

static struct decoded decode(axclError e) {
    uint32_t u = (uint32_t)e;
    CHECK(u & 0x80000000u);
    return (struct decoded){(u >> 24) & 0x7F, (u >> 16) & 0xFF, (u >> 8) & 0xFF, u & 0xFF};
}

static void expect(axclError e, unsigned sub, unsigned id) {
    struct decoded d = decode(e);
    if (d.module != AXCL_RUNTIME || d.app != AX_ID_AXCL || d.sub != sub || d.id != id) {
        fprintf(stderr, "0x%08X decodes to module %u app 0x%02X sub %u id 0x%02X, expected sub %u id 0x%02X\n",
                (unsigned)e, d.module, d.app, d.sub, d.id, sub, id);
        exit(1);
    }
}

static void header_constants(void) {
    CHECK(AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_MEMORY, AXCL_ERR_NO_MEMORY) == (axclError)0x80300507);
    CHECK(AXCL_DEF_NATIVE_ERR(AXCL_RUNTIME_DEVICE, AXCL_ERR_OPEN) == (axclError)0x8130010B);
    CHECK(AXCL_DEF_LITE_ERR(AXCL_RUNTIME_ENGINE, AXCL_ERR_EXECUTE_FAIL) == (axclError)0x8230070C);
    CHECK(AXCL_ERR_CONTEXT_NO_BIND_CONTEXT == AXCL_DEF_CONTEXT_ERR(0x84));
    CHECK(AXCL_ERR_DEVICE_OPEN == AXCL_DEF_DEVICE_ERR(AXCL_ERR_OPEN));
    CHECK(AXCL_ERR_DEVICE_NO_CONNECT == AXCL_DEF_DEVICE_ERR(0x81));
    CHECK(AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY == AXCL_DEF_MEMORY_ERR(0x81));
    CHECK(AXCL_ERR_ENGINE_EXECUTE_FAIL == AXCL_DEF_ENGINE_ERR(AXCL_ERR_EXECUTE_FAIL));
    CHECK(AXCL_ERR_ENGINE_INVALID_INDEX == AXCL_DEF_ENGINE_ERR(0x81));
    CHECK(AXCL_ERR_STREAM_SYNC_TIMEOUT == AXCL_DEF_STREAM_ERR(0x83));
    expect(AXCL_ERR_DEVICE_OPEN, AXCL_RUNTIME_DEVICE, AXCL_ERR_OPEN);
    expect(E_NO_CTX, AXCL_RUNTIME_CONTEXT, 0x84);
}

/* Each failure the emulator can produce, with the sub-module and id it must carry. */
static void returned_codes(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s", tmp_path("garbage.axmodel"));
    write_text(path, "\x7f" "ELF not a model at all");

    uint32_t count;
    expect(axclrtGetDeviceCount(&count), AXCL_RUNTIME_DEVICE, 0x85); /* not initialised */
    expect(axclInit(tmp_path("missing.json")), AXCL_RUNTIME_CONFIG, AXCL_ERR_OPEN);
    OK(axclInit(NULL));
    void *p = NULL;
    expect(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST), AXCL_RUNTIME_CONTEXT, 0x84); /* no context */
    expect(axclrtSetDevice(7), AXCL_RUNTIME_DEVICE, 0x84);                               /* invalid id */
    OK(axclrtSetDevice(1));
    expect(axclrtMalloc(&p, (size_t)64 << 30, AXCL_MEM_MALLOC_HUGE_FIRST), AXCL_RUNTIME_MEMORY, AXCL_ERR_NO_MEMORY);
    OK(axclrtMalloc(&p, 64, AXCL_MEM_MALLOC_HUGE_FIRST));
    char host[64] = {0};
    expect(axclrtMemcpy(host, p, 64, AXCL_MEMCPY_HOST_TO_DEVICE), AXCL_RUNTIME_MEMORY, AXCL_ERR_ILLEGAL_PARAM);
    expect(axclrtMemcpy(p, host, 64, AXCL_MEMCPY_HOST_PHY_TO_DEVICE), AXCL_RUNTIME_MEMORY, AXCL_ERR_UNSUPPORT);
    expect(axclrtMemset(host, 0, 64), AXCL_RUNTIME_MEMORY, 0x81);
    uint64_t id;
    expect(axclrtEngineLoadFromFile(path, &id), AXCL_RUNTIME_ENGINE, AXCL_ERR_UNEXPECT_RESPONSE); /* no engine init */
    OK(axclrtEngineInit(AXCL_VNPU_DISABLE));
    expect(axclrtEngineLoadFromFile(path, &id), AXCL_RUNTIME_ENGINE, AXCL_ERR_UNSUPPORT);
    expect(axclrtEngineLoadFromFile(tmp_path("missing.model"), &id), AXCL_RUNTIME_ENGINE, AXCL_ERR_OPEN);
    expect(axclrtEngineUnload(12345), AXCL_RUNTIME_ENGINE, AXCL_ERR_ILLEGAL_PARAM);
    axclrtStream s;
    OK(axclrtCreateStream(&s));
    OK(axclrtDestroyStream(s));
    expect(axclrtDestroyStream(s), AXCL_RUNTIME_STREAM, 0x82);
    expect(axclSetLogLevel(42), AXCL_RUNTIME_SYSLOG, AXCL_ERR_ILLEGAL_PARAM);
    OK(axclrtFree(p));
    expect(axclrtFree(p), AXCL_RUNTIME_MEMORY, 0x81);
    teardown_engine();
}

int main(void) {
    header_constants();
    returned_codes();
    puts("axcl_errors: ok");
    return 0;
}
