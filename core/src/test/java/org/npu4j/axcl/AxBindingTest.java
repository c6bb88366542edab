package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;

/** IO bindings: the hot path, the convenience API, bad inputs, batches, shape groups, reuse, metrics. */
class AxBindingTest {
    static AxclRuntime axcl;
    static AxDevice device;

    @BeforeAll
    static void open() {
        axcl = AxclRuntime.acquire(Emu.options());
        device = axcl.device();
    }

    @AfterAll
    static void close() {
        axcl.close();
    }

    @Test
    void runCopiesInExecutesAndCopiesOut() {
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            MemorySegment in = b.input(0);
            MemorySegment out = b.output("output");
            assertEquals(1024, in.byteSize());
            assertEquals(1024, out.byteSize());
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 256; i++) {
                    in.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f + round);
                }
                b.run();
                for (int i = 0; i < 256; i++) {
                    assertEquals(i * 0.5f + round, out.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                }
            }
            // the device buffers are opaque handles: device addresses, never host memory
            MemorySegment dev = b.inputDevice(0);
            assertEquals(0, dev.byteSize());
            assertTrue(Emu.isDevicePointer(dev));
            assertTrue(Emu.isDevicePointer(b.outputDevice(0)));
            assertTrue(!Emu.isDevicePointer(in));
            assertThrows(IndexOutOfBoundsException.class, () -> dev.get(ValueLayout.JAVA_BYTE, 0));
            // the engine holds the buffers the binding set
            assertEquals(dev.address(), b.engineInputBuffer(0).address());
            assertEquals(b.outputDevice(0).address(), b.engineOutputBuffer(0).address());
            AxclException bad = assertThrows(AxclException.class, () -> b.engineInputBuffer(3));
            assertEquals("runtime/ENGINE/INVALID_INDEX (0x80300781)", AxclException.describe(bad.code()));
        }
    }

    @Test
    void runWithAMapTakesSegmentsBytesAndFloats() {
        try (AxModel m = device.load(Emu.model("affine-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            Map<String, MemorySegment> out = b.run(Map.of(
                    "x", new float[] {0, 1, 2, 3, -1, -2, 0.5f, 100},
                    "y", new byte[] {0, 1, 2, 3, 100, 127, (byte) 200, (byte) 255}));
            assertEquals(List.of("x_out", "y_out"), List.copyOf(out.keySet()));
            float[] x = out.get("x_out").toArray(ValueLayout.JAVA_FLOAT);
            assertArrayEquals(new float[] {1, 3, 5, 7, -1, -3, 2, 201}, x);
            byte[] y = out.get("y_out").toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(new byte[] {1, 3, 5, 7, (byte) 201, (byte) 255, (byte) 255, (byte) 255}, y, "uint8 saturates");
            assertTrue(out.get("x_out").isReadOnly());

            try (Arena a = Arena.ofConfined()) {
                MemorySegment xs = a.allocate(32);
                xs.setAtIndex(ValueLayout.JAVA_FLOAT, 7, 9);
                Map<String, MemorySegment> o2 = b.run(Map.of("x", xs, "y", MemorySegment.ofArray(new byte[8])));
                assertEquals(19f, o2.get("x_out").getAtIndex(ValueLayout.JAVA_FLOAT, 7));
                assertEquals(1, o2.get("y_out").get(ValueLayout.JAVA_BYTE, 0));
            }
        }
    }

    @Test
    void badInputsAreRefusedBeforeAnyCopy() {
        try (AxModel m = device.load(Emu.model("affine-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> b.run(Map.of("x", new float[7], "y", new byte[8])));
            assertTrue(size.getMessage().contains("wrong buffer size") && size.getMessage().contains("expected 32"),
                    size.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.run(Map.of("x", new float[8], "y", new byte[9])));
            assertThrows(IllegalArgumentException.class, () -> b.run(Map.of("x", new byte[31], "y", new byte[8])));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> b.run(Map.of("x", new float[8])));
            assertTrue(missing.getMessage().contains("[y]"), missing.getMessage());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> b.run(Map.of("x", new float[8], "y", new byte[8], "z", new byte[8])));
            assertTrue(unknown.getMessage().contains("'z'"), unknown.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.run(Map.of("x", new float[8], "y", new float[2])),
                    "floats into a uint8 tensor");
            assertThrows(IllegalArgumentException.class, () -> b.run(Map.of("x", "text", "y", new byte[8])));
            assertThrows(IllegalArgumentException.class, () -> b.input("nope"));
            assertThrows(IndexOutOfBoundsException.class, () -> b.output(2));
            assertEquals(0, m.latency().snapshot().count(Stage.EXECUTE), "nothing ran");
        }
    }

    @Test
    void aBufferOfTheWrongSizeIsTheEnginesError() throws Throwable {
        // Below the API: as the real 3.10 runtime, binding stores pointer and size (refusing only NULL,
        // size 0 and a bad index); a too small buffer is the engine's error at execute.
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind();
             Arena a = Arena.ofConfined()) {
            MemorySegment io = a.allocate(ValueLayout.ADDRESS);
            assertEquals(0, org.npu4j.axcl.ffi.Axcl.axclrtEngineCreateIO(m.ioInfo(), io));
            MemorySegment ioHandle = io.get(ValueLayout.ADDRESS, 0);
            try {
                int rc = org.npu4j.axcl.ffi.Axcl.axclrtEngineSetInputBufferByIndex(ioHandle, 0, b.inputDevice(0), 512);
                assertEquals(0, rc);
                rc = org.npu4j.axcl.ffi.Axcl.axclrtEngineSetOutputBufferByIndex(ioHandle, 0, b.outputDevice(0), 1024);
                assertEquals(0, rc);
                rc = org.npu4j.axcl.ffi.Axcl.axclrtEngineExecute(m.id(), s.id(), 0, ioHandle);
                assertEquals("runtime/ENGINE/ILLEGAL_PARAM (0x80300703)", AxclException.describe(rc));
                rc = org.npu4j.axcl.ffi.Axcl.axclrtEngineSetInputBufferByIndex(ioHandle, 0, b.inputDevice(0), 0);
                assertEquals("runtime/ENGINE/ILLEGAL_PARAM (0x80300703)", AxclException.describe(rc));
                rc = org.npu4j.axcl.ffi.Axcl.axclrtEngineSetInputBufferByIndex(ioHandle, 5, b.inputDevice(0), 1024);
                assertEquals("runtime/ENGINE/INVALID_INDEX (0x80300781)", AxclException.describe(rc));
            } finally {
                assertEquals(0, org.npu4j.axcl.ffi.Axcl.axclrtEngineDestroyIO(ioHandle));
            }
        }
    }

    @Test
    void dynamicBatchCopiesAndComputesBatchItems() {
        try (AxModel m = device.load(Emu.model("affine-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind(0, 4)) {
            assertEquals(4, b.batchCapacity());
            assertEquals(1, b.batchSize());
            assertEquals(4 * 32, b.input("x").byteSize());
            b.setBatchSize(3);
            for (int i = 0; i < 24; i++) {
                b.input("x").setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            }
            b.input("x").setAtIndex(ValueLayout.JAVA_FLOAT, 24, 1000); // item 4: not part of the call
            b.run();
            for (int i = 0; i < 24; i++) {
                assertEquals(2f * i + 1, b.output("x_out").getAtIndex(ValueLayout.JAVA_FLOAT, i));
            }
            assertEquals(0f, b.output("x_out").getAtIndex(ValueLayout.JAVA_FLOAT, 24), "item 4 was not computed");
            assertThrows(IllegalArgumentException.class, () -> b.run(Map.of("x", new float[8], "y", new byte[8])),
                    "at batch 3 an input is three items");
            b.run(Map.of("x", new float[24], "y", new byte[24]));
            assertThrows(IllegalArgumentException.class, () -> b.setBatchSize(5));
            assertThrows(IllegalArgumentException.class, () -> b.setBatchSize(0));
        }
        try (AxModel m = device.load(Emu.model("mobilenetv2.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind(0, 2)) {
            // mobilenetv2 has max_batch 1: the engine refuses more
            AxclException e = assertThrows(AxclException.class, () -> b.setBatchSize(2));
            assertEquals("runtime/ENGINE/ILLEGAL_PARAM (0x80300703)", AxclException.describe(e.code()));
            assertEquals(1, b.batchSize());
        }
    }

    @Test
    void eachShapeGroupHasItsOwnSizes() {
        try (AxModel m = device.load(Emu.model("qwen3-0.6b-layer.model"));
             AxSession s = m.newSession();
             AxBinding decode = s.bind(0);
             AxBinding prefill = s.bind(1)) {
            assertEquals(2048, decode.input(0).byteSize());
            assertEquals(128 * 2048, prefill.input(0).byteSize());
            assertEquals(1, prefill.shapeGroup().index());
            decode.input(0).fill((byte) 1);
            prefill.input(0).fill((byte) 1);
            decode.run();
            prefill.run();
            byte[] first = decode.output(0).toArray(ValueLayout.JAVA_BYTE);
            byte[] prefillOut = prefill.output(0).toArray(ValueLayout.JAVA_BYTE);
            assertEquals(128 * 2048, prefillOut.length);
            decode.run();
            assertArrayEquals(first, decode.output(0).toArray(ValueLayout.JAVA_BYTE), "a pure function of the input");
            decode.input(0).set(ValueLayout.JAVA_BYTE, 0, (byte) 2);
            decode.run();
            assertNotEquals(-1, MemorySegment.ofArray(first).mismatch(decode.output(0)), "and of all of it");
            assertThrows(IndexOutOfBoundsException.class, () -> s.bind(2));
            assertThrows(IllegalArgumentException.class, () -> s.bind(0, 0));
        }
    }

    @Test
    void reusesItsBuffersForTenThousandCallsWithoutGrowth() {
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            MemorySegment in = b.input(0);
            MemorySegment out = b.output(0);
            b.run();
            long devAllocs = Emu.live("device_allocations");
            long hostAllocs = Emu.live("host_allocations");
            long ios = Emu.live("ios");
            long freeCmm = axcl.deviceProperties(device.id()).freeCmmKiB();
            m.latency().reset();
            for (int i = 0; i < 10_000; i++) {
                in.setAtIndex(ValueLayout.JAVA_INT, 0, i);
                b.run();
                if (out.getAtIndex(ValueLayout.JAVA_INT, 0) != i) {
                    throw new AssertionError("call " + i + " returned " + out.getAtIndex(ValueLayout.JAVA_INT, 0));
                }
            }
            assertEquals(devAllocs, Emu.live("device_allocations"));
            assertEquals(hostAllocs, Emu.live("host_allocations"));
            assertEquals(ios, Emu.live("ios"));
            assertEquals(freeCmm, axcl.deviceProperties(device.id()).freeCmmKiB());
            // the same segments, call after call
            assertTrue(in == b.input(0) && out == b.output(0));
            LatencySnapshot snap = m.latency().snapshot();
            assertEquals(10_000, snap.count(Stage.HOST_TO_DEVICE));
            assertEquals(10_000, snap.count(Stage.EXECUTE));
            assertEquals(10_000, snap.count(Stage.DEVICE_TO_HOST));
            assertEquals(0, snap.count(Stage.PREPROCESS));
        }
    }

    @Test
    void theHotPathAllocatesNothing() {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (AxModel m = device.load(Emu.model("identity-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            // Steady state: until the JIT has compiled run() (escape analysis removes the FFM
            // argument objects of the interpreter), calls allocate; so measure rounds of 10,000
            // calls until one is clean, for at most 30 rounds. An object per call in compiled code
            // (>= 16 bytes x 10,000) fails every round.
            long tid = Thread.currentThread().threadId();
            List<Long> rounds = new java.util.ArrayList<>();
            for (int round = 0; round < 30; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 10_000; i++) {
                    b.run();
                }
                long allocated = threads.getThreadAllocatedBytes(tid) - before;
                rounds.add(allocated);
                if (allocated < 10_000) {
                    return;
                }
            }
            throw new AssertionError("run() allocated in every round of 10,000 calls (bytes per round): " + rounds);
        }
    }

    @Test
    void eachCallIsAJfrEventWhenRecording() throws Exception {
        Path file = java.nio.file.Files.createTempFile("npu4j-axcl", ".jfr");
        try (AxModel m = device.load(Emu.model("affine-small.model"));
             AxSession s = m.newSession();
             AxBinding b = s.bind()) {
            b.run(); // not recorded: no recording yet
            try (Recording r = new Recording()) {
                r.enable("org.npu4j.EngineCall").withThreshold(java.time.Duration.ZERO);
                r.start();
                for (int i = 0; i < 5; i++) {
                    b.run();
                }
                r.stop();
                r.dump(file);
            }
            b.run(); // not recorded: stopped
            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("org.npu4j.EngineCall")).toList();
            assertEquals(5, events.size());
            for (RecordedEvent e : events) {
                assertEquals("affine-small.model", e.getString("model"));
                assertEquals(40, e.getLong("bytesIn"));
                assertEquals(40, e.getLong("bytesOut"));
                assertTrue(e.getDuration("execute").toNanos() >= 0);
                assertTrue(e.getDuration().toNanos() >= e.getDuration("execute").toNanos());
            }
            assertNotEquals(0, m.latency().snapshot().count(Stage.EXECUTE));
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }
}
