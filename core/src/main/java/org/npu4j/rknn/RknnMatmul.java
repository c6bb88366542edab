package org.npu4j.rknn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.npu4j.NpuException;
import org.npu4j.rknn.ffi.Rknn;
import org.npu4j.rknn.ffi.rknn_matmul_info;
import org.npu4j.rknn.ffi.rknn_matmul_io_attr;
import org.npu4j.rknn.ffi.rknn_matmul_tensor_attr;
import org.npu4j.rknn.ffi.rknn_tensor_mem;

/**
 * One matrix product on the NPU without a model, through the runtime's matmul API
 * ({@code rknn_matmul_api.h}, librknnrt 2.1.0+): {@code C = A × B} with A of M × K, B of K × N and C of
 * M × N elements, all three row-major (the normal layout, {@code RKNN_MM_LAYOUT_NORM}).
 *
 * <p>Created by {@link RknnRuntime#matmul(int, int, int, Type)}: {@code rknn_matmul_create}, then one
 * runtime memory per matrix ({@code rknn_create_mem} of the size the runtime reports) bound once with
 * {@code rknn_matmul_set_io_mem}. Write A and B into {@link #a()} and {@link #b()} (elements of
 * {@link Type#a()} and {@link Type#b()}; FLOAT16 as IEEE half bits), call {@link #run()}, read C from
 * {@link #c()}. Nothing is allocated per run.
 *
 * <h2>Limits</h2>
 * The runtime's, per SoC (RK3588/RK3576: K a multiple of 32 and at most 10240; N a multiple of 32 for
 * INT8, of 16 for FLOAT16): a shape outside them is refused with an {@link RknnException}.
 *
 * <h2>Optional</h2>
 * Some builds of the runtime have no matmul API: the functions are looked up when a product is created,
 * and a missing one throws {@link UnsupportedOperationException} naming it and the runtime's version.
 *
 * <h2>Threads and lifetime</h2>
 * One run at a time: a {@link #run()} while another thread's run is in progress throws
 * {@link IllegalStateException}. {@link #close()} waits for a run in progress, destroys the memories and
 * the matmul context; the segments are inaccessible afterwards. Idempotent.
 */
public final class RknnMatmul implements AutoCloseable {
    /** The element types of A × B → C ({@code rknn_matmul_type}) that this API offers. */
    public enum Type {
        /** FLOAT16 × FLOAT16 → FLOAT32 ({@code RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT32}, 1). */
        FLOAT16_TO_FLOAT32(1, TensorType.FLOAT16, TensorType.FLOAT32),
        /** INT8 × INT8 → INT32 ({@code RKNN_INT8_MM_INT8_TO_INT32}, 2): the exact integer sums. */
        INT8_TO_INT32(2, TensorType.INT8, TensorType.INT32),
        /** FLOAT16 × FLOAT16 → FLOAT16 ({@code RKNN_FLOAT16_MM_FLOAT16_TO_FLOAT16}, 4). */
        FLOAT16_TO_FLOAT16(4, TensorType.FLOAT16, TensorType.FLOAT16);

        private final int value;
        private final TensorType in;
        private final TensorType out;

        Type(int value, TensorType in, TensorType out) {
            this.value = value;
            this.in = in;
            this.out = out;
        }

        /** The C value of {@code rknn_matmul_type}. */
        public int value() {
            return value;
        }

        /** The element type of A. */
        public TensorType a() {
            return in;
        }

        /** The element type of B. */
        public TensorType b() {
            return in;
        }

        /** The element type of C. */
        public TensorType c() {
            return out;
        }
    }

    /** The functions a product needs; looked up before the first native call. */
    static final List<String> FUNCTIONS = List.of("rknn_matmul_create", "rknn_matmul_set_io_mem", "rknn_matmul_run",
            "rknn_matmul_destroy", "rknn_create_mem", "rknn_destroy_mem");

