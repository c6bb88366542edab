package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Reassembly of characters split across the runtime's text pieces (no native code). */
class Utf8StreamTest {

    @Test
    void charactersSplitAcrossPiecesComeOutWholeOnce() {
        String text = "héllo 世界 😀 привет";
        byte[] all = text.getBytes(StandardCharsets.UTF_8);
        // every way of cutting the bytes into two pieces, and into single bytes
        for (int cut = 0; cut <= all.length; cut++) {
            Utf8Stream s = new Utf8Stream();
            String a = s.feed(Arrays.copyOfRange(all, 0, cut));
            String b = s.feed(Arrays.copyOfRange(all, cut, all.length));
            assertEquals(text, a + b, "cut at " + cut);
            assertEquals(text, s.text.toString());
            assertEquals(0, s.pending());
        }
        Utf8Stream s = new Utf8Stream();
        StringBuilder out = new StringBuilder();
        for (byte x : all) {
            out.append(s.feed(new byte[] {x}));
        }
        assertEquals(text, out.toString());
    }

    @Test
    void incompleteBytesWaitAndResetDropsThem() {
        Utf8Stream s = new Utf8Stream();
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
        assertEquals("", s.feed(Arrays.copyOf(emoji, 3)));
        assertEquals(3, s.pending());
        s.reset();
        assertEquals(0, s.pending());
        assertEquals("a", s.feed("a".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        Utf8Stream s = new Utf8Stream();
        assertEquals("a\uFFFDb", s.feed(new byte[] {'a', (byte) 0xFF, 'b'}));
    }

    @Test
    void piecesLargerThanTheBuffersGrowThem() {
        String big = "字".repeat(5000);
        Utf8Stream s = new Utf8Stream();
        assertEquals(big, s.feed(big.getBytes(StandardCharsets.UTF_8)));
    }
}
