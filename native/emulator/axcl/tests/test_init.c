/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * axclInit / axclFinalize, versions, banner, the JSON configuration and the
 * devices it describes.
 */
#include "axtest.h"

#include <fcntl.h>
#include <unistd.h>

/* Runs axclInit(config) with stderr captured into buf. */
static axclError init_capturing(const char *config, char *buf, size_t n) {
    fflush(stderr);
    int saved = dup(2);
    const char *path = tmp_path("init_stderr.txt");
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    axclError rc = axclInit(config);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
    fclose(f);
    fputs(buf, stderr); /* keep it visible in the test log */
    return rc;
}

static void versions(void) {
    int32_t major = 0, minor = 0, patch = 0;
    OK(axclrtGetVersion(&major, &minor, &patch)); /* allowed before axclInit */
    CHECK(major == 3 && minor == 10 && patch == 2);
    CHECK_RC(axclrtGetVersion(NULL, &minor, &patch), AXCL_ERR_DEVICE_NULL_POINTER);
    CHECK(strstr(axclrtGetFullVersion(), "npu4j emulator") != NULL);
    CHECK(strncmp(axclrtGetFullVersion(), "V3.10.2", 7) == 0);
    CHECK(strcmp(axclrtGetSocName(), "AX650N (npu4j emulator)") == 0);
}

static void before_and_after(void) {
    uint32_t count;
    CHECK_RC(axclrtGetDeviceCount(&count), E_NOT_INIT);
    CHECK_RC(axclrtSetDevice(1), E_NOT_INIT);
    CHECK_RC(axclFinalize(), E_NOT_INIT);

    char err[4096];
    OK(init_capturing(NULL, err, sizeof err));
    CHECK(strstr(err, "npu4j AXCL emulator") != NULL);
    CHECK(strstr(err, "NOT Axera hardware") != NULL);
    OK(axclInit(NULL)); /* a second init changes nothing */
    OK(axclrtGetDeviceCount(&count));
    CHECK(count == 1);
    axclrtDeviceList list;
    OK(axclrtGetDeviceList(&list));
    CHECK(list.num == 1 && list.devices[0] == 1);

    axclrtDeviceProperties p;
    OK(axclrtGetDeviceProperties(1, &p));
    CHECK(strstr(p.swVersion, "npu4j emulator") != NULL);
    CHECK(p.pciDomain == 0 && p.pciBusID == 1 && p.pciDeviceID == 0);
    CHECK(p.totalMemSize == 945u * 1024 && p.freeMemSize < p.totalMemSize && p.freeMemSize > 0);
    CHECK(p.totalCmmSize == 7040u * 1024 && p.freeCmmSize == p.totalCmmSize);
    CHECK(p.temperature > 20000 && p.temperature < 100000); /* millidegrees */
    CHECK_RC(axclrtGetDeviceProperties(0, &p), AXCL_ERR_DEVICE_INVALID_ID);
    CHECK_RC(axclrtSetDevice(0), AXCL_ERR_DEVICE_INVALID_ID);

    OK(axclFinalize());
    CHECK(strstr(npu4j_emulator_axcl_finalize_report(), "live_device_allocations=0") != NULL);
    /* Everything fails after finalize ... */
    CHECK_RC(axclrtGetDeviceCount(&count), E_NOT_INIT);
    void *p2;
    CHECK_RC(axclrtMalloc(&p2, 16, AXCL_MEM_MALLOC_HUGE_FIRST), E_NOT_INIT);
    uint64_t id;
    CHECK_RC(axclrtEngineLoadFromFile(model_path("identity-small.model"), &id), E_NOT_INIT);
    CHECK_RC(axclFinalize(), E_NOT_INIT);
    /* ... until the next init. */
    OK(axclInit(""));
    OK(axclrtGetDeviceCount(&count));
    OK(axclFinalize());
}