    private final int m;
    private final int k;
    private final int n;
    private final Type type;
    private final long ctx;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] mems = new MemorySegment[3];
    private final MemorySegment[] data = new MemorySegment[3];
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;

    RknnMatmul(int m, int k, int n, Type type) {
        this.type = Objects.requireNonNull(type, "type");
        if (m < 1 || k < 1 || n < 1) {
            throw new IllegalArgumentException("matmul shape M=" + m + " K=" + k + " N=" + n
                    + ": every dimension must be at least 1");
        }
        for (String f : FUNCTIONS) {
            RknnNative.require(f, "The RKNN matmul API");
        }
        this.m = m;
        this.k = k;
        this.n = n;
        long created = 0;
        try {
            MemorySegment info = arena.allocate(rknn_matmul_info.layout());
            rknn_matmul_info.M(info, m);
            rknn_matmul_info.K(info, k);
            rknn_matmul_info.N(info, n);
            rknn_matmul_info.type(info, type.value());
            MemorySegment io = arena.allocate(rknn_matmul_io_attr.layout());
            MemorySegment handle = arena.allocate(ValueLayout.JAVA_LONG);
            RknnNative.check(Rknn.rknn_matmul_create(handle, info, io), "rknn_matmul_create", this
                    + " (the runtime's limits on RK3588/RK3576: K a multiple of 32 up to 10240, N a multiple of "
                    + (type.a() == TensorType.INT8 ? 32 : 16) + ")");
            created = handle.get(ValueLayout.JAVA_LONG, 0);
            MemorySegment[] attrs = {rknn_matmul_io_attr.A(io), rknn_matmul_io_attr.B(io), rknn_matmul_io_attr.C(io)};
            long[] want = {(long) m * k * type.a().bytes(), (long) k * n * type.b().bytes(),
                (long) m * n * type.c().bytes()};
            for (int i = 0; i < 3; i++) {
                long size = Integer.toUnsignedLong(rknn_matmul_tensor_attr.size(attrs[i]));
                if (size < want[i]) {
                    throw new NpuException("rknn_matmul_create reported " + size + " bytes for " + "ABC".charAt(i)
                            + " of " + this + ", expected at least " + want[i]);
                }
                MemorySegment mem = Rknn.rknn_create_mem(created, (int) size);
                if (mem.address() == 0) {
                    throw new NpuException("rknn_create_mem returned NULL for " + size + " bytes (" + "ABC".charAt(i)
                            + " of " + this + "): out of NPU memory?");
                }
                mems[i] = MemorySegment.ofAddress(mem.address());
                MemorySegment s = mems[i].reinterpret(rknn_tensor_mem.sizeof());
                long addr = rknn_tensor_mem.virt_addr(s).address() + rknn_tensor_mem.offset(s);
                data[i] = MemorySegment.ofAddress(addr).reinterpret(want[i], arena, null);
                RknnNative.check(Rknn.rknn_matmul_set_io_mem(created, mems[i], attrs[i]), "rknn_matmul_set_io_mem",
                        "ABC".charAt(i) + " of " + this);
            }
        } catch (RuntimeException e) {
            try {
                release(created);
            } catch (RuntimeException s) {
                e.addSuppressed(s);
            }
            throw e;
        }
        this.ctx = created;
    }

    /** M: rows of A and C. */
    public int m() {
        return m;
    }

    /** K: columns of A, rows of B. */
    public int k() {
        return k;
    }

    /** N: columns of B and C. */
    public int n() {
        return n;
    }

    /** The element types. */
    public Type type() {
        return type;
    }

    /** A: M × K elements of {@link Type#a()}, row-major. @throws IllegalStateException if closed */
    public MemorySegment a() {
        return segment(0);
    }

    /** B: K × N elements of {@link Type#b()}, row-major. @throws IllegalStateException if closed */
    public MemorySegment b() {
        return segment(1);
    }

    /** C: M × N elements of {@link Type#c()}, row-major, overwritten by each run. @throws IllegalStateException if closed */
    public MemorySegment c() {
        return segment(2);
    }

    private MemorySegment segment(int i) {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        return data[i];
    }

    /**
     * Computes {@code C = A × B} ({@code rknn_matmul_run}, blocking).
     *
     * @throws RknnException         if the runtime fails
     * @throws IllegalStateException if closed, or another thread's run is in progress
     */
    public void run() {
        if (!lock.tryLock()) {
            throw new IllegalStateException(this + " is running on another thread: one run at a time");
        }
        try {
            if (closed) {
                throw new IllegalStateException(this + " is closed");
            }
            RknnNative.check(Rknn.rknn_matmul_run(ctx), "rknn_matmul_run", this);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for a run in progress, destroys the memories and the matmul context. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            release(ctx);
        } finally {
            lock.unlock();
        }
    }

    private void release(long handle) {
        RuntimeException failure = null;
        for (MemorySegment mem : mems) {
            if (mem != null) {
                int rc = Rknn.rknn_destroy_mem(handle, mem);
                if (rc != 0 && failure == null) {
                    failure = new RknnException("rknn_destroy_mem", rc, toString());
                }
            }
        }
        if (handle != 0) {
            int rc = Rknn.rknn_matmul_destroy(handle);
            if (rc != 0 && failure == null) {
                failure = new RknnException("rknn_matmul_destroy", rc, toString());
            }
        }
        arena.close();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "RKNN matmul M=" + m + " K=" + k + " N=" + n + " " + type;
    }
}
