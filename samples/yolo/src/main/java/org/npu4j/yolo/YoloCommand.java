package org.npu4j.yolo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.npu4j.Emulator;
import org.npu4j.NpuException;
import org.npu4j.metrics.LatencySnapshot;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code npu4j-yolo}: runs a YOLOv8 / YOLO11 model over images, an {@code .axmodel} on the AX650N card
 * through AXCL or an {@code .rknn} model on the Rockchip NPU through RKNN (picked by the file; or on the
 * emulated runtimes: {@code --emulator=axcl|rknn|NAME}), prints one line per detection, writes annotated
 * PNGs and optionally JSON, and with {@code --bench} the latency percentiles of every stage.
 */
@Command(name = "npu4j-yolo", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = YoloCommand.Version.class,
        description = {
            "Detects objects with a YOLOv8/YOLO11 model on an Axera AX650N card (AXCL, .axmodel) or a Rockchip NPU"
                    + " (RKNN, .rknn), or on npu4j's emulated runtimes.",
            "Prints one line per detection: file, class, score, x1 y1 x2 y2 (source pixels)."},
        footer = {"", "Example: npu4j-yolo --emulator            (emulated AXCL: bundled synthetic detector and sample images)",
            "         npu4j-yolo --emulator=rknn       (emulated RKNN: the model zoo's 9 int8 heads, same images)",
            "         npu4j-yolo --model yolo11s.axmodel --out annotated/ photos/",
            "         npu4j-yolo --model yolov8s.rknn --out annotated/ photos/"})
public final class YoloCommand implements Callable<Integer> {
    /** Sample images shipped in this jar (generated at build time by {@link SampleImages}). */
    static final String SAMPLE_DIR = "org/npu4j/yolo/images/";
    /** The emulators' synthetic detector used by {@code --emulator} unless {@code --model} is given (both have one). */
    static final String DEFAULT_EMULATOR_MODEL = SampleImages.SPLIT_MODEL;
    /** {@code --emulator} without a value: the NPU of {@code --model}, else AXCL. */
    static final String BY_FILE = "";

