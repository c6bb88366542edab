package org.npu4j.axcl.llm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.npu4j.NpuException;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxclRuntime;

/**
 * Which AX650N cards an ax-llm package runs on, and which layers each card gets.
 *
 * <h2>Choosing the cards</h2>
 * In this order: {@link AxLlmModel.Options#devices()} (AXCL device ids, LoadOptions key
 * {@code axcl.devices}), {@link AxLlmModel.Options#deviceId()} (one id, {@code axcl.device}), the
 * package's {@code devices} ({@code config.json}: indices into the runtime's device list
 * {@code axclrtGetDeviceList}, as ax-llm reads them: {@code src/runner/utils/axcl_manager.hpp} @ 15699736
 * sets device {@code list[index]}), else the first card. AXCL device ids are PCI bus numbers (a card at
 * {@code 0000:01:00.0} is device 1), so {@code "devices": [0, 1]} in a package and
 * {@code axcl.devices=1,2} name the same two cards on a host whose cards sit on buses 1 and 2.
 *
 * <h2>Splitting the layers</h2>
 * Contiguous blocks in card order, as ax-llm's G2 runner splits them ({@code shared/facts/axllm.md}):
 * L layers over n cards give the first {@code L mod n} cards ⌈L/n⌉ layers and the others ⌊L/n⌋; the
 * post model (norm and lm_head, the largest single model) goes to the last card, which therefore never
 * has more layers than another. Stateless; thread-safe.
 */
final class AxLlmDevices {
    private AxLlmDevices() {}

    /**
     * The AXCL device ids to run {@code pkg} on (see the class comment), each present in the runtime,
     * none twice, at most one per layer.
     *
     * @throws IllegalArgumentException naming the key ({@code axcl.devices}, {@code axcl.device} or
     *                                  {@code config.json devices}) and the value: an id or index the runtime
     *                                  does not list, a card named twice, more cards than layers, or both
     *                                  {@code devices} and {@code deviceId} set in the options
     * @throws NpuException             if the runtime sees no card
     */
    static List<Integer> resolve(AxclRuntime rt, AxLlmPackage pkg, AxLlmModel.Options o) {
        List<Integer> present = rt.deviceIds();
        if (present.isEmpty()) {
            rt.device(); // the runtime's own "sees no device" error
        }
        int layers = pkg.layers().size();
        if (!o.devices().isEmpty()) {
            if (o.deviceId() >= 0) {
                throw new IllegalArgumentException("axcl.devices = " + o.devices() + " and axcl.device = " + o.deviceId()
                        + ": expected one of them");
            }
            String key = "axcl.devices = " + o.devices();
            check(key, o.devices(), layers);
            for (int id : o.devices()) {
                if (!present.contains(id)) {
                    throw new IllegalArgumentException(key + ": device " + id + " is not present; the AXCL runtime sees"
                            + " devices " + present + " (AXCL device ids, i.e. PCI bus numbers)");
                }
            }
            return List.copyOf(o.devices());
        }
        if (o.deviceId() >= 0) {
            if (!present.contains(o.deviceId())) {
                throw new IllegalArgumentException("axcl.device = " + o.deviceId() + ": device " + o.deviceId()
                        + " is not present; the AXCL runtime sees devices " + present);
            }
            return List.of(o.deviceId());
        }
        if (!pkg.devices().isEmpty()) {
            String key = pkg.dir().resolve(AxLlmPackage.CONFIG) + ": key devices = " + pkg.devices();
            check(key, pkg.devices(), layers);
            List<Integer> ids = new ArrayList<>(pkg.devices().size());
            for (int index : pkg.devices()) {
                if (index < 0 || index >= present.size()) {
                    throw new IllegalArgumentException(key + ": index " + index + " is not present; the AXCL runtime sees "
                            + present.size() + " device(s) " + present + " (the values are indices into that list, as"
                            + " ax-llm's)");
                }
                ids.add(present.get(index));
            }
            return List.copyOf(ids);
        }
        return List.of(present.getFirst());
    }

    /**
     * Refuses a list that names a card twice or has more cards than the package has layers.
     *
     * @param key names the setting and its value in the message
     */
    static void check(String key, List<Integer> devices, int layers) {
        Set<Integer> seen = new HashSet<>();
        for (int d : devices) {
            if (!seen.add(d)) {
                throw new IllegalArgumentException(key + ": " + d + " is named twice (expected distinct devices)");
            }
        }
        if (devices.size() > layers) {
            throw new IllegalArgumentException(key + ": " + devices.size() + " devices for " + layers
                    + " layers (axmodel_num): expected at most one device per layer");
        }
    }

    /**
     * The layer blocks {@code [first, end)} of {@code layers} layers over {@code devices} cards (see the
     * class comment), in card order.
     *
     * @throws IllegalArgumentException if there are no cards or more cards than layers
     */
    static int[][] blocks(int layers, List<Integer> devices) {
        int n = devices.size();
        if (n < 1 || n > layers) {
            throw new IllegalArgumentException(n + " devices " + devices + " for " + layers
                    + " layers: expected 1 to " + layers);
        }
        int[][] b = new int[n][2];
        int at = 0;
        for (int i = 0; i < n; i++) {
            int size = layers / n + (i < layers % n ? 1 : 0);
            b[i][0] = at;
            b[i][1] = at + size;
            at += size;
        }
        return b;
    }

    /**
     * Refuses a block whose models need more CMM than its card has free, before any of them is loaded:
     * the sum of {@code axclrtEngineGetUsage} over the block's layer files, the post model on the last
     * card and the vision encoder on the first, against the card's free CMM
     * ({@code axclrtGetDeviceProperties}). The runner's own buffers (KV caches, hidden state, logits) come
     * on top and are checked by the runtime when they are allocated. Runs on the card's thread.
     *
     * @throws NpuException naming the package, the layers, both sizes and the device
     */
    static void checkFits(AxDevice dev, AxLlmPackage pkg, int first, int end, boolean withPost, boolean withVision) {
        List<Path> files = new ArrayList<>(pkg.layers().subList(first, end));
        if (withPost) {
            files.add(pkg.post());
        }
        if (withVision && pkg.vision() != null) {
            files.add(pkg.vision().encoder());
        }
        long need = 0;
        for (Path f : files) {
            need += dev.usageOf(f).cmmBytes();
        }
        long free = dev.properties().freeCmmKiB() * 1024;
        if (need > free) {
            boolean whole = first == 0 && end == pkg.layers().size();
            throw new NpuException(pkg.dir() + ": its " + files.size() + " models" + (whole ? "" : " (layers " + first
                    + ".." + (end - 1) + (withPost ? " and the post model" : "") + ")") + " need " + mib(need)
                    + " MiB of CMM (axclrtEngineGetUsage), device " + dev.id() + " has " + mib(free) + " MiB free:"
                    + " unload a model, choose another device (axcl.device) or split the layers over more"
                    + " (axcl.devices)");
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }
}
