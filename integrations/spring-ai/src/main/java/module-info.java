/**
 * Spring AI {@code ChatModel} (with {@code stream}) over npu4j's {@code LanguageModel}, in-process.
 *
 * <p>{@code spring.ai.model} and {@code spring.ai.commons} are automatic modules named after their jar
 * files: Spring AI 2.0.1 declares neither a module-info nor an {@code Automatic-Module-Name} (reactor-core
 * and spring-core declare names).
 */
module org.npu4j.springai {
    requires transitive org.npu4j.core;
    requires transitive spring.ai.model;
    requires transitive spring.ai.commons;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;
    requires spring.core;
    requires org.npu4j.imageinput;
    requires com.fasterxml.jackson.databind;
    requires static org.jspecify;

    exports org.npu4j.springai;
}
