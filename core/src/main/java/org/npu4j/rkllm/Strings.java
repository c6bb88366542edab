package org.npu4j.rkllm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/** C strings (UTF-8, NUL-terminated) to and from the runtime. */
final class Strings {
    private Strings() {}

    /** {@code s} as a C string in {@code arena}; NULL for null. */
    static MemorySegment cString(Arena arena, @Nullable String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }

    /** The C string at {@code p} (a segment of unbounded size, as the bindings return), or null for NULL. */
    static @Nullable String read(MemorySegment p) {
        return p.address() == 0 ? null : p.getString(0);
    }

    /** Refuses strings the runtime cannot take: null is fine, NUL inside is not. */
    static void checkNoNul(@Nullable String s, String what) {
        if (s != null && s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character (the runtime takes C strings)");
        }
    }
}
