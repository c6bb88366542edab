package org.npu4j.llm;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * JSON laid out as Python's {@code json.dumps} (with {@code ensure_ascii=False}) lays it out, which is
 * what chat templates' {@code tojson} produces and so what models saw in training: {@code ", "} between
 * items and {@code ": "} after keys on one line, or {@code indent} spaces per level. Written by Jackson.
 */
final class PythonJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MinimalPrettyPrinter FLAT = new MinimalPrettyPrinter() {
        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }
    };

    private PythonJson() {}

    /** {@code value} (a Jackson tree, or maps, lists, strings, numbers) on one line. */
    static String dumps(Object value) {
        try {
            return JSON.writer(FLAT).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not representable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} indented by {@code indent} spaces per level. */
    static String dumps(Object value, int indent) {
        DefaultIndenter in = new DefaultIndenter(" ".repeat(indent), "\n");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(in).withArrayIndenter(in);
        try {
            return JSON.writer(pp).writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not representable as JSON: " + e.getOriginalMessage(), e);
        }
    }
}