    @Parameters(paramLabel = "IMAGE", arity = "0..*",
            description = "Image files or directories (PNG, JPEG, BMP, GIF). With --emulator and none given: the bundled sample images.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "The .axmodel (AXCL) or .rknn (RKNN) file (with --emulator: an emulator model descriptor;"
                    + " default: the synthetic detector).")
    Path model;

    @Option(names = "--emulator", arity = "0..1", paramLabel = "NPU|NAME", preprocessor = AttachedValueOnly.class,
            description = "Use npu4j's emulated runtimes (from npu4j-native) instead of the vendor's: --emulator=axcl"
                    + " (the default, or the NPU of --model), --emulator=rknn, or a bundled model [axcl:|rknn:]NAME;"
                    + " --emulator=list shows them.")
    String emulator;

    @Option(names = "--emulator-model", paramLabel = "NAME",
            description = "With --emulator and no --model: which bundled emulator model (default: ${DEFAULT-VALUE}).")
    String emulatorModel = DEFAULT_EMULATOR_MODEL;

    @Option(names = "--library", paramLabel = "FILE",
            description = "libaxcl_rt.so or librknnrt.so to load (default: -Dnpu4j.axcl.library / -Dnpu4j.rknn.library,"
                    + " $NPU4J_AXCL_LIBRARY / $NPU4J_RKNN_LIBRARY, then the OS library path).")
    Path library;

    @Option(names = "--axcl-config", paramLabel = "FILE", description = "AXCL JSON configuration passed to axclInit.")
    Path axclConfig;

    @Option(names = "--conf", paramLabel = "P", description = "Confidence threshold (default: ${DEFAULT-VALUE}).")
    float confidence = 0.25f;

    @Option(names = "--iou", paramLabel = "T", description = "NMS IoU threshold, per class (default: ${DEFAULT-VALUE}).")
    float iou = 0.45f;

    @Option(names = "--max-det", paramLabel = "N", description = "At most N detections per image (default: ${DEFAULT-VALUE}).")
    int maxDetections = 300;

    @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line (default: the 80 COCO classes).")
    Path labelsFile;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Write the annotated PNGs here (default: next to each input; for the bundled samples: ./npu4j-yolo-out).")
    Path outDir;

    @Option(names = "--no-annotate", description = "Do not write annotated PNGs.")
    boolean noAnnotate;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the detections as JSON ('-' for standard output).")
    String json;

    @Option(names = "--bench", paramLabel = "N",
            description = "Run each image N times more and print latency percentiles of every stage, then the frames/s one"
                    + " frame at a time and pipelined (--depth), and the ratio to the device-bound rate (copies + execute).")
    int bench;

    @Option(names = "--depth", paramLabel = "N",
            description = "With --bench: frames in flight in the pipelined pass (default: ${DEFAULT-VALUE}).")
    int depth = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One image to process: where it came from, its pixels, where its annotation goes. */
    record Input(String name, BufferedImage image, Path annotated) {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command (for tests and {@link #main}); returns the exit code. */
    public static int run(String... args) {
        return new CommandLine(new YoloCommand()).execute(args);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (confidence < 0 || confidence > 1 || iou < 0 || iou > 1 || maxDetections < 1 || bench < 0 || depth < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--conf and --iou must be in [0, 1], --max-det at least 1, --bench at least 0, --depth at least 1");
        }
        boolean emulated = emulator != null;
        if (emulated && emulator.equals("list")) {
            for (String family : List.of("axcl", "rknn")) {
                for (String m : Emulator.models(family)) {
                    out.println(family + ":" + m.replaceFirst("\\.model$", ""));
                }
            }
            out.flush();
            return 0;
        }
        List<String> labels = labelsFile == null ? Labels.COCO : Labels.read(labelsFile);
        YoloDetector.Options options = emulated ? YoloDetector.Options.emulated() : YoloDetector.Options.defaults();
        if (library != null) {
            options = options.withLibrary(library);
        }
        if (axclConfig != null) {
            options = options.withAxclConfig(axclConfig);
        }
        Path modelFile = model;
        if (modelFile == null) {
            if (!emulated) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--model is required (or --emulator)");
            }
            modelFile = emulatorModel(emulator);
        } else if (emulated && (emulator.equals("axcl") || emulator.equals("rknn"))
                && Npu.of(modelFile) != Npu.valueOf(emulator.toUpperCase(Locale.ROOT))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--emulator=" + emulator + " but --model "
                    + modelFile + " is for " + Npu.of(modelFile) + ": expected a " + emulator + " model (or plain --emulator)");
        }
        List<Input> images = inputs();
        if (images.isEmpty()) {
            err.println("no images");
            return 2;
        }

        List<Map<String, Object>> report = new ArrayList<>();
        try (YoloDetector detector = YoloDetector.open(options, modelFile, labels)) {
            String tag = detector.emulator() ? " (emulator)" : "";
            out.printf(Locale.ROOT, "model %s: input %dx%d %s, %s, on %s%s%n", detector.modelName(), detector.inputWidth(),
                    detector.inputHeight(), detector.inputLayout(), detector.decoder(), detector.device(), tag);
            for (Input in : images) {
                YoloDetector.Result r = detector.detect(in.image(), confidence, iou, maxDetections);
                for (Detection d : r.detections()) {
                    out.printf(Locale.ROOT, "%s: %s %.3f %.1f %.1f %.1f %.1f%s%n", in.name(), d.label(), d.score(), d.x1(),
                            d.y1(), d.x2(), d.y2(), tag);
                }
                if (r.detections().isEmpty()) {
                    out.printf(Locale.ROOT, "%s: no detections%s%n", in.name(), tag);
                }
                if (!noAnnotate) {
                    Annotator.writePng(Annotator.annotate(in.image(), r.detections()), in.annotated());
                    out.printf(Locale.ROOT, "%s: annotated image %s%s%n", in.name(), in.annotated(), tag);
                }
                report.add(jsonEntry(in, r, detector.emulator()));
                for (int i = 0; i < bench; i++) {
                    detector.detect(in.image(), confidence, iou, maxDetections);
                }
            }
            if (bench > 0) {
                LatencySnapshot s = detector.latency().snapshot();
                out.printf(Locale.ROOT, "latency over %d calls per image, %d image(s)%s%n", bench + 1, images.size(), tag);
                s.percentileTable().lines().forEach(line -> out.println(line + tag));
                List<BufferedImage> frames = images.stream().map(Input::image).toList();
                PipelineBench b = PipelineBench.run(detector, frames, Math.max(bench * images.size(), 50), depth,
                        confidence, iou, maxDetections);
                b.lines(tag).forEach(out::println);
            }
        }
        if (json != null) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            if (json.equals("-")) {
                out.println(mapper.writeValueAsString(report));
            } else {
                mapper.writeValue(Path.of(json).toFile(), report);
            }
        }
        out.flush();
        return 0;
    }

    /**
     * The bundled emulator model {@code --emulator=WHAT} names: {@code axcl}/{@code rknn} (or nothing)
     * with {@code --emulator-model}, or {@code [axcl:|rknn:]NAME}; a bare NAME must be in one family only.
     */
    private Path emulatorModel(String what) {
        String family;
        String name;
        int colon = what.indexOf(':');
        if (what.equals(BY_FILE) || what.equals("axcl") || what.equals("rknn")) {
            family = what.equals(BY_FILE) ? "axcl" : what;
            name = emulatorModel;
        } else if (colon > 0) {
            family = what.substring(0, colon);
            name = what.substring(colon + 1);
        } else {
            family = null;
            name = what;
        }
        String file = name.endsWith(".model") ? name : name + ".model";
        List<String> families = new ArrayList<>();
        for (String f : List.of("axcl", "rknn")) {
            if ((family == null || family.equals(f)) && Emulator.models(f).contains(file)) {
                families.add(f);
            }
        }
        if (families.size() != 1) {
            List<String> all = new ArrayList<>();
            for (String f : List.of("axcl", "rknn")) {
                Emulator.models(f).forEach(m -> all.add(f + ":" + m.replaceFirst("\\.model$", "")));
            }
            throw new CommandLine.ParameterException(spec.commandLine(), "--emulator=" + what + (families.isEmpty()
                    ? ": no such emulator model" : ": in both emulators, say axcl:" + name + " or rknn:" + name)
                    + "; expected axcl, rknn or one of " + all);
        }
        return Emulator.model(families.getFirst(), file);
    }

    /**
     * Lets {@code --emulator} take a value only when attached ({@code --emulator=rknn}), so that
     * {@code --emulator photo.png} reads the image (picocli's documented preprocessor pattern).
     */
    static final class AttachedValueOnly implements CommandLine.IParameterPreprocessor {
        @Override
        public boolean preprocess(java.util.Stack<String> args, CommandLine.Model.CommandSpec commandSpec,
                CommandLine.Model.ArgSpec argSpec, Map<String, Object> info) {
            if (" ".equals(info.get("separator"))) { // not attached: no value
                ((CommandLine.Model.OptionSpec) argSpec).setValue(BY_FILE);
                return true;
            }
            return false;
        }
    }

    private Map<String, Object> jsonEntry(Input in, YoloDetector.Result r, boolean emulated) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", in.name());
        m.put("width", in.image().getWidth());
        m.put("height", in.image().getHeight());
        m.put("emulator", emulated);
        List<Map<String, Object>> dets = new ArrayList<>();
        for (Detection d : r.detections()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("class", d.label());
            dm.put("classId", d.classId());
            dm.put("score", d.score());
            dm.put("box", List.of(d.x1(), d.y1(), d.x2(), d.y2()));
            dets.add(dm);
        }
        m.put("detections", dets);
        return m;
    }

