package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI end to end on the emulator. */
class YoloCommandTest {
    record Run(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new YoloCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void detectsInFilesAndDirectoriesWritesPngsAndJson(@TempDir Path dir) throws Exception {
        Path images = Files.createDirectory(dir.resolve("images"));
        SampleImages.main(new String[] {images.toString()});
        Path out = dir.resolve("out");
        Path json = dir.resolve("detections.json");
        Run r = run("--emulator", "--out", out.toString(), "--json", json.toString(), images.toString());
        assertEquals(0, r.exit(), r.err());
        // one line per detection, and every result line says it ran on the emulator
        int expected = SampleImages.SAMPLES.stream().mapToInt(s -> s.rects().size()).sum();
        List<String> detections = r.lines().stream().filter(l -> l.matches(".*: [a-z ]+ 0\\.\\d{3} .*")).toList();
        assertEquals(expected, detections.size(), r.out());
        for (String l : r.lines()) {
            assertTrue(l.endsWith("(emulator)"), "result line without (emulator): " + l);
        }
        // scale 1 (640x480 into 640x640): the box is exact
        assertTrue(r.out().contains("street-640x480.png: person 0.900 60.0 140.0 140.0 400.0 (emulator)"), r.out());
        for (SampleImages.Sample s : SampleImages.SAMPLES) {
            Path png = out.resolve(YoloCommand.annotatedName(s.name()));
            BufferedImage img = ImageIO.read(png.toFile());
            assertEquals(s.width(), img.getWidth(), png.toString());
            assertEquals(s.height(), img.getHeight());
        }
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(SampleImages.SAMPLES.size(), root.size());
        JsonNode first = null;
        for (JsonNode n : root) {
            if (n.get("image").asText().endsWith("portrait-480x800.png")) {
                first = n;
            }
        }
        assertTrue(first != null, root.toString());
        assertEquals(480, first.get("width").asInt());
        assertEquals(800, first.get("height").asInt());
        assertTrue(first.get("emulator").asBoolean());
        assertEquals(3, first.get("detections").size());
        JsonNode det = first.get("detections").get(0);
        assertEquals(4, det.get("box").size());
        assertTrue(det.get("score").asDouble() > 0.85);
    }

    @Test
    void runsOnTheBundledSamplesAndBenchmarks(@TempDir Path dir) {
        Run r = run("--emulator", "--out", dir.toString(), "--bench", "3", "--emulator-model", SampleImages.DECODED_MODEL);
        assertEquals(0, r.exit(), r.err());
        String o = r.out();
        assertTrue(o.contains("DECODED head, 80 classes"), o);
        for (String stage : List.of("preprocess", "host_to_device", "execute", "device_to_host", "postprocess")) {
            assertTrue(o.lines().anyMatch(l -> l.startsWith(stage) && l.endsWith("(emulator)")), stage + " row in\n" + o);
        }
        // 4 calls per image, 5 images
        assertTrue(o.lines().anyMatch(l -> l.startsWith("execute") && l.split("\\s+")[1].equals("20")), o);
        assertTrue(Files.exists(dir.resolve("street-640x480.detections.png")));
    }

    @Test
    void runsOnTheEmulatedRknnRuntimeAndBenchmarksPipelined(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("rknn.json");
        Run r = run("--emulator=rknn", "--out", dir.toString(), "--json", json.toString(), "--bench", "2", "--depth", "3");
        assertEquals(0, r.exit(), r.err());
        String o = r.out();
        assertTrue(o.startsWith("model yolo11s-640.model: input 640x640 NHWC, DFL_SPLIT head, 80 classes, strides [8, 16, 32],"
                + " score sums, INT8 (zero point, scale), on RKNN 2.3.2 (npu4j emulator) (emulator)"), o);
        for (String l : r.lines()) {
            assertTrue(l.endsWith("(emulator)"), "result line without (emulator): " + l);
        }
        // scale 1 (640x480 into 640x640): within a pixel; the class probability 0.9 as INT8 (zp -128, scale 1/255): q = 101, 229/255 = 0.898
        assertTrue(o.contains("street-640x480.png: person 0.898 "), o);
        int expected = SampleImages.SAMPLES.stream().mapToInt(s -> s.rects().size()).sum();
        assertEquals(expected, r.lines().stream().filter(l -> l.matches(".*: [a-z ]+ 0\\.\\d{3} .*")).count(), o);
        for (String stage : List.of("preprocess", "execute", "postprocess")) {
            assertTrue(o.lines().anyMatch(l -> l.startsWith(stage) && l.endsWith("(emulator)")), stage + " row in\n" + o);
        }
        assertTrue(o.lines().anyMatch(l -> l.startsWith("throughput over 50 frames: one at a time ")
                && l.contains("pipelined (depth 3)")), o);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(SampleImages.SAMPLES.size(), root.size());
        assertTrue(root.get(0).get("emulator").asBoolean());
    }

    @Test
    void emulatorModelsByNameAndTheNpuOfTheFile(@TempDir Path dir) throws Exception {
        Run list = run("--emulator=list");
        assertEquals(0, list.exit(), list.err());
        assertTrue(list.lines().contains("rknn:yolov8s-640"), list.out());
        assertTrue(list.lines().contains("axcl:yolov8s-640-decoded"), list.out());
        Run v8 = run("--emulator=yolov8s-640", "--no-annotate");
        assertEquals(0, v8.exit(), v8.err());
        assertTrue(v8.out().startsWith("model yolov8s-640.model: "), v8.out());
        assertTrue(v8.out().contains("on RKNN 2.3.2"), v8.out());
        Run ambiguous = run("--emulator=yolo11s-640", "--no-annotate");
        assertEquals(2, ambiguous.exit());
        assertTrue(ambiguous.err().contains("in both emulators, say axcl:yolo11s-640 or rknn:yolo11s-640"), ambiguous.err());
        Run unknown = run("--emulator=nope", "--no-annotate");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("no such emulator model; expected axcl, rknn or one of [axcl:"), unknown.err());
        // the NPU follows the file: an RKNN descriptor with plain --emulator
        Path img = dir.resolve("small.png");
        ImageIO.write(SampleImages.render(SampleImages.SAMPLES.get(3)), "png", img.toFile());
        Run byFile = run("--emulator", "--model", org.npu4j.Emulator.model("rknn", "yolov8s-640.model").toString(),
                "--no-annotate", img.toString());
        assertEquals(0, byFile.exit(), byFile.err());
        assertTrue(byFile.out().contains("on RKNN 2.3.2"), byFile.out());
        assertTrue(byFile.out().contains("small.png: person 0.898"), byFile.out());
        Run mismatch = run("--emulator=axcl", "--model", org.npu4j.Emulator.model("rknn", "yolov8s-640.model").toString(),
                img.toString());
        assertEquals(2, mismatch.exit());
        assertTrue(mismatch.err().contains("is for RKNN: expected a axcl model"), mismatch.err());
    }

