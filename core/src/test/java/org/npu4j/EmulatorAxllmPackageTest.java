package org.npu4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emulated ax-llm packages written through the AXCL emulator ({@link Emulator#axllmPackage}). */
class EmulatorAxllmPackageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tinyPackageHasTheG3Layout() throws IOException {
        Path dir = Emulator.axllmPackage("tiny");
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        int layers = config.get("axmodel_num").asInt();
        assertEquals(4, layers);
        for (int i = 0; i < layers; i++) {
            Path layer = dir.resolve(config.get("template_filename_axmodel").asText().formatted(i));
            String text = Files.readString(layer);
            assertTrue(text.startsWith("npu4j-emulator-model axcl 1\n"), layer.toString());
            assertTrue(text.contains("input K_cache_1 bf16 none 1x1x64"), "suffixed prefill names: " + layer);
        }
        assertTrue(Files.isRegularFile(dir.resolve(config.get("filename_post_axmodel").asText())));
        long rows = config.get("tokens_embed_num").asLong(), hidden = config.get("tokens_embed_size").asLong();
        assertEquals(rows * hidden * 2, Files.size(dir.resolve(config.get("filename_tokens_embed").asText())));
        String txt = Files.readString(dir.resolve(config.get("url_tokenizer_model").asText()));
        assertTrue(txt.startsWith("430 1\n26 1 0\n"), "MNN tiktoken header");
        JsonNode hf = JSON.readTree(dir.resolve("tokenizer.json").toFile());
        assertEquals("BPE", hf.at("/model/type").asText());
        JsonNode tc = JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertTrue(tc.get("chat_template").asText().contains("<|im_start|>assistant\\n"));
        assertEquals("<|im_end|>", tc.get("eos_token").asText());
        JsonNode post = JSON.readTree(dir.resolve("post_config.json").toFile());
        assertTrue(post.has("top_k") && !post.get("enable_top_p_sampling").asBoolean());
        assertEquals(dir, Emulator.axllmPackage("tiny"), "cached");
    }

    @Test
    void vendorBenchRunsFromTheJar() throws Exception {
        Path exe = Emulator.axllmVendorBench();
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), "--profile", "tiny", "--prompt-tokens", "40",
                "--decode-tokens", "4", "--speed", "0");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        JsonNode line = JSON.readTree(out);
        assertEquals("axllm_vendor_bench", line.get("driver").asText());
        // 4 layers: per token 5 executes, 1 + 2 x 4 H2D, 1 D2H, 3 x 4 D2D, no binds (the vendor pattern)
        assertEquals(5, line.at("/calls_per_token/execute").asInt());
        assertEquals(9, line.at("/calls_per_token/h2d").asInt());
        assertEquals(12, line.at("/calls_per_token/d2d").asInt());
        assertEquals(27, line.at("/calls_per_token/pcie").asInt());
        assertTrue(line.get("source").asText().contains("emulator"));
    }

    @Test
    void explicitDirectoryAndBadProfile(@TempDir Path tmp) throws IOException {
        Path dir = Emulator.axllmPackage("tiny", tmp.resolve("pkg"));
        assertTrue(Files.isRegularFile(dir.resolve("tiny_post.axmodel")));
        NpuException e = assertThrows(NpuException.class, () -> Emulator.axllmPackage("qwen9"));
        assertTrue(e.getMessage().contains("qwen3-0.6b"), e.getMessage());
        Files.writeString(tmp.resolve("file"), "x");
        NpuException e2 = assertThrows(NpuException.class, () -> Emulator.axllmPackage("tiny", tmp.resolve("file")));
        assertTrue(e2.getMessage().contains("cannot create"), e2.getMessage());
    }
}
