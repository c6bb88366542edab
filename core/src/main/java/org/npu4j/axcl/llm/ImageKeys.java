package org.npu4j.axcl.llm;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.npu4j.llm.ImageData;

/**
 * The keys {@link AxLlmModel} records for image tokens in its KV cache: an image's pixels and the
 * token's index in it, negative so that they never equal a token id. Stateless; thread-safe.
 */
final class ImageKeys {
    private ImageKeys() {}

    /** 64 bits of the SHA-256 of an image's size and pixels. */
    static long digest(ImageData image) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(ByteBuffer.allocate(8).putInt(image.width()).putInt(image.height()).array());
            md.update(image.rgb());
            return ByteBuffer.wrap(md.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The KV-cache key of token {@code j} of an image: negative, so it never equals a token id. */
    static long key(long digest, int j) {
        return Long.MIN_VALUE | ((digest * 0x9E3779B97F4A7C15L + j) & Long.MAX_VALUE);
    }
}
