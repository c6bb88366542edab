package org.npu4j.chat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.npu4j.imageinput.ImageInputs;
import org.npu4j.llm.ImageData;

/** Image files (what {@code javax.imageio} reads: PNG, JPEG, BMP, GIF) as the packed RGB the LLM API takes. */
final class Images {
    private Images() {}

    /** @throws IllegalArgumentException if the file is missing or not an image, naming it */
    static ImageData read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + ": no such file");
        }
        try {
            return ImageInputs.decode(Files.readAllBytes(file), "image " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + file + ": cannot be read (" + e.getMessage() + ")");
        }
    }
}
