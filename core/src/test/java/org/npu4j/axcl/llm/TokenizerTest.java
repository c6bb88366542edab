package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The package tokenizers: HF tokenizer.json (DJL) and our MNN tokenizer.txt reader agree; UTF-8 reassembly. */
class TokenizerTest {
    static final String[] CORPUS = {
        "Hello, world! The quick brown fox jumps over the lazy dog.",
        "Привет, мир! Съешь же ещё этих мягких французских булок.",
        "你好，世界。机器学习在边缘设备上运行。",
        "emoji 🙂🚀 and ZWJ 👩‍💻 sequences",
        "def f(x):\n    return x ** 2  # square\n\n\tif x != 0: print(f\"{x}\")",
        "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
        "  leading spaces, trailing   \n\n\n numbers 1234567 and 3.14159",
        "don't I'll we've they're it's",
    };

    @Test
    void hfAndMnnGiveTheSameIdsOnTheEmulatedVocabulary() {
        Path dir = AxLlmModelTest.tiny();
        try (LlmTokenizer hf = HfTokenizer.open(dir.resolve("tokenizer.json"));
                LlmTokenizer mnn = MnnTokenizer.read(dir.resolve("tiny_tokenizer.txt"))) {
            for (String s : CORPUS) {
                int[] a = hf.encode(s);
                int[] b = mnn.encode(s);
                assertArrayEquals(a, b, s);
                assertEquals(s, decode(mnn, b), "round trip of " + s);
                assertEquals(s, decode(hf, a), "round trip (HF) of " + s);
            }
            assertArrayEquals(new int[] {mnn.addedTokenId("<|im_end|>")}, mnn.stopIds());
            assertTrue(hf.isStop(hf.addedTokenId("<|im_end|>")));
        }
    }

    static String decode(LlmTokenizer t, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(t.bytes(id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void utf8StreamHoldsSplitCharacters() {
        byte[] all = "a€🙂b".getBytes(StandardCharsets.UTF_8);
        Utf8Stream s = new Utf8Stream();
        StringBuilder sb = new StringBuilder();
        for (byte b : all) {
            String piece = s.push(new byte[] {b});
            assertTrue(piece.indexOf('\uFFFD') < 0, piece);
            sb.append(piece);
        }
        sb.append(s.flush());
        assertEquals("a€🙂b", sb.toString());
    }
}
