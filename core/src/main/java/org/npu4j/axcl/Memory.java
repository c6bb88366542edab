package org.npu4j.axcl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.npu4j.axcl.ffi.Axcl;

/** Device and pinned host allocations, copy directions (package-private helpers). */
final class Memory {
    /** Allocation policy for device buffers: ordinary pages ({@code AXCL_MEM_MALLOC_NORMAL_ONLY}). */
    static final int POLICY = Axcl.AXCL_MEM_MALLOC_NORMAL_ONLY();
    static final int HOST_TO_DEVICE = Axcl.AXCL_MEMCPY_HOST_TO_DEVICE();
    static final int DEVICE_TO_HOST = Axcl.AXCL_MEMCPY_DEVICE_TO_HOST();
    static final int DEVICE_TO_DEVICE = Axcl.AXCL_MEMCPY_DEVICE_TO_DEVICE();

    private Memory() {}

    /**
     * {@code axclrtMalloc}: a device buffer as a zero-length segment (an address only: device memory
     * is never dereferenced on the host). The caller's thread must have the device's context bound.
     */
    static MemorySegment mallocDevice(long size, Object what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            AxclNative.check(Axcl.axclrtMalloc(out, size, POLICY), "axclrtMalloc", size + " bytes for " + what);
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /**
     * {@code axclrtMallocHost}: pinned host memory as a zero-length segment; the caller gives it a size
     * and an arena with {@code reinterpret}. The caller's thread must have the device's context bound.
     */
    static MemorySegment mallocHost(long size, Object what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            AxclNative.check(Axcl.axclrtMallocHost(out, size), "axclrtMallocHost", size + " bytes for " + what);
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }
}
