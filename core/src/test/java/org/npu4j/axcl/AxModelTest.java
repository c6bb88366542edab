package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.npu4j.NpuException;

/** Every engine query of a loaded model, loading from file and memory, and bad models. */
class AxModelTest {
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
    void describesAnImageClassifier() {
        try (AxModel m = device.load(Emu.model("mobilenetv2.model"))) {
            assertEquals("mobilenetv2.model", m.name());
            assertEquals("npu4j emulator descriptor v1", m.compilerVersion());
            assertEquals(3, m.npuCores());
            assertEquals(new AxModel.Usage(1 << 20, 8 << 20), m.usage());
            assertEquals(1, m.shapeGroups().size());
            assertEquals(List.of(new TensorInfo(0, "input", List.of(1, 224, 224, 3), DataType.UINT8, Layout.NHWC,
                    224 * 224 * 3)), m.inputs());
            assertEquals(List.of(new TensorInfo(0, "output", List.of(1, 1000), DataType.FP32, Layout.NONE, 4000)),
                    m.outputs());
            TensorInfo in = m.inputs().getFirst();
            assertEquals(224L * 224 * 3, in.elementCount());
            assertEquals(4, in.dims().length);
            assertEquals(0, m.inputIndex("input"));
            assertEquals(0, m.outputIndex("output"));
            assertEquals(-1, m.inputIndex("output"));
            assertEquals(-1, m.outputIndex("nope"));
            assertTrue(m.id() != 0);
        }
    }

    @Test
    void describesEveryShapeGroup() {
        try (AxModel m = device.load(Emu.model("qwen3-0.6b-layer.model"))) {
            assertEquals(2, m.shapeGroups().size());
            ShapeGroup decode = m.shapeGroup(0);
            ShapeGroup prefill = m.shapeGroup(1);
            assertEquals(0, decode.index());
            assertEquals(1, prefill.index());
            assertEquals(new TensorInfo(0, "hidden_in", List.of(1, 1, 1024), DataType.BF16, Layout.NONE, 2048),
                    decode.inputs().getFirst());
            assertEquals(new TensorInfo(0, "hidden_in", List.of(1, 128, 1024), DataType.BF16, Layout.NONE, 128 * 2048),
                    prefill.inputs().getFirst());
            assertEquals(List.of(1, 128, 1024), prefill.outputs().getFirst().shape());
            assertEquals(m.inputs(), decode.inputs());
            assertThrows(IndexOutOfBoundsException.class, () -> m.shapeGroup(2));
        }
    }

    @Test
    void describesSeveralTensorsOfDifferentTypes() {
        try (AxModel m = device.load(Emu.model("affine-small.model"))) {
            assertEquals(1, m.npuCores());
            assertEquals(List.of("x", "y"), m.inputs().stream().map(TensorInfo::name).toList());
            assertEquals(List.of(DataType.FP32, DataType.UINT8), m.inputs().stream().map(TensorInfo::dataType).toList());
            assertEquals(List.of(32L, 8L), m.inputs().stream().map(TensorInfo::byteSize).toList());
            assertEquals(List.of("x_out", "y_out"), m.outputs().stream().map(TensorInfo::name).toList());
            assertEquals(1, m.inputIndex("y"));
            assertEquals(1, m.outputIndex("y_out"));
            assertEquals(1, m.outputs().get(1).index());
        }
    }

    @Test
    void setsAndReadsTheNpuAffinity() {
        try (AxModel m = device.load(Emu.model("mobilenetv2.model"))) {
            int all = m.affinity();
            assertTrue(all != 0, "a model may run on some core");
            m.setAffinity(1);
            assertEquals(1, m.affinity());
            AxclException e = assertThrows(AxclException.class, () -> m.setAffinity(0));
            assertEquals("runtime/ENGINE/ILLEGAL_PARAM (0x80300703)", AxclException.describe(e.code()));
            assertEquals("axclrtEngineSetAffinity", e.function());
            m.setAffinity(all);
            assertEquals(all, m.affinity());
            try (AxSession s = m.newSession()) {
                // Per-context affinity: the AXCL documentation marks it "not supported yet"; the error surfaces.
                AxclException c = assertThrows(AxclException.class, s::affinity);
                assertSame(AxclException.SubModule.ENGINE, c.subModule());
                assertThrows(AxclException.class, () -> s.setAffinity(1));
            }
        }
    }

