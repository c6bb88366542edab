/**
 * npu4j: run NPU inference in-process on edge boards from Java.
 *
 * <p>Needs native access: run with {@code --enable-native-access=org.npu4j.core} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path).
 */
module org.npu4j.core {
    requires org.npu4j.rkllm.bindings;
    requires org.npu4j.axcl.bindings;
    requires org.npu4j.rknn.bindings;
    requires org.slf4j;
    requires ai.djl.tokenizers;
    requires jinjava;
    requires transitive com.fasterxml.jackson.databind;
    requires transitive HdrHistogram;
    requires transitive jdk.jfr;
    requires static transitive org.jspecify;

    exports org.npu4j;
    exports org.npu4j.axcl;
    exports org.npu4j.axcl.llm;
    exports org.npu4j.llm;
    exports org.npu4j.llm.spi;
    exports org.npu4j.metrics;
    exports org.npu4j.rkllm;
    exports org.npu4j.rknn;
    exports org.npu4j.tuning;
    exports org.npu4j.internal.jinja to jinjava;

    uses org.npu4j.llm.spi.LanguageModelProvider;
    provides org.npu4j.llm.spi.LanguageModelProvider with org.npu4j.internal.RkllmProvider,
            org.npu4j.axcl.llm.AxclLlmProvider;
}
