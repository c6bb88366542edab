package org.npu4j.abi;

import java.nio.file.Path;

/**
 * The ABIs npu4j binds: where the generated bindings live, which probe describes them, which
 * headers they were generated from and which library built from {@code native/} exports them.
 */
enum Abi {
    RKLLM_V1_2("org.npu4j.rkllm.ffi.v1_2", "Rkllm", "probe_rkllm_v1_2.txt", "rkllm/v1_2", "rkllm_v1_2",
            "rkllm-v1_2/librkllmrt.so"),
    RKLLM_V1_3("org.npu4j.rkllm.ffi.v1_3", "Rkllm", "probe_rkllm_v1_3.txt", "rkllm/v1_3", "rkllm_v1_3",
            "rkllm-v1_3/librkllmrt.so"),
    AXCL("org.npu4j.axcl.ffi", "Axcl", "probe_axcl.txt", "axcl", "axcl", "axcl/libaxcl_rt.so"),
    RKNN("org.npu4j.rknn.ffi", "Rknn", "probe_rknn.txt", "rknn", "rknn", "rknn/librknnrt.so");

    final String javaPackage;
    final String headerClass;
    final String probeFile;
    final String includeDir;
    final String allowList;
    final String emulator;

    Abi(String javaPackage, String headerClass, String probeFile, String includeDir, String allowList,
            String emulator) {
        this.javaPackage = javaPackage;
        this.headerClass = headerClass;
        this.probeFile = probeFile;
        this.includeDir = includeDir;
        this.allowList = allowList;
        this.emulator = emulator;
    }

    /** Outputs of the native module copied for the tests ({@code npu4j.native.dir}). */
    static Path nativeOutputs() {
        return Path.of(requiredProperty("npu4j.native.dir"));
    }

    /** The {@code native/} source directory ({@code npu4j.native.src}). */
    static Path nativeSources() {
        return Path.of(requiredProperty("npu4j.native.src"));
    }

    Path probeOutput() {
        return nativeOutputs().resolve(probeFile);
    }

    Path emulatorLibrary() {
        return nativeOutputs().resolve(emulator);
    }

    Class<?> header() throws ClassNotFoundException {
        return Class.forName(javaPackage + "." + headerClass);
    }

    private static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name
                    + " is not set: run the tests through Maven (the parent pom sets it)");
        }
        return value;
    }
}
