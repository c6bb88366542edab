package org.npu4j.axcl;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.npu4j.axcl.ffi.Axcl;

/**
 * A device allocation ({@code axclrtMalloc}) that lives on its own, independent of any
 * {@link AxBinding}: it can be bound to tensors of several bindings at once, at any offset
 * ({@link AxBinding#setInput(int, AxDeviceBuffer, long)}), and filled, read and copied with offsets
 * without passing through a binding's pinned host buffers. This is what chains of models need to keep
 * data on the device: an LLM's hidden state between decoder layers, one KV cache shared by a layer's
 * shape groups, one mask buffer shared by every layer.
 *
 * <p>Every copy is one {@code axclrtMemcpy} (host to device, device to host, or device to device, the
 * last never crossing PCIe to the host) and {@link #fill} is one {@code axclrtMemset}; nothing else is
 * called, and nothing is allocated on the Java heap.
 *
 * <p>Thread-safe as far as AXCL is (copies from several threads to disjoint ranges are fine); the
 * device's context is bound to the calling thread as {@link AxDevice} describes. Closing the buffer
 * ({@code axclrtFree}) while a binding still uses it is the caller's error: the binding then points at
 * freed device memory. Closing the device closes its buffers.
 */
public final class AxDeviceBuffer extends AxHandle {
    private final AxDevice device;
    private final DeviceContext ctx;
    private final MemorySegment address;
    private final long size;
    private final String name;

    AxDeviceBuffer(AxDevice device, long size, String name) {
        super(device);
        if (size <= 0) {
            throw new IllegalArgumentException("device buffer " + name + ": size " + size + ", expected > 0 bytes");
        }
        this.device = device;
        this.ctx = device.context();
        this.size = size;
        this.name = Objects.requireNonNull(name, "name");
        ctx.bind();
        this.address = Memory.mallocDevice(size, name);
    }

    /** The device this buffer is on. */
    public AxDevice device() {
        return device;
    }

    /** Size in bytes. */
    public long byteSize() {
        return size;
    }

    /** The name given at allocation (for messages). */
    public String name() {
        return name;
    }

    /**
     * The device address as an opaque zero-length segment (device memory cannot be read or written on
     * the host; pass it to AXCL functions only).
     */
    public MemorySegment address() {
        ensureOpen();
        return address;
    }

    /** The device address plus {@code offset}, checked against the buffer's size. */
    MemorySegment at(long offset, long bytes, String what) {
        ensureOpen();
        if (offset < 0 || bytes < 0 || offset > size - bytes) {
            throw new IndexOutOfBoundsException(what + ": bytes [" + offset + ", " + (offset + bytes) + ") are outside "
                    + this + " (" + size + " bytes)");
        }
        return offset == 0 ? address : MemorySegment.ofAddress(address.address() + offset);
    }

    /**
     * Copies all of {@code src} (native memory; pinned memory is fastest) to this buffer at
     * {@code offset}: one host-to-device {@code axclrtMemcpy}.
     *
     * @throws IllegalArgumentException  if {@code src} is on the Java heap
     * @throws IndexOutOfBoundsException if the range runs past the buffer
     * @throws AxclException             if the copy fails
     */
    public void write(long offset, MemorySegment src) {
        if (!src.isNative()) {
            throw new IllegalArgumentException("write to " + this + ": the source must be native memory, not a heap segment");
        }
        MemorySegment dst = at(offset, src.byteSize(), "write");
        ctx.bind();
        int rc = Axcl.axclrtMemcpy(dst, src, src.byteSize(), Memory.HOST_TO_DEVICE);
        device.calls.copy(Memory.HOST_TO_DEVICE);
        AxclNative.check(rc, "axclrtMemcpy", this);
    }

    /**
     * Copies {@code dst.byteSize()} bytes of this buffer from {@code offset} into {@code dst} (native
     * memory): one device-to-host {@code axclrtMemcpy}.
     *
     * @throws IllegalArgumentException  if {@code dst} is on the Java heap or read-only
     * @throws IndexOutOfBoundsException if the range runs past the buffer
     * @throws AxclException             if the copy fails
     */
    public void read(long offset, MemorySegment dst) {
        if (!dst.isNative() || dst.isReadOnly()) {
            throw new IllegalArgumentException("read from " + this + ": the target must be writable native memory");
        }
        MemorySegment src = at(offset, dst.byteSize(), "read");
        ctx.bind();
        int rc = Axcl.axclrtMemcpy(dst, src, dst.byteSize(), Memory.DEVICE_TO_HOST);
        device.calls.copy(Memory.DEVICE_TO_HOST);
        AxclNative.check(rc, "axclrtMemcpy", this);
    }

    /**
     * Copies {@code bytes} from {@code src} at {@code srcOffset} to this buffer at {@code offset}, on the
     * device: one device-to-device {@code axclrtMemcpy} (both buffers must be on the same device).
     *
     * @throws IllegalArgumentException  if the buffers are on different devices
     * @throws IndexOutOfBoundsException if a range runs past its buffer
     * @throws AxclException             if the copy fails
     */
    public void copyFrom(long offset, AxDeviceBuffer src, long srcOffset, long bytes) {
        if (src.device != device) {
            throw new IllegalArgumentException("copy from " + src + " to " + this + ": different devices (copy through the host)");
        }
        MemorySegment d = at(offset, bytes, "copy target");
        MemorySegment s = src.at(srcOffset, bytes, "copy source");
        ctx.bind();
        int rc = Axcl.axclrtMemcpy(d, s, bytes, Memory.DEVICE_TO_DEVICE);
        device.calls.copy(Memory.DEVICE_TO_DEVICE);
        AxclNative.check(rc, "axclrtMemcpy", this);
    }

    /**
     * Sets {@code bytes} bytes from {@code offset} to {@code value}: one {@code axclrtMemset}.
     *
     * @throws IndexOutOfBoundsException if the range runs past the buffer
     * @throws AxclException             if the runtime fails
     */
    public void fill(long offset, long bytes, byte value) {
        MemorySegment d = at(offset, bytes, "fill");
        ctx.bind();
        int rc = Axcl.axclrtMemset(d, value, bytes);
        device.calls.memset();
        AxclNative.check(rc, "axclrtMemset", this);
    }

    @Override
    void release() {
        ctx.bind();
        AxclNative.check(Axcl.axclrtFree(address), "axclrtFree", this);
    }

    @Override
    public String toString() {
        return "AxDeviceBuffer[" + name + ", " + size + " B]";
    }
}
