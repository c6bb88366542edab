package org.npu4j.rkllm;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Video embeddings of a multimodal input (ABI 1.3 only): {@code nVideos * framesPerVideo *
 * tokensPerFrame} rows of the LLM's hidden size (source: the vendor header, "n_video *
 * n_frame_per_video * n_frame_tokens * embedding_dim").
 *
 * @param embeddings     the floats; owned by this record
 * @param nVideos        number of videos, {@code >= 1}
 * @param framesPerVideo frames per video, {@code >= 1}
 * @param tokensPerFrame embedding rows per frame, {@code >= 1}
 * @param frameWidth     frame width in pixels ({@code >= 0})
 * @param frameHeight    frame height in pixels ({@code >= 0})
 * @param start          start tag, or null
 * @param end            end tag, or null
 * @param content        content tag, or null
 */
public record VideoInput(float[] embeddings, int nVideos, int framesPerVideo, int tokensPerFrame, int frameWidth,
        int frameHeight, @Nullable String start, @Nullable String end, @Nullable String content) {

    public VideoInput {
        Objects.requireNonNull(embeddings, "embeddings");
        SamplingParams.check(nVideos >= 1, "nVideos (n_video)", nVideos, ">= 1");
        SamplingParams.check(framesPerVideo >= 1, "framesPerVideo (n_frame_per_video)", framesPerVideo, ">= 1");
        SamplingParams.check(tokensPerFrame >= 1, "tokensPerFrame (n_frame_tokens)", tokensPerFrame, ">= 1");
        SamplingParams.check(frameWidth >= 0, "frameWidth (frame_width)", frameWidth, ">= 0");
        SamplingParams.check(frameHeight >= 0, "frameHeight (frame_height)", frameHeight, ">= 0");
        long rows = (long) nVideos * framesPerVideo * tokensPerFrame;
        if (embeddings.length == 0 || embeddings.length % rows != 0) {
            throw new IllegalArgumentException("video embeddings have " + embeddings.length + " floats for "
                    + nVideos + " video(s) x " + framesPerVideo + " frames x " + tokensPerFrame
                    + " tokens: expected nVideos * framesPerVideo * tokensPerFrame * hiddenSize floats");
        }
    }

    /** Videos without tags; the array is copied. */
    public static VideoInput of(float[] embeddings, int nVideos, int framesPerVideo, int tokensPerFrame,
            int frameWidth, int frameHeight) {
        return new VideoInput(embeddings.clone(), nVideos, framesPerVideo, tokensPerFrame, frameWidth, frameHeight,
                null, null, null);
    }

    /** The same videos with tags. */
    public VideoInput withTags(@Nullable String start, @Nullable String end, @Nullable String content) {
        return new VideoInput(embeddings, nVideos, framesPerVideo, tokensPerFrame, frameWidth, frameHeight, start, end,
                content);
    }

    long rows() {
        return (long) nVideos * framesPerVideo * tokensPerFrame;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VideoInput v && nVideos == v.nVideos && framesPerVideo == v.framesPerVideo
                && tokensPerFrame == v.tokensPerFrame && frameWidth == v.frameWidth && frameHeight == v.frameHeight
                && Objects.equals(start, v.start) && Objects.equals(end, v.end) && Objects.equals(content, v.content)
                && Arrays.equals(embeddings, v.embeddings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nVideos, framesPerVideo, tokensPerFrame, frameWidth, frameHeight, start, end, content) * 31
                + Arrays.hashCode(embeddings);
    }

    @Override
    public String toString() {
        return "VideoInput[" + nVideos + " x " + framesPerVideo + " frames x " + tokensPerFrame + " tokens]";
    }
}
