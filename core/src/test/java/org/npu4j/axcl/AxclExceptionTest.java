package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.npu4j.NpuException;
import org.npu4j.axcl.ffi.Axcl;

/** Error decoding, and the enums that mirror header values, checked against the generated constants. */
class AxclExceptionTest {

    @Test
    void decodesTheCodeOfAMissingCard() {
        AxclException e = new AxclException("axclInit", 0x8030010B, "no card");
        assertEquals(0x8030010B, e.code());
        assertEquals("0x8030010B", e.hex());
        assertEquals("runtime", e.module());
        assertSame(AxclException.SubModule.DEVICE, e.subModule());
        assertEquals(0x0B, e.errorId());
        assertEquals("OPEN", e.errorName());
        assertEquals("axclInit failed: runtime/DEVICE/OPEN (0x8030010B): no card", e.getMessage());
        assertTrue(e.is(AxclException.SubModule.DEVICE, 0x0B));
        assertTrue(e instanceof NpuException);
    }

    @Test
    void decodesEveryNamedCodeOfTheHeaders() {
        // The generated constants are the header's literals; the probe checks them against the macros.
        assertEquals("runtime/DEVICE/OPEN (0x8030010B)", AxclException.describe(Axcl.AXCL_ERR_DEVICE_OPEN()));
        assertEquals("runtime/DEVICE/NO_CONNECT (0x80300181)", AxclException.describe(Axcl.AXCL_ERR_DEVICE_NO_CONNECT()));
        assertEquals("runtime/DEVICE/INVALID_ID (0x80300184)", AxclException.describe(Axcl.AXCL_ERR_DEVICE_INVALID_ID()));
        assertEquals("runtime/DEVICE/NO_ACTIVE_DEVICE (0x80300185)",
                AxclException.describe(Axcl.AXCL_ERR_DEVICE_NO_ACTIVE_DEVICE()));
        assertEquals("runtime/DEVICE/PORT_DESTROY (0x80300188)", AxclException.describe(Axcl.AXCL_ERR_DEVICE_PORT_DESTROY()));
        assertEquals("runtime/CONTEXT/NULL_POINTER (0x80300202)",
                AxclException.describe(Axcl.AXCL_ERR_CONTEXT_NULL_POINTER()));
        assertEquals("runtime/CONTEXT/BIND_THREAD (0x80300283)", AxclException.describe(Axcl.AXCL_ERR_CONTEXT_BIND_THREAD()));
        assertEquals("runtime/CONTEXT/NO_BIND_CONTEXT (0x80300284)",
                AxclException.describe(Axcl.AXCL_ERR_CONTEXT_NO_BIND_CONTEXT()));
        assertEquals("runtime/STREAM/TIMEOUT (0x80300305)", AxclException.describe(Axcl.AXCL_ERR_STREAM_TIMEOUT()));
        assertEquals("runtime/STREAM/SYNC_TIMEOUT (0x80300383)", AxclException.describe(Axcl.AXCL_ERR_STREAM_SYNC_TIMEOUT()));
        assertEquals("runtime/MEMORY/EXECUTE_FAIL (0x8030050C)", AxclException.describe(Axcl.AXCL_ERR_MEMORY_EXECUTE_FAIL()));
        assertEquals("runtime/MEMORY/NOT_DEVICE_MEMORY (0x80300581)",
                AxclException.describe(Axcl.AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY()));
        assertEquals("runtime/ENGINE/ILLEGAL_PARAM (0x80300703)", AxclException.describe(Axcl.AXCL_ERR_ENGINE_ILLEGAL_PARAM()));
        assertEquals("runtime/ENGINE/UNSUPPORT (0x80300704)",
                AxclException.describe(Axcl.AXCL_ERR_ENGINE_AXCL_UNSUPPORTED()));
        assertEquals("runtime/ENGINE/DECODE (0x80300709)", AxclException.describe(Axcl.AXCL_ERR_ENGINE_DECODE()));
        assertEquals("runtime/ENGINE/EXECUTE_FAIL (0x8030070C)", AxclException.describe(Axcl.AXCL_ERR_ENGINE_EXECUTE_FAIL()));
        assertEquals("runtime/ENGINE/INVALID_INDEX (0x80300781)", AxclException.describe(Axcl.AXCL_ERR_ENGINE_INVALID_INDEX()));
    }

