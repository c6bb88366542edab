package org.npu4j.axcl.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ax-llm model package as Axera ships it: one {@code .axmodel} per decoder layer, a post model (final
 * norm + lm_head), a headerless bf16 embedding table ({@code vocab × hidden × 2} bytes) and a tokenizer,
 * described by the G3 runner's {@code config.json} (keys as ax-llm's {@code docs/configuration.md}) or,
 * for older packages without one, given explicitly through {@link #builder(Path)}. Only files are
 * checked here; {@link AxLlmModel} checks the tensors against these numbers when it loads the layers.
 * Immutable.
 *
 * @param dir           the package directory
 * @param modelName     {@code model_name}
 * @param tokenizerType {@code tokenizer_type} ({@code Qwen3}, {@code Qwen2_5}, ...)
 * @param tokenizer     {@code url_tokenizer_model} resolved: a {@code *_tokenizer.txt} (MNN format) or a
 *                      {@code tokenizer.json} (HF), or a directory holding {@code tokenizer.json}
 * @param layers        the decoder layer files, layer 0 first ({@code template_filename_axmodel} with
 *                      {@code %d} = 0 .. {@code axmodel_num} − 1)
 * @param post          {@code filename_post_axmodel}
 * @param embeddings    {@code filename_tokens_embed}
 * @param vocab         {@code tokens_embed_num}: rows of the embedding table
 * @param hidden        {@code tokens_embed_size}: the hidden size
 * @param systemPrompt  {@code system_prompt}, or null
 * @param postConfig    {@code post_config_path} read, or {@link PostConfig#GREEDY} without one
 * @param thinking      {@code enable_thinking} / {@code thinking_mode} ({@code no_think} = false), or null
 *                      for the model's default (on)
 * @param vision        the vision encoder of a VLM package ({@code filename_image_encoder_axmodel} and the
 *                      other VLM keys), or null for a text-only package
 * @param devices       {@code devices}: the cards to split the layers across, as indices into the AXCL
 *                      runtime's device list (ax-llm's meaning: {@code [0, 1]} = the first two cards; see
 *                      {@link AxLlmModel.Options#devices()} for AXCL device ids instead), distinct, at most
 *                      one per layer; empty = one card, the first
 */
public record AxLlmPackage(Path dir, String modelName, String tokenizerType, Path tokenizer, List<Path> layers, Path post,
        Path embeddings, int vocab, int hidden, @Nullable String systemPrompt, PostConfig postConfig,
        @Nullable Boolean thinking, @Nullable Vision vision, List<Integer> devices) {
    /**
     * The vision encoder of a VLM package, as its {@code config.json} describes it (keys of ax-llm's
     * {@code docs/configuration.md}, {@code shared/facts/axllm.md}). The encoder's own tensor info decides
     * the input size, the number of image tokens and the embedding width when it is loaded; these values
     * are checked against it. Immutable.
     *
     * @param encoder       {@code filename_image_encoder_axmodel}
     * @param vlmType       {@code vlm_type} ({@code Qwen2_5VL} and {@code Qwen3VL} are run: their images are
     *                      {@code <|vision_start|>}, {@code <|image_pad|>} × tokens, {@code <|vision_end|>})
     * @param width         {@code vision_width}, pixels (default 448)
     * @param height        {@code vision_height}, pixels (default 448)
     * @param patchSize     {@code vision_patch_size} (default 14)
     * @param temporalPatch {@code vision_temporal_patch_size} (default 2; frames per patch of a video)
     * @param mergeSize     {@code vision_spatial_merge_size} (default 2: 2 × 2 patches per image token)
     */
    public record Vision(Path encoder, String vlmType, int width, int height, int patchSize, int temporalPatch,
            int mergeSize) {
        /** The {@code vlm_type}s whose image placeholders this runner writes (Qwen-VL's). */
        public static final Set<String> QWEN_VL = Set.of("Qwen2_5VL", "Qwen3VL");

        public Vision {
            Objects.requireNonNull(encoder, "encoder");
            Objects.requireNonNull(vlmType, "vlmType");
            if (width < 1 || height < 1 || patchSize < 1 || temporalPatch < 1 || mergeSize < 1) {
                throw new IllegalArgumentException("vision " + width + "x" + height + ", patch " + patchSize
                        + ", temporal patch " + temporalPatch + ", merge " + mergeSize + ": expected positive sizes");
            }
        }

        /** Image tokens the sizes give: {@code (height / (patch · merge)) · (width / (patch · merge))}. */
        public int tokens() {
            int b = patchSize * mergeSize;
            return (height / b) * (width / b);
        }
    }

    /** A package for the first card ({@code devices} empty). */
    public AxLlmPackage(Path dir, String modelName, String tokenizerType, Path tokenizer, List<Path> layers, Path post,
            Path embeddings, int vocab, int hidden, @Nullable String systemPrompt, PostConfig postConfig,
            @Nullable Boolean thinking, @Nullable Vision vision) {
        this(dir, modelName, tokenizerType, tokenizer, layers, post, embeddings, vocab, hidden, systemPrompt, postConfig,
                thinking, vision, List.of());
    }

    /** This package with another tokenizer file or HF directory. */
    public AxLlmPackage withTokenizer(Path t) {
        return new AxLlmPackage(dir, modelName, tokenizerType, t, layers, post, embeddings, vocab, hidden, systemPrompt,
                postConfig, thinking, vision, devices);
    }

    /** A text-only package (no vision encoder). */
    public AxLlmPackage(Path dir, String modelName, String tokenizerType, Path tokenizer, List<Path> layers, Path post,
            Path embeddings, int vocab, int hidden, @Nullable String systemPrompt, PostConfig postConfig,
            @Nullable Boolean thinking) {
        this(dir, modelName, tokenizerType, tokenizer, layers, post, embeddings, vocab, hidden, systemPrompt, postConfig,
                thinking, null);
    }

    private static final Logger LOG = LoggerFactory.getLogger(AxLlmPackage.class);
    /** The file {@link #read} reads. */
    public static final String CONFIG = "config.json";
    private static final Set<String> KNOWN = Set.of("model_name", "tokenizer_type", "url_tokenizer_model",
            "template_filename_axmodel", "axmodel_num", "filename_post_axmodel", "filename_tokens_embed",
            "tokens_embed_num", "tokens_embed_size", "system_prompt", "post_config_path", "enable_thinking",
            "thinking_mode", "devices", "use_mmap_load_embed", "b_use_mmap_load_embed", "vlm_type",
            "filename_image_encoder_axmodel", "vision_width", "vision_height", "vision_patch_size",
            "vision_temporal_patch_size", "vision_spatial_merge_size");

    public AxLlmPackage {
        Objects.requireNonNull(dir);
        layers = List.copyOf(layers);
        Objects.requireNonNull(postConfig);
        devices = List.copyOf(devices);
        for (int d : devices) {
            if (d < 0) {
                throw new IllegalArgumentException("devices = " + devices + ": " + d + " is negative (expected indices"
                        + " into the AXCL device list, 0 = the first card)");
            }
        }
        AxLlmDevices.check("devices = " + devices, devices, layers.size());
    }

    /** True if {@code dir} is a directory with a {@code config.json} naming {@code *.axmodel} layers. */
    public static boolean looksLikePackage(Path dir) {
        Path c = dir.resolve(CONFIG);
        if (!Files.isDirectory(dir) || !Files.isRegularFile(c)) {
            return false;
        }
        try {
            return Files.readString(c).contains("template_filename_axmodel");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Reads {@code dir/config.json} and checks that its files exist and the embedding table's size.
     *
     * @throws IllegalArgumentException naming the file and the key: no or unreadable config.json, a
     *                                  missing required key or one of the wrong type, a missing layer, post,
     *                                  embedding or tokenizer file, an embedding file whose size is not
     *                                  {@code vocab × hidden × 2}
     */
    public static AxLlmPackage read(Path dir) {
        Path file = dir.resolve(CONFIG);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the package description (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object (the ax-llm package description)");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!KNOWN.contains(k)) {
                LOG.debug("{}: key {} is not used by npu4j, ignored", file, k);
            }
        }
        String template = text(file, root, "template_filename_axmodel", true);
        if (!template.contains("%d")) {
            throw new IllegalArgumentException(file + ": key template_filename_axmodel \"" + template
                    + "\" has no %d (the layer number)");
        }
        Builder b = builder(dir).modelName(text(file, root, "model_name", true))
                .tokenizerType(text(file, root, "tokenizer_type", true))
                .tokenizer(dir.resolve(text(file, root, "url_tokenizer_model", true)))
                .layers(template, integer(file, root, "axmodel_num"))
                .post(dir.resolve(text(file, root, "filename_post_axmodel", true)))
                .embeddings(dir.resolve(text(file, root, "filename_tokens_embed", true)),
                        integer(file, root, "tokens_embed_num"), integer(file, root, "tokens_embed_size"));
        String system = text(file, root, "system_prompt", false);
        if (system != null) {
            b.systemPrompt(system);
        }
        String postPath = text(file, root, "post_config_path", false);
        if (postPath != null && Files.isRegularFile(dir.resolve(postPath))) {
            b.postConfig(PostConfig.read(dir.resolve(postPath)));
        } else if (postPath != null) {
            LOG.debug("{}: post_config_path {} does not exist: greedy sampling", file, postPath);
        }
        JsonNode think = root.get("enable_thinking");
        JsonNode mode = root.get("thinking_mode");
        if (think != null && think.isBoolean()) {
            b.thinking(think.booleanValue());
        } else if (mode != null && mode.isTextual()) {
            b.thinking(switch (mode.textValue()) {
                case "think" -> Boolean.TRUE;
                case "no_think" -> Boolean.FALSE;
                default -> null;
            });
        }
        String encoder = text(file, root, "filename_image_encoder_axmodel", false);
        if (encoder != null) {
            String type = text(file, root, "vlm_type", true);
            if (!Vision.QWEN_VL.contains(type)) {
                throw new IllegalArgumentException(file + ": key vlm_type \"" + type + "\" is not run by npu4j: expected one"
                        + " of " + new java.util.TreeSet<>(Vision.QWEN_VL) + " (images as <|vision_start|> <|image_pad|>..."
                        + " <|vision_end|>)");
            }
            b.vision(new Vision(dir.resolve(encoder), type, integer(file, root, "vision_width", 448),
                    integer(file, root, "vision_height", 448), integer(file, root, "vision_patch_size", 14),
                    integer(file, root, "vision_temporal_patch_size", 2), integer(file, root, "vision_spatial_merge_size", 2)));
        } else if (root.has("vlm_type")) {
            throw new IllegalArgumentException(file + ": key vlm_type is set but filename_image_encoder_axmodel is missing"
                    + " (a VLM package names its vision encoder)");
        }
        JsonNode devs = root.get("devices");
        if (devs != null && !devs.isNull()) {
            if (!devs.isArray() || devs.isEmpty()) {
                throw new IllegalArgumentException(file + ": key devices is " + devs + ", expected a non-empty array of"
                        + " device indices such as [0] or [0, 1]");
            }
            int[] ds = new int[devs.size()];
            for (int i = 0; i < ds.length; i++) {
                JsonNode d = devs.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                    throw new IllegalArgumentException(file + ": key devices is " + devs + ": element " + i + " (" + d
                            + ") is not a device index (expected an integer >= 0)");
                }
                ds[i] = d.intValue();
            }
            b.devices(ds);
        }
        return b.build(file);
    }

    private static int integer(Path file, JsonNode root, String key, int absent) {
        return root.get(key) == null || root.get(key).isNull() ? absent : integer(file, root, key);
    }

    private static @Nullable String text(Path file, JsonNode root, String key, boolean required) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (required) {
                throw new IllegalArgumentException(file + ": required key " + key + " is missing");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(file + ": key " + key + " is " + n + ", expected a string");
        }
        return n.textValue();
    }

    private static int integer(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException(file + ": required key " + key + " is missing");
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 1) {
            throw new IllegalArgumentException(file + ": key " + key + " is " + n + ", expected a positive integer");
        }
        return n.intValue();
    }

    /**
     * A package described explicitly, as the G2 run scripts pass it ({@code --template_filename_axmodel},
     * {@code --axmodel_num}, ..., a HF tokenizer directory for {@code --url_tokenizer_model}).
     */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** Builds an {@link AxLlmPackage}; not thread-safe. */
    public static final class Builder {
        private final Path dir;
        private String modelName;
        private String tokenizerType = "Qwen3";
        private @Nullable Path tokenizer;
        private final List<Path> layers = new ArrayList<>();
        private @Nullable String template;
        private @Nullable Path post;
        private @Nullable Path embeddings;
        private int vocab;
        private int hidden;
        private @Nullable String systemPrompt;
        private PostConfig postConfig = PostConfig.GREEDY;
        private @Nullable Boolean thinking;
        private @Nullable Vision vision;
        private List<Integer> devices = List.of();

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
            Path name = dir.toAbsolutePath().normalize().getFileName();
            this.modelName = name == null ? dir.toString() : name.toString();
        }

        public Builder modelName(String n) {
            this.modelName = Objects.requireNonNull(n);
            return this;
        }

        public Builder tokenizerType(String t) {
            this.tokenizerType = Objects.requireNonNull(t);
            return this;
        }

        /** A {@code *_tokenizer.txt}, a {@code tokenizer.json}, or a HF tokenizer directory. */
        public Builder tokenizer(Path p) {
            this.tokenizer = Objects.requireNonNull(p);
            return this;
        }

        /** Layer files {@code dir/template} with {@code %d} replaced by 0 .. {@code count} − 1. */
        public Builder layers(String fileTemplate, int count) {
            if (count < 1) {
                throw new IllegalArgumentException("axmodel_num = " + count + ": expected at least 1 layer");
            }
            template = fileTemplate;
            layers.clear();
            for (int i = 0; i < count; i++) {
                layers.add(dir.resolve(fileTemplate.replace("%d", Integer.toString(i))));
            }
            return this;
        }

        public Builder post(Path p) {
            this.post = Objects.requireNonNull(p);
            return this;
        }

        /** The embedding table and its shape ({@code tokens_embed_num}, {@code tokens_embed_size}). */
        public Builder embeddings(Path p, int vocabRows, int hiddenSize) {
            this.embeddings = Objects.requireNonNull(p);
            this.vocab = vocabRows;
            this.hidden = hiddenSize;
            return this;
        }

        public Builder systemPrompt(@Nullable String s) {
            this.systemPrompt = s;
            return this;
        }

        public Builder postConfig(PostConfig c) {
            this.postConfig = Objects.requireNonNull(c);
            return this;
        }

        public Builder thinking(@Nullable Boolean on) {
            this.thinking = on;
            return this;
        }

        /** The vision encoder of a VLM package, or null for text only. */
        public Builder vision(@Nullable Vision v) {
            this.vision = v;
            return this;
        }

        /**
         * The cards to split the layers across, as indices into the AXCL device list (ax-llm's
         * {@code devices} and the G2 run scripts' {@code --devices 0,1}); none = the first card.
         */
        public Builder devices(int... indices) {
            this.devices = java.util.Arrays.stream(indices).boxed().toList();
            return this;
        }

        /** @throws IllegalArgumentException as {@link AxLlmPackage#read}, naming the setting */
        public AxLlmPackage build() {
            return build(null);
        }

        AxLlmPackage build(@Nullable Path config) {
            String where = config == null ? "package " + dir : config.toString();
            if (layers.isEmpty()) {
                throw new IllegalArgumentException(where + ": no layers (template_filename_axmodel, axmodel_num)");
            }
            for (int i = 0; i < layers.size(); i++) {
                if (!Files.isRegularFile(layers.get(i))) {
                    throw new IllegalArgumentException(where + ": layer " + i + " file " + layers.get(i)
                            + " (template_filename_axmodel " + template + ", axmodel_num " + layers.size() + ") does not exist");
                }
            }
            if (post == null || !Files.isRegularFile(post)) {
                throw new IllegalArgumentException(where + ": post model " + post + " (filename_post_axmodel) does not exist");
            }
            if (embeddings == null || !Files.isRegularFile(embeddings)) {
                throw new IllegalArgumentException(where + ": embedding table " + embeddings
                        + " (filename_tokens_embed) does not exist");
            }
            if (vocab < 1 || hidden < 1) {
                throw new IllegalArgumentException(where + ": tokens_embed_num " + vocab + " and tokens_embed_size " + hidden
                        + ": expected positive sizes");
            }
            long expected = (long) vocab * hidden * 2;
            long size;
            try {
                size = Files.size(embeddings);
            } catch (IOException e) {
                throw new IllegalArgumentException(where + ": cannot read " + embeddings + " (" + e.getMessage() + ")", e);
            }
            if (size != expected) {
                throw new IllegalArgumentException(embeddings + ": " + size + " bytes, expected tokens_embed_num "
                        + vocab + " x tokens_embed_size " + hidden + " x 2 (bf16) = " + expected + " bytes (" + where + ")");
            }
            if (tokenizer == null || !Files.exists(tokenizer)) {
                throw new IllegalArgumentException(where + ": tokenizer " + tokenizer + " (url_tokenizer_model) does not exist");
            }
            if (vision != null && !Files.isRegularFile(vision.encoder())) {
                throw new IllegalArgumentException(where + ": vision encoder " + vision.encoder()
                        + " (filename_image_encoder_axmodel) does not exist");
            }
            try {
                return new AxLlmPackage(dir, modelName, tokenizerType, tokenizer, layers, post, embeddings, vocab, hidden,
                        systemPrompt, postConfig, thinking, vision, devices);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": key " + e.getMessage(), e);
            }
        }
    }
}
