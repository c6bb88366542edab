package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The ABI heuristic on synthetic library images (no native code). */
class AbiDetectorTest {

    /** A fake .rodata: NUL-separated strings with {@code gap} bytes of zeros between the two parts. */
    private static byte[] image(String before, int gap, String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] junk = new byte[4096];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) (i * 31 + 7); // code-like bytes, not strings
        }
        out.writeBytes(junk);
        out.writeBytes(before.getBytes(StandardCharsets.US_ASCII));
        out.write(0);
        out.writeBytes(new byte[gap]);
        for (String s : strings) {
            out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            out.write(0);
        }
        out.writeBytes(junk);
        return out.toByteArray();
    }

    @Test
    void literalVersionOfTheEmulators() {
        AbiDetector.Result r = AbiDetector.detect(image("rkllm-runtime version: 1.3.0 (npu4j emulator)", 8));
        assertEquals(RkllmAbi.V1_3, r.abi());
        assertEquals("1.3.0", r.version());
        assertEquals("rkllm-runtime version: 1.3.0 (npu4j emulator)", r.versionString());
        r = AbiDetector.detect(image("rkllm-runtime version: 1.2.3 (npu4j emulator)", 8));
        assertEquals(RkllmAbi.V1_2, r.abi());
    }

    @Test
    void vendorFormatStringWithTheVersionLiteralNearby() {
        AbiDetector.Result r = AbiDetector.detect(image(
                "rkllm-runtime version: %s, rknpu driver version: %s, platform: %s", 300, "0.9.8", "1.2.1", "%d"));
        assertEquals(RkllmAbi.V1_2, r.abi(), r.evidence());
        assertEquals("1.2.1", r.version());
        r = AbiDetector.detect(image("rkllm-runtime version: %s", 64, "v1.3.0"));
        assertEquals(RkllmAbi.V1_3, r.abi(), r.evidence());
        r = AbiDetector.detect(image("rkllm-runtime version: %s", 16, "1.2.1b1"));
        assertEquals(RkllmAbi.V1_2, r.abi(), r.evidence());
    }

    @Test
    void theDriverVersionIsNeverTakenForTheRuntimeVersion() {
        AbiDetector.Result r = AbiDetector.detect(image("rkllm-runtime version: %s, rknpu driver version: %s", 4,
                "0.9.8"));
        assertNull(r.abi());
        assertTrue(r.evidence().contains("no version literal"), r.evidence());
    }

    @Test
    void aVersionLiteralTooFarAwayIsNotTaken() {
        AbiDetector.Result r = AbiDetector.detect(image("rkllm-runtime version: %s", AbiDetector.WINDOW + 100,
                "1.2.1"));
        assertNull(r.abi(), r.evidence());
    }

    @Test
    void theNearestLiteralWins() {
        byte[] img = image("rkllm-runtime version: %s", 10, "1.3.0");
        byte[] withFarOther = new byte[img.length + 4000];
        System.arraycopy(img, 0, withFarOther, 0, img.length);
        byte[] far = "1.2.3".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(far, 0, withFarOther, img.length + 3000, far.length);
        assertEquals(RkllmAbi.V1_3, AbiDetector.detect(withFarOther).abi());
    }

    @Test
    void unknownVersionsAndMissingMarker() {
        AbiDetector.Result r = AbiDetector.detect(image("rkllm-runtime version: 1.1.4", 0));
        assertNull(r.abi());
        assertEquals("1.1.4", r.version());
        r = AbiDetector.detect(image("some other library", 0, "1.2.3"));
        assertNull(r.abi());
        assertTrue(r.evidence().contains("no 'rkllm-runtime version'"), r.evidence());
    }

    @Test
    void abiOfVersionStrings() {
        assertEquals(RkllmAbi.V1_2, RkllmAbi.of("1.2"));
        assertEquals(RkllmAbi.V1_2, RkllmAbi.of("1.2.3"));
        assertEquals(RkllmAbi.V1_2, RkllmAbi.of("v1.2.1b1"));
        assertEquals(RkllmAbi.V1_3, RkllmAbi.of(" 1.3 "));
        assertEquals(RkllmAbi.V1_3, RkllmAbi.of("1.3.0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RkllmAbi.of("1.23"));
        assertTrue(e.getMessage().contains("supported are 1.2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RkllmAbi.of("1.4.0"));
    }
}
