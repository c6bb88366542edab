package org.npu4j.rknn;

/**
 * The versions {@code RKNN_QUERY_SDK_VERSION} reports (it needs a loaded model).
 *
 * @param api    runtime (API) version, e.g. {@code 2.3.2 (429f97ae6b@2025-04-09T09:09:27)}
 * @param driver NPU kernel driver version, e.g. {@code 0.9.8}
 */
public record SdkVersion(String api, String driver) {}
