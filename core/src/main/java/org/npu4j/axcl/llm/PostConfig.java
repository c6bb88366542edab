package org.npu4j.axcl.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A package's host sampling settings ({@code post_config.json}, keys and meaning as ax-llm's
 * {@code LLMPostprocess.hpp}): each method has a switch and a value; applied in the vendor's order by
 * {@link Sampler}. Immutable.
 *
 * @param temperatureEnabled       divide logits by {@code temperature}
 * @param temperature              {@code > 0}
 * @param repetitionPenaltyEnabled penalise the ids generated in the last {@code penaltyWindow} tokens
 * @param repetitionPenalty        {@code > 0}
 * @param penaltyWindow            tokens, {@code >= 0}
 * @param topPEnabled              nucleus sampling (wins over top-k)
 * @param topP                     (0, 1]
 * @param topKEnabled              sample among the {@code topK} most likely
 * @param topK                     {@code >= 1}
 */
public record PostConfig(boolean temperatureEnabled, float temperature, boolean repetitionPenaltyEnabled,
        float repetitionPenalty, int penaltyWindow, boolean topPEnabled, float topP, boolean topKEnabled, int topK) {
    private static final Logger LOG = LoggerFactory.getLogger(PostConfig.class);
    private static final Set<String> KEYS = Set.of("enable_temperature", "temperature", "enable_repetition_penalty",
            "repetition_penalty", "penalty_window", "enable_top_p_sampling", "top_p", "enable_top_k_sampling", "top_k");

    /** Greedy decoding (every switch off), with the Qwen3-0.6B package's values. */
    public static final PostConfig GREEDY = new PostConfig(false, 0.9f, false, 1.2f, 20, false, 0.8f, false, 10);

    public PostConfig {
        if (!(temperature > 0) || !(repetitionPenalty > 0) || penaltyWindow < 0 || !(topP > 0 && topP <= 1) || topK < 1) {
            throw new IllegalArgumentException("post config out of range: temperature " + temperature
                    + " (> 0), repetition_penalty " + repetitionPenalty + " (> 0), penalty_window " + penaltyWindow
                    + " (>= 0), top_p " + topP + " (0, 1], top_k " + topK + " (>= 1)");
        }
    }

    /**
     * Reads {@code file}; missing keys keep {@link #GREEDY}'s, unknown keys are logged at debug.
     *
     * @throws IllegalArgumentException naming the file and the key for unreadable JSON or a value of the
     *                                  wrong type or range
     */
    public static PostConfig read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable JSON (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object of sampling settings");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                LOG.debug("{}: unknown key {} ignored", file, k);
            }
        }
        PostConfig d = GREEDY;
        try {
            return new PostConfig(bool(file, root, "enable_temperature", d.temperatureEnabled),
                    num(file, root, "temperature", d.temperature),
                    bool(file, root, "enable_repetition_penalty", d.repetitionPenaltyEnabled),
                    num(file, root, "repetition_penalty", d.repetitionPenalty),
                    (int) num(file, root, "penalty_window", d.penaltyWindow),
                    bool(file, root, "enable_top_p_sampling", d.topPEnabled), num(file, root, "top_p", d.topP),
                    bool(file, root, "enable_top_k_sampling", d.topKEnabled), (int) num(file, root, "top_k", d.topK));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static boolean bool(Path file, JsonNode root, String key, boolean dflt) {
        JsonNode n = root.get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(file + ": key " + key + " is " + n + ", expected true or false");
        }
        return n.booleanValue();
    }

    private static float num(Path file, JsonNode root, String key, float dflt) {
        JsonNode n = root.get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isNumber()) {
            throw new IllegalArgumentException(file + ": key " + key + " is " + n + ", expected a number");
        }
        return n.floatValue();
    }
}
