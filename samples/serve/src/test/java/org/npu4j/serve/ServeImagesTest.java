package org.npu4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * Images through the server: OpenAI {@code image_url} parts (data URLs; files only under --image-dir) with
 * the official openai-java client, Ollama {@code images} (base64), to the emulated Qwen3-VL-2B (RKNN
 * vision encoder + RKLLM, whose answer depends on the image's embeddings) and the AX650N emulator's
 * Qwen3-VL-shaped package, and refusals in each protocol's error shape.
 */
class ServeImagesTest {
    static final String VL = "vl-emu";
    /** The AX650N emulator's Qwen3-VL-shaped package (mRoPE layers, deepstack encoder). */
    static final String AX_VL = "ax-qwen3-vl-emu";
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path dir;
    static NpuServer server;
    static OpenAIClient client;
    static HttpClient http;

    @BeforeAll
    static void start() throws IOException {
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put(TestServer.MODEL, new ServedModel(TestServer.MODEL, () -> LanguageModel.openEmulator(
                TestServer.PROFILE, LoadOptions.DEFAULTS.withName(TestServer.MODEL)), 8));
        models.put(VL, new ServedModel(VL, () -> LanguageModel.openEmulator("rk3588-qwen3-vl-2b-w8a8",
                LoadOptions.DEFAULTS.withName(VL)), 8));
        models.put(AX_VL, new ServedModel(AX_VL, () -> LanguageModel.openEmulator("ax650n-tiny-qwen3-vl",
                LoadOptions.DEFAULTS.withName(AX_VL)), 8));
        Files.createDirectory(dir.resolve("images"));
        Files.write(dir.resolve("images/red.png"), png(0xc02020));
        Files.write(dir.resolve("outside.png"), png(0xc02020));
        server = NpuServer.start(NpuServer.Config.loopback().withImageDir(dir.resolve("images")), models);
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl() + "/v1").apiKey("unused").maxRetries(0).build();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
        http.close();
    }

    /** A 64x48 PNG of one colour with a green square in its top-left quarter. */
    static byte[] png(int rgb) {
        BufferedImage img = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, x < 16 && y < 12 ? 0x20c020 : rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String dataUrl(int rgb) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png(rgb));
    }

    static String openAi(String model, String imageUrl) {
        ChatCompletionCreateParams p = ChatCompletionCreateParams.builder().model(model).maxCompletionTokens(32)
                .addUserMessageOfArrayOfContentParts(List.of(
                        ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("What is in the picture?").build()),
                        ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder().imageUrl(
                                ChatCompletionContentPartImage.ImageUrl.builder().url(imageUrl).build()).build())))
                .build();
        return client.chat().completions().create(p).choices().getFirst().message().content().orElse("");
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    static String ollamaChat(String model, byte[] png) throws Exception {
        ObjectNode req = JSON.createObjectNode().put("model", model).put("stream", false);
        ObjectNode msg = req.putArray("messages").addObject().put("role", "user").put("content", "What is in the picture?");
        msg.putArray("images").add(Base64.getEncoder().encodeToString(png));
        req.putObject("options").put("num_predict", 32);
        HttpResponse<String> r = post("/api/chat", req.toString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("message").path("content").asText();
    }

    @Test
    void twoImagesGiveTwoAnswersThroughTheOpenAiClient() {
        String red = openAi(VL, dataUrl(0xc02020));
        String blue = openAi(VL, dataUrl(0x2020c0));
        assertNotEquals(red, blue, "two images, two answers");
        assertEquals(red, openAi(VL, dataUrl(0xc02020)), "the same image, the same answer");
        assertEquals(red, openAi(VL, "red.png"), "a file in --image-dir is the same image");
        assertEquals(red, openAi(VL, dir.resolve("images/red.png").toUri().toString()));
    }

    @Test
    void twoImagesGiveTwoAnswersThroughOllamaImages() throws Exception {
        String red = ollamaChat(VL, png(0xc02020));
        String blue = ollamaChat(VL, png(0x2020c0));
        assertNotEquals(red, blue);
        assertEquals(red, ollamaChat(VL, png(0xc02020)));
        ObjectNode gen = JSON.createObjectNode().put("model", VL).put("stream", false).put("prompt", "What is in the picture?");
        gen.putArray("images").add(Base64.getEncoder().encodeToString(png(0x2020c0)));
        gen.putObject("options").put("num_predict", 8);
        HttpResponse<String> g = post("/api/generate", gen.toString());
        assertEquals(200, g.statusCode(), g.body());
        assertTrue(JSON.readTree(g.body()).path("response").asText().length() > 0);
    }

    @Test
    void theAx650nQwen3VlPackageTakesImageUrlAndOllamaImages() throws Exception {
        String red = openAi(AX_VL, dataUrl(0xc02020));
        assertNotEquals(red, openAi(AX_VL, dataUrl(0x2020c0)), "two images, two answers");
        assertEquals(red, openAi(AX_VL, "red.png"), "a file in --image-dir is the same image");
        String ollamaRed = ollamaChat(AX_VL, png(0xc02020));
        assertNotEquals(ollamaRed, ollamaChat(AX_VL, png(0x2020c0)));
    }

    @Test
    void aModelWithoutAVisionEncoderGets400InEachProtocolsShape() throws Exception {
        BadRequestException e = assertThrows(BadRequestException.class, () -> openAi(TestServer.MODEL, dataUrl(0xc02020)));
        assertEquals(400, e.statusCode());
        assertTrue(e.getMessage().contains("takes no images"), e.getMessage());
        ObjectNode req = JSON.createObjectNode().put("model", TestServer.MODEL).put("stream", false);
        req.putArray("messages").addObject().put("role", "user").put("content", "Hi").putArray("images")
                .add(Base64.getEncoder().encodeToString(png(0)));
        HttpResponse<String> r = post("/api/chat", req.toString());
        assertEquals(400, r.statusCode());
        assertTrue(JSON.readTree(r.body()).path("error").asText().contains("takes no images"), r.body());
        // the server keeps serving
        assertTrue(ollamaChat(VL, png(0x2020c0)).length() > 0);
    }

    @Test
    void remoteUrlsFilesOutsideTheDirectoryAndBadDataAre400() throws Exception {
        for (String url : new String[] {"https://example.com/cat.png", "http://169.254.169.254/latest/meta-data",
                dir.resolve("outside.png").toString(), "../outside.png", "data:image/png;base64,bm90IGFuIGltYWdl"}) {
            BadRequestException e = assertThrows(BadRequestException.class, () -> openAi(VL, url), url);
            assertEquals(400, e.statusCode());
            JsonNode err = JSON.readTree(post("/v1/chat/completions", "{\"model\":\"" + VL + "\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":" + JSON.writeValueAsString(url) + "}}]}]}").body());
            assertEquals("invalid_request_error", err.path("error").path("type").asText(), err.toString());
            assertEquals("messages[0].content[0].image_url", err.path("error").path("param").asText(), err.toString());
        }
        String remote = JSON.readTree(post("/v1/chat/completions", "{\"model\":\"" + VL + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}]}").body())
                .path("error").path("message").asText();
        assertTrue(remote.contains("remote image URLs are not supported"), remote);
        HttpResponse<String> bad = post("/api/chat", "{\"model\":\"" + VL + "\",\"stream\":false,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"x\",\"images\":[\"%%%\"]}]}");
        assertEquals(400, bad.statusCode());
        assertTrue(JSON.readTree(bad.body()).path("error").asText().contains("messages[0].images[0]"), bad.body());
    }

    @Test
    void twoImagesGiveTwoAnswersThroughLangChain4jsOpenAiClient() {
        dev.langchain4j.model.chat.ChatModel lc = dev.langchain4j.model.openai.OpenAiChatModel.builder()
                .baseUrl(server.baseUrl() + "/v1").apiKey("unused").modelName(VL).maxTokens(32).build();
        java.util.function.IntFunction<String> ask = rgb -> lc.chat(dev.langchain4j.data.message.UserMessage.from(
                dev.langchain4j.data.message.TextContent.from("What is in the picture?"),
                dev.langchain4j.data.message.ImageContent.from(Base64.getEncoder().encodeToString(png(rgb)), "image/png")))
                .aiMessage().text();
        String red = ask.apply(0xc02020);
        assertNotEquals(red, ask.apply(0x2020c0), "two images, two answers");
        assertEquals(red, ask.apply(0xc02020));
        assertEquals(red, openAi(VL, dataUrl(0xc02020)), "the same answer as through openai-java");
    }
}
