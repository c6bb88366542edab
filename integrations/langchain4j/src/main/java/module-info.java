/**
 * LangChain4j {@code ChatModel} and {@code StreamingChatModel} over npu4j's {@code LanguageModel}, in-process.
 *
 * <p>{@code langchain4j.core} is an automatic module named after its jar file: langchain4j-core 1.19.0
 * declares neither a module-info nor an {@code Automatic-Module-Name}, so the name may change if it ever
 * declares one (as HdrHistogram for the core module).
 */
module org.npu4j.langchain4j {
    requires transitive org.npu4j.core;
    requires transitive langchain4j.core;
    requires org.npu4j.imageinput;
    requires com.fasterxml.jackson.databind;
    requires static org.jspecify;

    exports org.npu4j.langchain4j;
}
