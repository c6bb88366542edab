package org.npu4j.axcl.llm;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tokenizer file of ax-llm's G3 packages ({@code *_tokenizer.txt}, the MNN tokenizer format read by
 * Axera's {@code tokenizer.axera}): line 1 {@code 430 <type>}; line 2 {@code <specials> <stops>
 * <prefixes>}; then those ids; then the vocabulary size and one base64 byte string per id. npu4j reads
 * type 1 (tiktoken: byte-level BPE whose merge rank is the token id), the format of the Qwen packages;
 * other types are refused with a message.
 *
 * <p>Encoding as the Qwen2 {@code tokenizer.json} does: NFC normalization, added tokens matched
 * literally (longest first), the Qwen2 pre-tokenizer pattern, then rank BPE on the UTF-8 bytes of each
 * piece. Thread-safe (immutable).
 */
public final class MnnTokenizer extends Vocabulary {
    /** The Qwen2 pre-tokenizer split pattern ({@code tokenizer.json} {@code pre_tokenizer}). */
    static final Pattern QWEN2_SPLIT = Pattern.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final int MAGIC = 430;
    private static final int TIKTOKEN = 1;

    /** Regular token bytes (as ISO-8859-1 strings: one char per byte) → rank = id. */
    private final Map<String, Integer> ranks;
    private final List<String> addedLongestFirst;

    private MnnTokenizer(byte[][] bytes, Map<String, Integer> ranks, Map<String, Integer> added, int[] stops) {
        super(bytes, added, stops);
        this.ranks = ranks;
        this.addedLongestFirst = new ArrayList<>(added.keySet());
        this.addedLongestFirst.sort((a, b) -> b.length() - a.length());
    }

    /**
     * Reads {@code file}.
     *
     * @throws IllegalArgumentException naming the file and the line for another format, another tokenizer
     *                                  type or a malformed file
     */
    public static MnnTokenizer read(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
            int[] head = ints(file, 1, r.readLine(), 2);
            if (head[0] != MAGIC) {
                throw new IllegalArgumentException(file + " line 1: magic " + head[0] + ", expected " + MAGIC
                        + " (an MNN tokenizer.txt)");
            }
            if (head[1] != TIKTOKEN) {
                throw new IllegalArgumentException(file + " line 1: tokenizer type " + head[1] + ", npu4j reads type "
                        + TIKTOKEN + " (tiktoken, the Qwen packages'); use the package's tokenizer.json instead");
            }
            int[] counts = ints(file, 2, r.readLine(), 3);
            int nIds = counts[0] + counts[1] + counts[2];
            int[] ids = nIds == 0 ? new int[0] : ints(file, 3, r.readLine(), nIds);
            int lineNo = nIds == 0 ? 3 : 4;
            int n = ints(file, lineNo, r.readLine(), 1)[0];
            byte[][] bytes = new byte[n][];
            Base64.Decoder b64 = Base64.getDecoder();
            for (int i = 0; i < n; i++) {
                String line = r.readLine();
                if (line == null) {
                    throw new IllegalArgumentException(file + ": " + i + " of " + n + " tokens, expected " + n);
                }
                try {
                    bytes[i] = b64.decode(line.strip());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + " line " + (lineNo + 1 + i) + ": not base64", e);
                }
            }
            Map<String, Integer> added = new HashMap<>();
            for (int k = 0; k < counts[0]; k++) {
                int id = ids[k];
                check(file, id, n);
                added.put(new String(bytes[id], StandardCharsets.UTF_8), id);
            }
            int[] stops = new int[counts[1]];
            for (int k = 0; k < counts[1]; k++) {
                stops[k] = ids[counts[0] + k];
                check(file, stops[k], n);
            }
            Map<String, Integer> ranks = new HashMap<>(n * 2);
            java.util.Set<Integer> addedIds = new java.util.HashSet<>(added.values());
            for (int i = 0; i < n; i++) {
                if (!addedIds.contains(i)) {
                    ranks.putIfAbsent(new String(bytes[i], StandardCharsets.ISO_8859_1), i);
                }
            }
            return new MnnTokenizer(bytes, ranks, Map.copyOf(added), stops);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the tokenizer (" + e.getMessage() + ")", e);
        }
    }

    private static void check(Path file, int id, int n) {
        if (id < 0 || id >= n) {
            throw new IllegalArgumentException(file + ": token id " + id + " is not in the vocabulary of " + n);
        }
    }

    private static int[] ints(Path file, int line, String text, int expected) {
        if (text == null) {
            throw new IllegalArgumentException(file + " line " + line + ": missing (not an MNN tokenizer.txt)");
        }
        String[] parts = text.strip().split("\\s+");
        if (parts.length < expected) {
            throw new IllegalArgumentException(file + " line " + line + ": " + parts.length + " numbers, expected "
                    + expected + " (not an MNN tokenizer.txt)");
        }
        int[] v = new int[expected];
        try {
            for (int i = 0; i < expected; i++) {
                v[i] = Integer.parseInt(parts[i]);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + " line " + line + ": \"" + text + "\" is not numbers (not an MNN"
                    + " tokenizer.txt)", e);
        }
        return v;
    }

    @Override
    public int[] encode(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFC);
        List<Integer> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            String hit = null;
            if (s.charAt(i) == '<') {
                for (String a : addedLongestFirst) {
                    if (s.startsWith(a, i)) {
                        hit = a;
                        break;
                    }
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            encodeOrdinary(s.substring(start, i), out);
            out.add(added.get(hit));
            i += hit.length();
            start = i;
        }
        encodeOrdinary(s.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, List<Integer> out) {
        if (text.isEmpty()) {
            return;
        }
        Matcher m = QWEN2_SPLIT.matcher(text);
        while (m.find()) {
            bpe(m.group().getBytes(StandardCharsets.UTF_8), out);
        }
    }

    /** Rank BPE: merge the adjacent pair whose bytes form the lowest-ranked token until none does. */
    private void bpe(byte[] piece, List<Integer> out) {
        String whole = new String(piece, StandardCharsets.ISO_8859_1);
        Integer direct = ranks.get(whole);
        if (direct != null) {
            out.add(direct);
            return;
        }
        List<String> parts = new ArrayList<>(piece.length);
        for (int i = 0; i < piece.length; i++) {
            parts.add(whole.substring(i, i + 1));
        }
        while (parts.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer r = ranks.get(parts.get(i) + parts.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            parts.set(best, parts.get(best) + parts.remove(best + 1));
        }
        for (String p : parts) {
            Integer r = ranks.get(p);
            if (r == null) {
                throw new IllegalStateException("byte 0x" + Integer.toHexString(p.charAt(0)) + " has no token");
            }
            out.add(r);
        }
    }
}