static void config_files(void) {
    CHECK_RC(axclInit(tmp_path("no-such-config.json")), 0x8030060B); /* CONFIG / OPEN */

    const char *malformed[] = {"{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":1} x", "// comment\n{}", "{'a':1}",
                               "{\"a\":01}", "{\"a\":\"\\q\"}", "", "{\"a\":[1,2}"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        write_text(tmp_path("bad.json"), malformed[i]);
        CHECK_RC(axclInit(tmp_path("bad.json")), 0x80300609); /* CONFIG / DECODE */
    }

    const char *bad_values[] = {
        "{\"npu4j_emulator\":{\"device_count\":\"two\"}}",
        "{\"npu4j_emulator\":{\"link\":\"pcie9\"}}",
        "{\"npu4j_emulator\":{\"profile\":\"fast\"}}",
        "{\"npu4j_emulator\":{\"devices\":[{\"bdf\":\"01:00.0\"}]}}",
        "{\"npu4j_emulator\":{\"devices\":[{\"cmm_mib\":-1}]}}",
        "{\"npu4j_emulator\":{\"devices\":[{\"bus\":2},{\"bus\":2}]}}",
        "{\"npu4j_emulator\":{\"device_count\":2,\"devices\":[{}]}}",
        "{\"log\":{\"host\":{\"level\":9}}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        write_text(tmp_path("bad.json"), bad_values[i]);
        CHECK_RC(axclInit(tmp_path("bad.json")), 0x80300603); /* CONFIG / ILLEGAL_PARAM */
    }

    /* Unknown keys are ignored; the vendor's own file shape is accepted. */
    write_text(tmp_path("vendor.json"),
               "{\n \"log\": {\n  \"host\": {\"path\": \"/tmp/axcl/axcl_logs.txt\",\n"
               "   \"//   \": \"0: trace, 1: debug, 2: info, 3: warn, 4: error, 5: critical, 6: off\",\n"
               "   \"level\": 3},\n  \"device\": {\"//   \": \"x\", \"level\": 2}\n },\n"
               " \"unknown\": {\"nested\": [1, 2.5e3, -0.5, true, false, null, {\"x\": \"\\u00e9\\ud83d\\ude00\"}]}\n}\n");
    OK(axclInit(tmp_path("vendor.json")));
    OK(axclFinalize());

    /* The example shipped next to the models. */
    OK(axclInit(model_path("axcl.json")));
    OK(axclFinalize());

    /* No card at all: what the real runtime says without /dev/axcl_host. */
    write_text(tmp_path("none.json"), "{\"npu4j_emulator\":{\"device_count\":0}}");
    CHECK_RC(axclInit(tmp_path("none.json")), AXCL_ERR_DEVICE_OPEN);

    write_text(tmp_path("three.json"), "{\"npu4j_emulator\":{\"device_count\":3,\"link\":\"gen2x2\"}}");
    OK(axclInit(tmp_path("three.json")));
    axclrtDeviceList list;
    OK(axclrtGetDeviceList(&list));
    CHECK(list.num == 3 && list.devices[0] == 1 && list.devices[1] == 2 && list.devices[2] == 3);
    OK(axclFinalize());

    write_text(tmp_path("two.json"),
               "{\"npu4j_emulator\":{\"devices\":[{\"bdf\":\"0000:03:00.0\",\"cmm_mib\":64,\"link\":\"native\"},"
               "{\"bus\":5,\"memory_mib\":512,\"soc\":\"AX650N\"}]}}");
    char err[4096];
    OK(init_capturing(tmp_path("two.json"), err, sizeof err));
    CHECK(strstr(err, "0000:03:00.0") != NULL && strstr(err, "link=native") != NULL);
    OK(axclrtGetDeviceList(&list));
    CHECK(list.num == 2 && list.devices[0] == 3 && list.devices[1] == 5);
    axclrtDeviceProperties p;
    OK(axclrtGetDeviceProperties(3, &p));
    CHECK(p.pciBusID == 3 && p.totalCmmSize == 64u * 1024);
    OK(axclrtGetDeviceProperties(5, &p));
    CHECK(p.pciBusID == 5 && p.totalMemSize == 512u * 1024 && p.totalCmmSize == 7040u * 1024);
    CHECK_RC(axclrtSetDevice(1), AXCL_ERR_DEVICE_INVALID_ID);
    OK(axclrtSetDevice(5));
    int32_t dev = 0;
    OK(axclrtGetDevice(&dev));
    CHECK(dev == 5);
    OK(axclrtResetDevice(5));
    OK(axclFinalize());
}

static void log_level(void) {
    CHECK_RC(axclSetLogLevel(7), 0x80300803); /* SYSLOG / ILLEGAL_PARAM */
    CHECK_RC(axclSetLogLevel(-1), 0x80300803);
    OK(axclSetLogLevel(3));
}

int main(void) {
    versions();
    before_and_after();
    config_files();
    log_level();
    puts("axcl_init: ok");
    return 0;
}
