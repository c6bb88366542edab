package org.npu4j.llm;

import java.util.Locale;

/** Who speaks a {@link ChatMessage}: the roles of the OpenAI and Ollama chat protocols and of ChatML. */
public enum Role {
    SYSTEM, USER, ASSISTANT, TOOL;

    /** The wire name: {@code system}, {@code user}, {@code assistant}, {@code tool}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The role named {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException for any other name, naming the accepted ones
     */
    public static Role of(String name) {
        for (Role r : values()) {
            if (r.wireName().equalsIgnoreCase(name)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role \"" + name + "\": expected system, user, assistant or tool");
    }
}
