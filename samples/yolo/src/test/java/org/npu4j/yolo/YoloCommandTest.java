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
