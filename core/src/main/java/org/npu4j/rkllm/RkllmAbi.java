package org.npu4j.rkllm;

import java.util.Locale;

/**
 * The two RKLLM runtime ABIs found on boards, each bound by npu4j (jextract output in
 * {@code org.npu4j.rkllm.ffi.v1_2} and {@code .v1_3}).
 *
 * <p>Differences that reach the Java API (source: the vendor's {@code rkllm.h} of releases 1.2.3 and
 * 1.3.0, declared again in npu4j's {@code native/include/rkllm}):
 * <ul>
 *   <li>{@code rkllm_init} takes the result callback directly (1.2) or a struct of callbacks (1.3);</li>
 *   <li>{@code RKLLMParam.ignore_eos_token} exists only in 1.3; {@code img_start}, {@code img_end},
 *       {@code img_content} exist only in 1.2 (1.3 moved them into each multimodal input);</li>
 *   <li>{@code RKLLMInferParam} gained per-run sampling parameters and {@code max_new_tokens} in 1.3;</li>
 *   <li>multimodal input: one image block in 1.2; image and video blocks in 1.3;</li>
 *   <li>{@code rkllm_is_running} returns 0 while a task runs in 1.2, 1 in 1.3.</li>
 * </ul>
 */
public enum RkllmAbi {
    /** Runtime releases 1.2.0 to 1.2.3. */
    V1_2(1, 2),
    /** Runtime release 1.3.0. */
    V1_3(1, 3);

    private final int major;
    private final int minor;

    RkllmAbi(int major, int minor) {
        this.major = major;
        this.minor = minor;
    }

    /** {@code "1.2"} or {@code "1.3"}. */
    public String version() {
        return major + "." + minor;
    }

    /**
     * The ABI a runtime version belongs to.
     *
     * @param version {@code "1.2"}, {@code "1.3"}, or a full runtime version such as {@code "1.2.3"},
     *                {@code "1.2.1b1"} or {@code "v1.3.0"}
     * @throws IllegalArgumentException if the version is not 1.2.x or 1.3.x
     */
    public static RkllmAbi of(String version) {
        String v = version.strip().toLowerCase(Locale.ROOT);
        if (v.startsWith("v")) {
            v = v.substring(1);
        }
        for (RkllmAbi abi : values()) {
            String p = abi.version();
            if (v.equals(p) || v.startsWith(p + ".") || v.startsWith(p + "b") || v.startsWith(p + "-")) {
                return abi;
            }
        }
        throw new IllegalArgumentException("RKLLM runtime version '" + version
                + "' has no ABI binding in npu4j: supported are 1.2 (runtime 1.2.0-1.2.3) and 1.3 (runtime 1.3.0)");
    }

    @Override
    public String toString() {
        return version();
    }
}