    @Test
    void decodesGenericIdsInEverySubModule() {
        String[] subs = {"DEVICE", "CONTEXT", "STREAM", "TASK", "MEMORY", "CONFIG", "ENGINE", "SYSLOG", "SYSCTRL", "LATENCY",
            "P2P", "USRWORK"};
        String[] ids = {"FAIL", "NULL_POINTER", "ILLEGAL_PARAM", "UNSUPPORT", "TIMEOUT", "BUSY", "NO_MEMORY", "ENCODE",
            "DECODE", "UNEXPECT_RESPONSE", "OPEN", "EXECUTE_FAIL"};
        for (int sub = 1; sub <= 0x0C; sub++) {
            assertEquals(subs[sub - 1], AxclException.SubModule.of(sub).name());
            assertEquals(sub, AxclException.SubModule.of(sub).value());
            for (int id = 1; id <= 0x0C; id++) {
                int code = 0x80300000 | sub << 8 | id;
                assertEquals("runtime/" + subs[sub - 1] + "/" + ids[id - 1] + String.format(" (0x%08X)", code),
                        AxclException.describe(code));
            }
        }
        // Generic ids as the header enum gives them.
        assertEquals(Axcl.AXCL_ERR_NO_MEMORY(), new AxclException("f", 0x80300507, null).errorId());
        assertEquals("NO_MEMORY", new AxclException("f", 0x80300500 | Axcl.AXCL_ERR_NO_MEMORY(), null).errorName());
    }

    @Test
    void keepsTheModuleAndFallsBackToUnknown() {
        assertEquals("native/MEMORY/NO_MEMORY (0x81300507)", AxclException.describe(0x81300507));
        assertEquals("lite/ENGINE/TIMEOUT (0x82300705)", AxclException.describe(0x82300705));
        assertEquals("UNKNOWN/ENGINE/TIMEOUT (0x85300705)", AxclException.describe(0x85300705));
        assertEquals("runtime/UNKNOWN/NULL_POINTER (0x80301F02)", AxclException.describe(0x80301F02));
        assertEquals("runtime/ENGINE/UNKNOWN (0x80300790)", AxclException.describe(0x80300790));
        assertEquals("runtime/DEVICE/UNKNOWN (0x8030017E)", AxclException.describe(0x8030017E));
        // Not an AXCL code at all (no 0x30 id, or not negative).
        assertEquals("UNKNOWN (0xFFFFFFFF)", AxclException.describe(-1));
        assertEquals("UNKNOWN (0x00000007)", AxclException.describe(7));
        assertEquals("SUCCESS (0x00000000)", AxclException.describe(0));
        AxclException e = new AxclException("axclrtMalloc", -1, null);
        assertSame(AxclException.SubModule.UNKNOWN, e.subModule());
        assertEquals("UNKNOWN", e.module());
        assertEquals("UNKNOWN", e.errorName());
        assertEquals("axclrtMalloc failed: UNKNOWN (0xFFFFFFFF)", e.getMessage());
        assertSame(AxclException.SubModule.UNKNOWN, AxclException.SubModule.of(0x0D));
        assertSame(AxclException.SubModule.UNKNOWN, AxclException.SubModule.of(-1));
    }