    @Test
    void loadsFromMemoryWithTheSameDescription() throws Exception {
        Path file = Emu.model("qwen3-0.6b-layer.model");
        byte[] bytes = Files.readAllBytes(file);
        long before = Emu.live("device_allocations");
        try (AxModel fromFile = device.load(file);
             AxModel fromBytes = device.load(bytes, "layer-in-memory");
             AxModel viaRead = device.loadIntoMemory(file)) {
            assertEquals(fromFile.shapeGroups(), fromBytes.shapeGroups());
            assertEquals(fromFile.shapeGroups(), viaRead.shapeGroups());
            assertEquals("layer-in-memory", fromBytes.name());
            assertEquals(fromFile.usage(), fromBytes.usage());
            assertTrue(fromFile.id() != fromBytes.id());
            assertEquals(before, Emu.live("device_allocations"), "the device copy of the model bytes is freed after the load");
            assertEquals(3, Emu.live("models"));
        }
        assertEquals(0, Emu.live("models"));
    }

    @Test
    void answersQueriesAboutModelsBeforeLoadingThem() throws Exception {
        Path file = Emu.model("mobilenetv2.model");
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(new AxModel.Usage(1 << 20, 8 << 20), device.usageOf(file));
        assertEquals(new AxModel.Usage(1 << 20, 8 << 20), device.usageOf(bytes));
        assertEquals(3, device.npuCoresOf(file));
        assertEquals(3, device.npuCoresOf(bytes));
        assertEquals(1, device.npuCoresOf(Emu.model("identity-small.model")));
        assertEquals(AxclRuntime.VNpu.DISABLE, device.vnpu());
        assertEquals(0, Emu.live("device_allocations"), "the device copies are freed");
        assertEquals(0, Emu.live("models"), "nothing was loaded");
        AxclException missing = assertThrows(AxclException.class, () -> device.usageOf(Path.of("/no/such.axmodel")));
        assertEquals("runtime/ENGINE/OPEN (0x8030070B)", AxclException.describe(missing.code()));
        AxclException garbage = assertThrows(AxclException.class, () -> device.npuCoresOf(new byte[] {1, 2, 3}));
        assertEquals("UNSUPPORT", garbage.errorName());
        assertEquals(0, Emu.live("device_allocations"));
    }

    @Test
    void setsTheRuntimesLogLevel() {
        axcl.setLogLevel(4);
        AxclException e = assertThrows(AxclException.class, () -> axcl.setLogLevel(9));
        assertEquals("runtime/SYSLOG/ILLEGAL_PARAM (0x80300803)", AxclException.describe(e.code()));
        axcl.setLogLevel(3);
    }

    @Test
    void refusesGarbageAndMissingModels() throws Exception {
        // Not a model the (emulated) engine can run at all: refused as unsupported.
        byte[] garbage = "\u007fELF not a model at all".getBytes(StandardCharsets.US_ASCII);
        AxclException mem = assertThrows(AxclException.class, () -> device.load(garbage, "garbage"));
        assertEquals("axclrtEngineLoadFromMem", mem.function());
        assertEquals("runtime/ENGINE/UNSUPPORT (0x80300704)", AxclException.describe(mem.code()));
        assertTrue(mem.getMessage().contains("garbage"), mem.getMessage());
        // A model of the right kind whose content is broken: cannot be decoded.
        byte[] broken = "npu4j-emulator-model axcl 1\ninput x fp32 none 1xQ\n".getBytes(StandardCharsets.US_ASCII);
        AxclException dec = assertThrows(AxclException.class, () -> device.load(broken, "broken"));
        assertEquals("runtime/ENGINE/DECODE (0x80300709)", AxclException.describe(dec.code()));

        Path file = Files.createTempFile("garbage", ".axmodel");
        try {
            Files.write(file, garbage);
            AxclException f = assertThrows(AxclException.class, () -> device.load(file));
            assertEquals("axclrtEngineLoadFromFile", f.function());
            assertSame(AxclException.SubModule.ENGINE, f.subModule());
            assertEquals("UNSUPPORT", f.errorName());
        } finally {
            Files.delete(file);
        }
        NpuException missing = assertThrows(NpuException.class, () -> device.load(Path.of("/no/such/model.axmodel")));
        assertTrue(missing.getMessage().contains("/no/such/model.axmodel"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> device.load(new byte[0], "empty"));
        assertEquals(0, Emu.live("models"));
        assertEquals(0, Emu.live("io_infos"));
        assertEquals(0, Emu.live("device_allocations"));
    }
}