    @Test
    void anRknnModelThatIsNoDetectorFailsNamingWhatWasExpected() {
        Run r = run("--emulator=rknn:mobilenetv2-224", "--no-annotate");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("mobilenetv2-224.model: ") && r.err().contains("expected the RKNN model zoo's YOLOv8/YOLO11 heads"),
                r.err());
    }

    @Test
    void takesLabelsFromAFile(@TempDir Path dir) throws Exception {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 80; i++) {
            names.add("thing-" + i);
        }
        Path labels = Files.write(dir.resolve("labels.txt"), names);
        Path img = dir.resolve("small.png");
        ImageIO.write(SampleImages.render(SampleImages.SAMPLES.get(3)), "png", img.toFile());
        Run r = run("--emulator", "--labels", labels.toString(), "--no-annotate", img.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains(": thing-0 0.900"), r.out());
        assertTrue(r.out().contains(": thing-2 0.900"), r.out());
        assertTrue(!Files.exists(dir.resolve("small.detections.png")));
        // default: the annotated image goes next to the input
        Run again = run("--emulator", img.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(Files.exists(dir.resolve("small.detections.png")));
    }

    @Test
    void badArgumentsExitWithUsage(@TempDir Path dir) {
        assertEquals(2, run("--emulator", "--conf", "1.5").exit());
        assertEquals(2, run(dir.resolve("x.png").toString()).exit(), "no --model without --emulator");
        assertEquals(2, run("--emulator", dir.resolve("missing.png").toString()).exit());
        Run help = run("--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("--bench"), help.out());
    }
}