    @Test
    void subModuleNumbersAreTheHeaders() {
        assertEquals(Axcl.AXCL_RUNTIME_DEVICE(), AxclException.SubModule.DEVICE.value());
        assertEquals(Axcl.AXCL_RUNTIME_CONTEXT(), AxclException.SubModule.CONTEXT.value());
        assertEquals(Axcl.AXCL_RUNTIME_STREAM(), AxclException.SubModule.STREAM.value());
        assertEquals(Axcl.AXCL_RUNTIME_TASK(), AxclException.SubModule.TASK.value());
        assertEquals(Axcl.AXCL_RUNTIME_MEMORY(), AxclException.SubModule.MEMORY.value());
        assertEquals(Axcl.AXCL_RUNTIME_CONFIG(), AxclException.SubModule.CONFIG.value());
        assertEquals(Axcl.AXCL_RUNTIME_ENGINE(), AxclException.SubModule.ENGINE.value());
        assertEquals(Axcl.AXCL_RUNTIME_SYSLOG(), AxclException.SubModule.SYSLOG.value());
        assertEquals(Axcl.AXCL_RUNTIME_SYSCTRL(), AxclException.SubModule.SYSCTRL.value());
        assertEquals(Axcl.AXCL_RUNTIME_LATENCY(), AxclException.SubModule.LATENCY.value());
        assertEquals(Axcl.AXCL_RUNTIME_P2P(), AxclException.SubModule.P2P.value());
        assertEquals(Axcl.AXCL_RUNTIME_USRWORK(), AxclException.SubModule.USRWORK.value());
        assertEquals(Axcl.AX_ID_AXCL(), AxclException.AX_ID_AXCL);
    }

    @Test
    void dataTypesAndLayoutsAreTheHeaders() {
        int[] header = {Axcl.AXCL_DATA_TYPE_NONE(), Axcl.AXCL_DATA_TYPE_INT4(), Axcl.AXCL_DATA_TYPE_UINT4(),
            Axcl.AXCL_DATA_TYPE_INT8(), Axcl.AXCL_DATA_TYPE_UINT8(), Axcl.AXCL_DATA_TYPE_INT16(), Axcl.AXCL_DATA_TYPE_UINT16(),
            Axcl.AXCL_DATA_TYPE_INT32(), Axcl.AXCL_DATA_TYPE_UINT32(), Axcl.AXCL_DATA_TYPE_INT64(), Axcl.AXCL_DATA_TYPE_UINT64(),
            Axcl.AXCL_DATA_TYPE_FP4(), Axcl.AXCL_DATA_TYPE_FP8(), Axcl.AXCL_DATA_TYPE_FP16(), Axcl.AXCL_DATA_TYPE_BF16(),
            Axcl.AXCL_DATA_TYPE_FP32(), Axcl.AXCL_DATA_TYPE_FP64()};
        DataType[] ours = {DataType.NONE, DataType.INT4, DataType.UINT4, DataType.INT8, DataType.UINT8, DataType.INT16,
            DataType.UINT16, DataType.INT32, DataType.UINT32, DataType.INT64, DataType.UINT64, DataType.FP4, DataType.FP8,
            DataType.FP16, DataType.BF16, DataType.FP32, DataType.FP64};
        for (int i = 0; i < ours.length; i++) {
            assertEquals(header[i], ours[i].value(), ours[i].name());
            assertSame(ours[i], DataType.of(header[i]));
        }
        assertEquals(13, DataType.FP16.value());
        assertEquals(14, DataType.BF16.value());
        assertEquals(15, DataType.FP32.value());
        assertSame(DataType.UNKNOWN, DataType.of(17));
        assertSame(DataType.UNKNOWN, DataType.of(-1));
        assertEquals(Axcl.AXCL_DATA_LAYOUT_NONE(), Layout.NONE.value());
        assertEquals(Axcl.AXCL_DATA_LAYOUT_NHWC(), Layout.NHWC.value());
        assertEquals(Axcl.AXCL_DATA_LAYOUT_NCHW(), Layout.NCHW.value());
        assertSame(Layout.NHWC, Layout.of(1));
        assertSame(Layout.NCHW, Layout.of(2));
        assertSame(Layout.UNKNOWN, Layout.of(3));
    }
}
