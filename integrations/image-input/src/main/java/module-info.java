/**
 * Encoded images as npu4j's {@code ImageData}: decoding is javax.imageio's (hence {@code java.desktop},
 * which the core library does not need).
 */
module org.npu4j.imageinput {
    requires transitive org.npu4j.core;
    requires java.desktop;
    requires static org.jspecify;

    exports org.npu4j.imageinput;
}