    private List<Input> inputs() throws IOException {
        List<Input> list = new ArrayList<>();
        if (inputs.isEmpty()) {
            if (emulator == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "no IMAGE given");
            }
            Path dir = outDir != null ? outDir : Path.of("npu4j-yolo-out");
            for (String name : SampleImages.names()) {
                try (InputStream s = YoloCommand.class.getClassLoader().getResourceAsStream(SAMPLE_DIR + name)) {
                    if (s == null) {
                        throw new NpuException("sample image " + SAMPLE_DIR + name + " is not in the jar");
                    }
                    list.add(new Input(name, read(ImageIO.read(s), name), dir.resolve(annotatedName(name))));
                }
            }
            return list;
        }
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> files = Files.list(p)) {
                    for (Path f : files.filter(YoloCommand::isImage).sorted().toList()) {
                        list.add(input(f));
                    }
                }
            } else {
                list.add(input(p));
            }
        }
        return list;
    }

    private Input input(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + file);
        }
        Path dir = outDir != null ? outDir : file.toAbsolutePath().getParent();
        return new Input(file.toString(), read(ImageIO.read(file.toFile()), file.toString()),
                dir.resolve(annotatedName(file.getFileName().toString())));
    }

    private static BufferedImage read(BufferedImage image, String name) {
        if (image == null) {
            throw new UncheckedIOException(new IOException(name + ": not an image ImageIO can read"));
        }
        return image;
    }

    static String annotatedName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return (dot > 0 ? fileName.substring(0, dot) : fileName) + ".detections.png";
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && !n.endsWith(".detections.png")
                && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp") || n.endsWith(".gif"));
    }

    /** Version line: the sample's and the Java runtime's. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Package p = YoloCommand.class.getPackage();
            String v = p == null || p.getImplementationVersion() == null ? "dev" : p.getImplementationVersion();
            return new String[] {"npu4j-yolo " + v + " (Java " + Runtime.version() + ")"};
        }
    }
}
