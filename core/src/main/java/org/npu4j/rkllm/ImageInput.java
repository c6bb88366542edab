package org.npu4j.rkllm;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Image embeddings of a multimodal input, made by the model's vision encoder (an RKNN model run
 * separately): {@code nImages * tokensPerImage} rows of the LLM's hidden size, image after image
 * (source: the vendor header, "n_image * n_image_tokens * embedding_dim").
 *
 * <p>The tags mark where the image goes in the prompt. ABI 1.3 takes them here, per input; ABI 1.2 takes
 * them once per model ({@code RKLLMParam.img_start/img_end/img_content}, see
 * {@link RkllmModelBuilder#imageTags}) and refuses them here.
 *
 * @param embeddings     the floats; owned by this record
 * @param nImages        number of images, {@code >= 1}
 * @param tokensPerImage embedding rows per image, {@code >= 1}
 * @param width          image width in pixels as fed to the encoder ({@code >= 0}; 0 = not given)
 * @param height         image height in pixels ({@code >= 0})
 * @param start          start tag (e.g. {@code <img>}), or null (ABI 1.3 only)
 * @param end            end tag, or null (ABI 1.3 only)
 * @param content        content tag the runtime repeats per image token, or null (ABI 1.3 only)
 */
public record ImageInput(float[] embeddings, int nImages, int tokensPerImage, int width, int height,
        @Nullable String start, @Nullable String end, @Nullable String content) {

    public ImageInput {
        Objects.requireNonNull(embeddings, "embeddings");
        SamplingParams.check(nImages >= 1, "nImages (n_image)", nImages, ">= 1");
        SamplingParams.check(tokensPerImage >= 1, "tokensPerImage (n_image_tokens)", tokensPerImage, ">= 1");
        SamplingParams.check(width >= 0, "width (image_width)", width, ">= 0");
        SamplingParams.check(height >= 0, "height (image_height)", height, ">= 0");
        long rows = (long) nImages * tokensPerImage;
        if (embeddings.length == 0 || embeddings.length % rows != 0) {
            throw new IllegalArgumentException("image embeddings have " + embeddings.length + " floats for "
                    + nImages + " image(s) x " + tokensPerImage + " tokens: expected nImages * tokensPerImage"
                    + " * hiddenSize floats");
        }
    }

    /** Images without tags (ABI 1.2, or 1.3 with the model's defaults); the array is copied. */
    public static ImageInput of(float[] embeddings, int nImages, int tokensPerImage, int width, int height) {
        return new ImageInput(embeddings.clone(), nImages, tokensPerImage, width, height, null, null, null);
    }

    /** The same images with tags (ABI 1.3). */
    public ImageInput withTags(@Nullable String start, @Nullable String end, @Nullable String content) {
        return new ImageInput(embeddings, nImages, tokensPerImage, width, height, start, end, content);
    }

    long rows() {
        return (long) nImages * tokensPerImage;
    }

    boolean hasTags() {
        return start != null || end != null || content != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageInput i && nImages == i.nImages && tokensPerImage == i.tokensPerImage
                && width == i.width && height == i.height && Objects.equals(start, i.start)
                && Objects.equals(end, i.end) && Objects.equals(content, i.content)
                && Arrays.equals(embeddings, i.embeddings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nImages, tokensPerImage, width, height, start, end, content) * 31
                + Arrays.hashCode(embeddings);
    }

    @Override
    public String toString() {
        return "ImageInput[" + nImages + " x " + tokensPerImage + " tokens, " + width + "x" + height + "]";
    }
}
