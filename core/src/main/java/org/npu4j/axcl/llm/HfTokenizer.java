package org.npu4j.axcl.llm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A HF {@code tokenizer.json} (byte-level BPE: the Qwen2.5 / Qwen3 family), encoded by the HF
 * tokenizers library through {@code ai.djl.huggingface:tokenizers} (its native library comes from
 * its jar, nothing is downloaded). Token bytes are read from the file's vocabulary (GPT-2 byte-to-
 * character mapping undone) for streaming; stop ids are {@code <|im_end|>}, {@code <|endoftext|>} and
 * {@code tokenizer_config.json}'s {@code eos_token} when present. Thread-safe.
 */
public final class HfTokenizer extends Vocabulary {
    private final HuggingFaceTokenizer hf;

    private HfTokenizer(HuggingFaceTokenizer hf, byte[][] bytes, Map<String, Integer> added, int[] stops) {
        super(bytes, added, stops);
        this.hf = hf;
    }

    /**
     * Reads {@code file} ({@code tokenizer.json}; {@code tokenizer_config.json} next to it if present).
     *
     * @throws IllegalArgumentException naming the file if it is not a byte-level BPE tokenizer.json
     */
    public static HfTokenizer open(Path file) {
        ObjectMapper json = new ObjectMapper();
        JsonNode root;
        try {
            root = json.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a readable tokenizer.json (" + e.getMessage() + ")", e);
        }
        JsonNode vocab = root == null ? null : root.path("model").get("vocab");
        if (vocab == null || !vocab.isObject() || !"BPE".equals(root.path("model").path("type").asText("BPE"))) {
            throw new IllegalArgumentException(file + ": expected a HF tokenizer.json with a BPE model.vocab");
        }
        int[] byteOf = unicodeToByte();
        Map<Integer, byte[]> byId = new HashMap<>();
        int max = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String s = e.getKey();
            byte[] b = new byte[s.length()];
            int n = 0;
            boolean byteLevel = true;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                int v = c < byteOf.length ? byteOf[c] : -1;
                if (v < 0) {
                    byteLevel = false;
                    break;
                }
                b[n++] = (byte) v;
            }
            if (!byteLevel) {
                throw new IllegalArgumentException(file + ": token \"" + s + "\" is not byte-level BPE (GPT-2 byte"
                        + " characters): npu4j reads byte-level tokenizers (Qwen2.5, Qwen3) only");
            }
            int id = e.getValue().asInt();
            byId.put(id, java.util.Arrays.copyOf(b, n));
            max = Math.max(max, id);
        }
        Map<String, Integer> added = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            String content = t.path("content").asText();
            added.put(content, id);
            byId.put(id, content.getBytes(StandardCharsets.UTF_8));
            max = Math.max(max, id);
        }
        byte[][] table = new byte[max + 1][];
        for (int i = 0; i <= max; i++) {
            byte[] b = byId.get(i);
            table[i] = b == null ? new byte[0] : b;
        }
        Set<Integer> stop = new LinkedHashSet<>();
        for (String s : new String[] {"<|im_end|>", "<|endoftext|>"}) {
            if (added.containsKey(s)) {
                stop.add(added.get(s));
            }
        }
        Path config = file.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(config)) {
            try {
                JsonNode eos = json.readTree(Files.readString(config)).get("eos_token");
                String e = eos == null ? null : eos.isTextual() ? eos.textValue() : eos.path("content").asText(null);
                if (e != null && added.containsKey(e)) {
                    stop.add(added.get(e));
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(config + ": not readable JSON (" + e.getMessage() + ")", e);
            }
        }
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false).optTruncation(false)
                    .optPadding(false).build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": the HF tokenizers library refused it (" + e.getMessage() + ")", e);
        }
        return new HfTokenizer(hf, table, Map.copyOf(added), stop.stream().mapToInt(Integer::intValue).toArray());
    }

    /** GPT-2's bytes_to_unicode, inverted: character → byte, -1 for other characters. */
    static int[] unicodeToByte() {
        int[] inv = new int[512];
        java.util.Arrays.fill(inv, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            inv[printable ? b : 256 + extra++] = b;
        }
        return inv;
    }

    @Override
    public int[] encode(String text) {
        long[] ids = hf.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    @Override
    public void close() {
        hf.close();
    }
}
