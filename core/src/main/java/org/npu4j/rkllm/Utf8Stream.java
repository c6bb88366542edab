package org.npu4j.rkllm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the text pieces of one generation, as the runtime hands them over, into Java strings.
 *
 * <p>A token may end inside a multi-byte UTF-8 character. The runtime then reports
 * {@code RKLLM_RUN_WAITING}; the missing bytes come with a later callback (npu4j's emulator holds the
 * bytes back and repeats them at the start of the next NORMAL text; other runtimes may hand over
 * the partial bytes). Either way, the bytes go through one {@link CharsetDecoder} that keeps an
 * incomplete sequence for the next call, so each character is produced once, whole, by the piece
 * that completes it. Invalid bytes become U+FFFD; an incomplete sequence left at the end of a run
 * is dropped ({@link #reset()}).
 *
 * <p>Allocation: none per call except the returned {@code String} (buffers are reused and grow only
 * for pieces longer than any before). Not thread-safe: one instance per batch entry, used by the
 * runtime's callback thread while a run lasts.
 */
final class Utf8Stream {
    /** The whole address space, to read the runtime's strings by address without a segment per call. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer in = ByteBuffer.allocate(256);
    private CharBuffer out = CharBuffer.allocate(256);
    /** Every decoded character of the current run. */
    final StringBuilder text = new StringBuilder(1024);

    /** Forgets everything of the previous run. */
    void reset() {
        decoder.reset();
        in.clear();
        text.setLength(0);
    }

    /** Length of the NUL-terminated string at {@code address}. */
    static int strlen(long address) {
        int n = 0;
        while (ALL.get(ValueLayout.JAVA_BYTE, address + n) != 0) {
            n++;
        }
        return n;
    }

    /**
     * Feeds {@code len} bytes at native {@code address} and returns the characters they complete
     * ({@code ""} when none).
     */
    String feed(long address, int len) {
        if (len == 0) {
            return "";
        }
        if (in.remaining() < len) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(in.capacity() * 2, in.position() + len));
            in.flip();
            bigger.put(in);
            in = bigger;
        }
        MemorySegment.copy(ALL, ValueLayout.JAVA_BYTE, address, in.array(), in.position(), len);
        in.position(in.position() + len);
        return drain();
    }

    /** Same as {@link #feed(long, int)} for bytes already on the heap (tests). */
    String feed(byte[] bytes) {
        if (in.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(in.capacity() * 2, in.position() + bytes.length));
            in.flip();
            bigger.put(in);
            in = bigger;
        }
        in.put(bytes);
        return drain();
    }

    /** Bytes held back: the start of a character whose end has not come yet. */
    int pending() {
        return in.position();
    }

    private String drain() {
        in.flip();
        if (out.capacity() < in.remaining()) { // UTF-8 never decodes to more chars than bytes
            out = CharBuffer.allocate(Math.max(out.capacity() * 2, in.remaining()));
        }
        out.clear();
        decoder.decode(in, out, false);
        in.compact();
        out.flip();
        if (!out.hasRemaining()) {
            return "";
        }
        text.append(out);
        out.rewind();
        return out.toString();
    }
}
