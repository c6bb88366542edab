package org.npu4j.rkllm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Tells the RKLLM ABI of a {@code librkllmrt.so} from the bytes of the file, without loading it.
 *
 * <p>The heuristic, in order:
 * <ol>
 *   <li>Find the string {@code rkllm-runtime version} (the runtime prints it when a model loads).</li>
 *   <li>If the bytes after it, up to the end of that C string, read {@code : X.Y.Z...} (a literal
 *       version, as in npu4j's emulators: {@code rkllm-runtime version: 1.3.0 (npu4j emulator)}),
 *       that version decides.</li>
 *   <li>Otherwise it is a format string (vendor builds: {@code rkllm-runtime version: %s, rknpu driver
 *       version: %s, ...}) and the version is a separate literal: take the NUL-delimited string
 *       nearest to the marker, within {@value #WINDOW} bytes either side, that is nothing but a
 *       version ({@code 1.2.1}, {@code 1.2.1b1}, {@code v1.3.0}) with a major version of at least 1
 *       (so a driver version such as {@code 0.9.8} is never taken).</li>
 *   <li>Versions 1.2.x map to {@link RkllmAbi#V1_2}, 1.3.x to {@link RkllmAbi#V1_3}; anything else,
 *       or nothing found, is "unknown" and the caller asks for the {@code npu4j.rkllm.abi} override.</li>
 * </ol>
 */
final class AbiDetector {
    static final int WINDOW = 8192;
    private static final byte[] MARKER = "rkllm-runtime version".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern LITERAL = Pattern.compile("^\\s*:\\s*v?(\\d+\\.\\d+\\.\\d+[0-9A-Za-z.+-]*)");
    private static final Pattern BARE = Pattern.compile("^v?([1-9]\\d*\\.\\d+\\.\\d+(?:b\\d+)?)$");

    /**
     * What the file says.
     *
     * @param abi           the ABI, or null when unknown
     * @param version       the runtime version found (e.g. {@code 1.2.3}), or null
     * @param versionString the marker string as in the file (e.g. {@code rkllm-runtime version: 1.2.3
     *                      (npu4j emulator)}), or null
     * @param evidence      how the answer was reached, for messages and logs
     */
    record Result(@Nullable RkllmAbi abi, @Nullable String version, @Nullable String versionString, String evidence) {}

    private AbiDetector() {}

    static Result detect(Path library) {
        try (FileChannel ch = FileChannel.open(library, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                return new Result(null, null, null, "file larger than 2 GiB, not scanned");
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return detect(buf, (int) size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + library + " to tell its RKLLM ABI", e);
        }
    }

    static Result detect(byte[] bytes) {
        return detect(java.nio.ByteBuffer.wrap(bytes), bytes.length);
    }

    private static Result detect(java.nio.ByteBuffer buf, int size) {
        String firstFormat = null;
        String nearestBare = null;
        int nearestDistance = Integer.MAX_VALUE;
        for (int at = indexOf(buf, size, 0); at >= 0; at = indexOf(buf, size, at + 1)) {
            String str = cString(buf, size, at, 256);
            Matcher m = LITERAL.matcher(str.substring(MARKER.length));
            if (m.find()) {
                String version = m.group(1);
                return new Result(abiOf(version), version, str, "literal '" + str + "'");
            }
            if (firstFormat == null) {
                firstFormat = str;
            }
            // Scan the strings around the format string for a bare version literal.
            int from = Math.max(0, at - WINDOW);
            int to = Math.min(size, at + MARKER.length + WINDOW);
            int start = from;
            for (int i = from; i <= to; i++) {
                if (i == to || buf.get(i) == 0) {
                    int len = i - start;
                    if (len >= 5 && len <= 16) {
                        String s = ascii(buf, start, len);
                        if (s != null && BARE.matcher(s).matches()) {
                            int distance = Math.abs(start - at);
                            if (distance < nearestDistance) {
                                nearestDistance = distance;
                                nearestBare = s.startsWith("v") ? s.substring(1) : s;
                            }
                        }
                    }
                    start = i + 1;
                }
            }
        }
        if (nearestBare != null) {
            return new Result(abiOf(nearestBare), nearestBare, firstFormat, "format string '" + firstFormat
                    + "' with the version literal '" + nearestBare + "' " + nearestDistance + " bytes away");
        }
        if (firstFormat != null) {
            return new Result(null, null, firstFormat,
                    "format string '" + firstFormat + "' but no version literal within " + WINDOW + " bytes");
        }
        return new Result(null, null, null, "no 'rkllm-runtime version' string in the file");
    }

    private static @Nullable RkllmAbi abiOf(String version) {
        try {
            return RkllmAbi.of(version);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int indexOf(java.nio.ByteBuffer buf, int size, int from) {
        outer:
        for (int i = from; i <= size - MARKER.length; i++) {
            if (buf.get(i) != MARKER[0]) {
                continue;
            }
            for (int j = 1; j < MARKER.length; j++) {
                if (buf.get(i + j) != MARKER[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The C string starting at {@code at}, at most {@code max} bytes, printable ASCII kept. */
    private static String cString(java.nio.ByteBuffer buf, int size, int at, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = at; i < size && i < at + max; i++) {
            byte b = buf.get(i);
            if (b == 0) {
                break;
            }
            sb.append(b >= 0x20 && b < 0x7f ? (char) b : '?');
        }
        return sb.toString();
    }

    private static @Nullable String ascii(java.nio.ByteBuffer buf, int start, int len) {
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            byte b = buf.get(start + i);
            if (b < 0x20 || b >= 0x7f) {
                return null;
            }
            c[i] = (char) b;
        }
        return new String(c);
    }
}
