package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.llm.LanguageModel;

/** Package loading: the config keys, the checks and their messages, nothing left allocated after a failure. */
class AxLlmPackageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A copy of the tiny package with config.json changed by {@code edit}. */
    private Path copy(Consumer<ObjectNode> edit) throws IOException {
        Path src = AxLlmModelTest.tiny();
        Path dst = Files.createDirectories(tmp.resolve("pkg"));
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : s.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        ObjectNode c = (ObjectNode) JSON.readTree(dst.resolve("config.json").toFile());
        edit.accept(c);
        Files.writeString(dst.resolve("config.json"), c.toPrettyString());
        return dst;
    }

    private static IllegalArgumentException openFails(Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AxLlmModel.open(
                AxLlmPackage.read(dir), AxclRuntime.Options.emulator(), AxLlmModel.Options.DEFAULTS).close());
        // whatever was loaded before the error is released
        try (AxclRuntime rt = AxclRuntime.acquire(AxclRuntime.Options.emulator())) {
            assertEquals(0, EmuCounters.live("device_allocations"), e.getMessage());
            assertEquals(0, EmuCounters.live("models"), e.getMessage());
        }
        return e;
    }

    @Test
    void readsTheConfigKeys() {
        AxLlmPackage p = AxLlmPackage.read(AxLlmModelTest.tiny());
        assertEquals(4, p.layers().size());
        assertEquals(704, p.vocab());
        assertEquals(128, p.hidden());
        assertEquals("Qwen3", p.tokenizerType());
        assertTrue(p.tokenizer().toString().endsWith("tiny_tokenizer.txt"));
        assertEquals(Boolean.TRUE, p.thinking());
        assertEquals(PostConfig.GREEDY, p.postConfig());
        assertTrue(AxLlmPackage.looksLikePackage(AxLlmModelTest.tiny()));
    }

    @Test
    void missingRequiredKey() throws IOException {
        Path d = copy(c -> c.remove("axmodel_num"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(d));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("axmodel_num"), e.getMessage());
    }

    @Test
    void missingLayerFile() throws IOException {
        Path d = copy(c -> c.put("axmodel_num", 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(d));
        assertTrue(e.getMessage().contains("layer 4") && e.getMessage().contains("tiny_p16_l4_together.axmodel")
                && e.getMessage().contains("axmodel_num"), e.getMessage());
    }

    @Test
    void embeddingOfTheWrongSize() throws IOException {
        Path d = copy(c -> c.put("tokens_embed_num", 703));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AxLlmPackage.read(d));
        assertTrue(e.getMessage().contains("model.embed_tokens.weight.bfloat16.bin")
                && e.getMessage().contains("tokens_embed_num 703"), e.getMessage());
    }

    @Test
    void tokenizerOfAnotherFormat() throws IOException {
        Path d = copy(c -> c.put("url_tokenizer_model", "README.txt"));
        IllegalArgumentException e = openFails(d);
        assertTrue(e.getMessage().contains("README.txt") && e.getMessage().contains("MNN"), e.getMessage());
        Path d2 = tmp.resolve("pkg");
        Files.writeString(d2.resolve("vocab.bin"), "x");
        ObjectNode c = (ObjectNode) JSON.readTree(d2.resolve("config.json").toFile());
        c.put("url_tokenizer_model", "vocab.bin");
        Files.writeString(d2.resolve("config.json"), c.toPrettyString());
        IllegalArgumentException e2 = openFails(d2);
        assertTrue(e2.getMessage().contains("vocab.bin") && e2.getMessage().contains("url_tokenizer_model"), e2.getMessage());
    }

    @Test
    void tensorsThatDisagreeWithTheConfig() throws IOException {
        // same embedding size (704 x 128 = 1408 x 64), but a hidden size the layers do not have
        Path d = copy(c -> {
            c.put("tokens_embed_num", 1408);
            c.put("tokens_embed_size", 64);
        });
        IllegalArgumentException e = openFails(d);
        assertTrue(e.getMessage().contains("tiny_p16_l0_together.axmodel") && e.getMessage().contains("tokens_embed_size"),
                e.getMessage());
    }

    @Test
    void layersThatDisagreeWithEachOther() throws IOException {
        Path d = copy(c -> {});
        Path l2 = d.resolve("tiny_p16_l2_together.axmodel");
        Files.writeString(l2, Files.readString(l2).replace("input mask bf16 none 1x1x256", "input mask bf16 none 1x1x255"));
        IllegalArgumentException e = openFails(d);
        assertTrue(e.getMessage().contains("tiny_p16_l2_together.axmodel"), e.getMessage());
    }

    @Test
    void unknownKeysAreIgnored() throws IOException {
        Path d = copy(c -> c.put("some_future_key", 42));
        try (LanguageModel m = AxLlmModel.open(AxLlmPackage.read(d), AxclRuntime.Options.emulator(),
                AxLlmModel.Options.DEFAULTS)) {
            assertEquals("axcl", m.info().backend());
        }
    }

    /** An older package without config.json: the same parameters given to the builder, with a HF tokenizer. */
    @Test
    void builderForPackagesWithoutConfig() throws IOException {
        Path d = copy(c -> {});
        Files.delete(d.resolve("config.json"));
        AxLlmPackage p = AxLlmPackage.builder(d).layers("tiny_p16_l%d_together.axmodel", 4).post(d.resolve("tiny_post.axmodel"))
                .embeddings(d.resolve("model.embed_tokens.weight.bfloat16.bin"), 704, 128).tokenizer(d).build();
        int[] viaBuilder;
        int[] viaConfig;
        var req = org.npu4j.llm.LlmRequest.builder().message(org.npu4j.llm.ChatMessage.user("Hello")).maxNewTokens(12).build();
        try (AxLlmModel m = AxLlmModel.open(p, AxclRuntime.Options.emulator(), AxLlmModel.Options.DEFAULTS)) {
            assertTrue(m.tokenizer() instanceof HfTokenizer);
            viaBuilder = m.generate(req).tokenIds();
        }
        AxLlmPackage q = AxLlmPackage.read(AxLlmModelTest.tiny());
        AxLlmPackage q2 = new AxLlmPackage(q.dir(), q.modelName(), q.tokenizerType(), q.tokenizer(), q.layers(), q.post(),
                q.embeddings(), q.vocab(), q.hidden(), null, q.postConfig(), null);
        try (AxLlmModel m = AxLlmModel.open(q2, AxclRuntime.Options.emulator(), AxLlmModel.Options.DEFAULTS)) {
            viaConfig = m.generate(req).tokenIds();
        }
        assertArrayEquals(viaConfig, viaBuilder);
    }
}
