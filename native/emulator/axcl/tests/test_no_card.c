/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * A machine without the card, as the real AXCL 3.10.2 host runtime answers there
 * (x86_64 and aarch64, shared/facts/axllm.md, last section): axclInit fails with
 * 0x8030010B; axclrtGetDeviceCount and axclrtGetDeviceList succeed with 0 devices
 * before and after it; axclrtSetDevice(1) returns 0x80300184; axclFinalize
 * returns 0. Two ways to be without a card: NPU4J_EMULATOR_AXCL_NO_CARD=1 (then
 * also before any axclInit), and a config of device_count 0 (after that init).
 *
 * Usage: axcl_test_no_card --env (run with NPU4J_EMULATOR_AXCL_NO_CARD=1) | --config
 */
#include "axtest.h"

/* What a caller sees from the device queries without a card. */
static void answers_like_no_card(void) {
    uint32_t count = 77; /* not 0: a call that leaves it alone is caught */
    OK(axclrtGetDeviceCount(&count));
    CHECK(count == 0);
    axclrtDeviceList list;
    memset(&list, 0xA5, sizeof list);
    OK(axclrtGetDeviceList(&list));
    CHECK(list.num == 0);
    for (size_t i = 0; i < sizeof list.devices / sizeof list.devices[0]; i++) {
        CHECK(list.devices[i] == 0);
    }
    CHECK_RC(axclrtGetDeviceCount(NULL), AXCL_ERR_DEVICE_NULL_POINTER);
    CHECK_RC(axclrtGetDeviceList(NULL), AXCL_ERR_DEVICE_NULL_POINTER);
    CHECK_RC(axclrtSetDevice(1), AXCL_ERR_DEVICE_INVALID_ID); /* 0x80300184 */
    CHECK_RC(axclrtSetDevice(0), AXCL_ERR_DEVICE_INVALID_ID);
}

static void with_env(void) {
    const char *v = getenv("NPU4J_EMULATOR_AXCL_NO_CARD");
    CHECK(v != NULL && strcmp(v, "1") == 0); /* set by ctest */
    answers_like_no_card(); /* before axclInit */
    CHECK_RC(axclInit(NULL), AXCL_ERR_DEVICE_OPEN); /* 0x8030010B, whatever the config */
    CHECK_RC(axclInit(model_path("axcl.json")), AXCL_ERR_DEVICE_OPEN);
    answers_like_no_card(); /* after the failed init */
    OK(axclFinalize());
    OK(axclFinalize());
    answers_like_no_card();
    /* Other calls still say the runtime is not initialised. */
    void *p;
    CHECK_RC(axclrtMalloc(&p, 16, AXCL_MEM_MALLOC_HUGE_FIRST), E_NOT_INIT);

    /* The card "is plugged in" when the variable goes; until the next axclInit looks for it, the
     * runtime still knows only that the last one found none. */
    unsetenv("NPU4J_EMULATOR_AXCL_NO_CARD");
    answers_like_no_card();
    uint32_t count = 77;
    OK(axclInit(NULL));
    OK(axclrtGetDeviceCount(&count));
    CHECK(count == 1);
    OK(axclrtSetDevice(1));
    OK(axclrtResetDevice(1));
    OK(axclFinalize());
    /* With a card, after axclFinalize: not initialised, as before; no count is left as garbage. */
    count = 77;
    CHECK_RC(axclrtGetDeviceCount(&count), E_NOT_INIT);
    CHECK(count == 0);
    CHECK_RC(axclFinalize(), E_NOT_INIT);
}

static void with_config(void) {
    CHECK(getenv("NPU4J_EMULATOR_AXCL_NO_CARD") == NULL);
    write_text(tmp_path("no_card.json"), "{\"npu4j_emulator\":{\"device_count\":0}}");
    CHECK_RC(axclInit(tmp_path("no_card.json")), AXCL_ERR_DEVICE_OPEN);
    answers_like_no_card(); /* after the failed init */
    OK(axclFinalize());
    answers_like_no_card();
    CHECK_RC(axclInit(tmp_path("no_card.json")), AXCL_ERR_DEVICE_OPEN); /* and again */
    answers_like_no_card();
    /* A config with a card: the machine state is forgotten at the successful init. */
    OK(axclInit(NULL));
    uint32_t count = 0;
    OK(axclrtGetDeviceCount(&count));
    CHECK(count == 1);
    OK(axclFinalize());
    CHECK_RC(axclrtSetDevice(1), E_NOT_INIT);
    CHECK_RC(axclFinalize(), E_NOT_INIT);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "--env") == 0) {
        with_env();
    } else if (argc == 2 && strcmp(argv[1], "--config") == 0) {
        with_config();
    } else {
        fprintf(stderr, "usage: %s --env | --config\n", argv[0]);
        return 2;
    }
    puts("axcl_no_card: ok");
    return 0;
}
