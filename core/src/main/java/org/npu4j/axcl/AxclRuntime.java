package org.npu4j.axcl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.npu4j.Emulator;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;
import org.npu4j.axcl.ffi.Axcl;
import org.npu4j.axcl.ffi.axclrtDeviceList;
import org.npu4j.axcl.ffi.axclrtDeviceProperties;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.TuningException;
import org.npu4j.tuning.TuningSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AXCL runtime of this process: {@code axclInit} once, {@code axclFinalize} after the last
 * user is done. Each {@link #acquire} returns a new handle and counts one more user; each handle's
 * {@link #close()} counts one less. The first acquire loads the library (see {@link Options}) and
 * calls {@code axclInit}; the last close closes what the handle still owns, then, for every device
 * npu4j opened, {@code axclrtEngineFinalize}, {@code axclrtDestroyContext} and
 * {@code axclrtResetDevice}, and finally {@code axclFinalize}. A later acquire initialises again.
 *
 * {@snippet :
 * try (AxclRuntime axcl = AxclRuntime.acquire();
 *      AxModel model = axcl.device().load(Path.of("yolo11s.axmodel")); // the first card
 *      AxSession session = model.newSession();
 *      AxBinding io = session.bind()) {
 *     io.input(0).copyFrom(image);   // pinned host memory, the model's input size
 *     io.run();                      // host->device, execute, device->host
 *     MemorySegment out = io.output(0);
 * }
 * }
 *
 * <h2>Without a card</h2>
 * With the vendor host runtime installed but no AX650N card (no {@code /dev/axcl_host}),
 * {@code axclInit} returns {@code 0x8030010B} ({@code runtime/DEVICE/OPEN}, measured with the x86_64
 * AXCL 3.10.2 host runtime, {@code shared/facts/boards.md}): {@link #acquire} throws an
 * {@link AxclException} that names the decoded error and the missing device file, and leaves the
 * process as it was (a later acquire tries again). The JVM keeps running.
 *
 * <h2>A lost card</h2>
 * When the card drops off the bus every call fails with {@code runtime/DEVICE/NO_CONNECT}
 * ({@code 0x80300181}). Closing then still tries every release step (frees, IO and model release,
 * {@code axclrtEngineFinalize}, contexts, {@code axclrtResetDevice}, {@code axclFinalize}) and throws
 * the first failure afterwards, the others suppressed in it. Unloading a model and finalising the
 * engine act through the calling thread's current context, which a lost card no longer lets npu4j
 * bind: close on a thread that used the device (its context is still current there) to release
 * those too; {@code axclFinalize} releases the rest of the host side either way.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe. Callers never bind AXCL contexts: see {@link AxDevice} for how
 * npu4j binds a device's context to the calling thread (platform and virtual threads).
 *
 * <h2>Lifetimes</h2>
 * Handles form a tree: runtime → {@link AxDevice} → {@link AxModel} → {@link AxSession} →
 * {@link AxBinding}. Closing a handle closes its live children first (newest first), so bindings
 * close before their session, sessions before their model, models before their device. Closing a
 * binding waits for a call running on it in another thread. Every handle has its own arena; the
 * host buffers a handle gave out become inaccessible when it closes. Using a closed handle throws
 * {@link IllegalStateException}. {@code close()} is idempotent.
 */
public final class AxclRuntime extends AxHandle {
    private static final Logger LOG = LoggerFactory.getLogger(AxclRuntime.class);

    /** Device node of the AXCL host driver; missing when no card is present. */
    static final String HOST_DEVICE = "/dev/axcl_host";

    private static final Object LOCK = new Object();
    // Process state, guarded by LOCK.
    private static int users;
    private static @Nullable Path initConfig;
    private static final Map<Integer, DeviceContext> CONTEXTS = new LinkedHashMap<>();

    /**
     * How to find and initialise the runtime.
     *
     * @param library the {@code libaxcl_rt.so} to load, or {@code null} to search: system property
     *                {@code npu4j.axcl.library}, environment variable {@code NPU4J_AXCL_LIBRARY}, then
     *                the OS search path ({@link NativeLibrary}). Only the first acquire of the JVM
     *                loads a library; later ones must name the same file or none.
     * @param config  AXCL JSON configuration file passed to {@code axclInit}, or {@code null} for the
     *                runtime's defaults. Only the initialising acquire uses it; a later acquire that
     *                names a different file while the runtime is up fails.
     * @param vnpu    how {@code axclrtEngineInit} partitions the NPU of each device opened
     * @param tuning  host tuning applied for the life of the handle (see {@link #withTuning}), or {@code null}
     *                (the default) to leave the host as it is
     */
    public record Options(@Nullable Path library, @Nullable Path config, VNpu vnpu, @Nullable HostTuning tuning) {
        /** Checks that {@code vnpu} is given. */
        public Options {
            Objects.requireNonNull(vnpu, "vnpu");
        }

        /** Search for the library, no configuration file, no virtual NPU. */
        public static Options defaults() {
            return new Options(null, null, VNpu.DISABLE, null);
        }

        /**
         * The emulated AXCL runtime shipped in {@code org.npu4j:npu4j-native}
         * ({@link Emulator#library(Emulator.Runtime)}).
         *
         * @throws NpuException if that jar is not on the class path
         */
        public static Options emulator() {
            return defaults().withLibrary(Emulator.library(Emulator.Runtime.AXCL));
        }

        /** These options with another library ({@code null}: search). */
        public Options withLibrary(@Nullable Path library) {
            return new Options(library, config, vnpu, tuning);
        }

        /** These options with another {@code axclInit} configuration file ({@code null}: the runtime's defaults). */
        public Options withConfig(@Nullable Path config) {
            return new Options(library, config, vnpu, tuning);
        }

        /**
         * These options with host tuning: {@link AxclRuntime#acquire(Options)} applies {@code t}
         * ({@link HostTuning#apply()}: the card's IRQ on a big core, the big cores' governor) before
         * {@code axclInit}, and closing the handle restores the host after the runtime is released (or the
         * tuning session's shutdown hook does at JVM exit). Not root: nothing changes and the plan is logged
         * once as a warning. A failed write, or a failed {@code axclInit} after it, restores what was written
         * before the exception is thrown. Handles acquired with tuning should be closed in reverse order.
         */
        public Options withTuning(@Nullable HostTuning t) {
            return new Options(library, config, vnpu, t);
        }

        /** These options with another NPU partitioning. */
        public Options withVNpu(VNpu vnpu) {
            return new Options(library, config, vnpu, tuning);
        }
    }

    /** NPU partitioning chosen at {@code axclrtEngineInit} ({@code axclrtEngineVNpuKind}). */
    public enum VNpu {
        /** The whole NPU for one model at a time ({@code AXCL_VNPU_DISABLE = 0}). */
        DISABLE(0),
        /** Equal virtual NPUs ({@code AXCL_VNPU_ENABLE = 1}). */
        ENABLE(1),
        /** Big and little virtual NPUs ({@code AXCL_VNPU_BIG_LITTLE = 2}). */
        BIG_LITTLE(2),
        /** Little and big virtual NPUs ({@code AXCL_VNPU_LITTLE_BIG = 3}). */
        LITTLE_BIG(3);

        final int value;

        VNpu(int value) {
            this.value = value;
        }
    }

    /**
     * Version of the loaded runtime ({@code axclrtGetVersion}, {@code axclrtGetFullVersion}).
     *
     * @param major major version (3 for AXCL 3.x)
     * @param minor minor version
     * @param patch patch level
     * @param full the runtime's own version string (the emulator's says it is an emulator)
     */
    public record Version(int major, int minor, int patch, String full) {
        @Override
        public String toString() {
            return major + "." + minor + "." + patch + " (" + full + ")";
        }
    }

    /**
     * One device as {@code axclrtGetDeviceProperties} reports it (AXCL 3.x {@code axclrtDeviceProperties}).
     *
     * @param deviceId       the AXCL device id
     * @param softwareVersion the device's software version string
     * @param uid            the device's unique id
     * @param pciDomain      PCI domain of the card
     * @param pciBus         PCI bus number of the card
     * @param pciDevice      PCI device number of the card
     * @param temperature    junction temperature (Tj) exactly as the runtime reports it; the vendor
     *                       header does not state the unit
     * @param totalMemoryKiB device system memory, KiB
     * @param freeMemoryKiB  free device system memory, KiB
     * @param totalCmmKiB    device CMM (contiguous memory for the NPU and DMA), KiB
     * @param freeCmmKiB     free CMM, KiB
     * @param cpuLoadPercent average load of the device CPU, percent (the runtime reports percent × 100)
     * @param npuLoadPercent average load of the NPU, percent (the runtime reports percent × 100)
     */
    public record DeviceProperties(int deviceId, String softwareVersion, long uid, int pciDomain, int pciBus,
            int pciDevice, int temperature, long totalMemoryKiB, long freeMemoryKiB, long totalCmmKiB,
            long freeCmmKiB, double cpuLoadPercent, double npuLoadPercent) {}

    private final NativeLibrary.Loaded library;
    private final Options options;
    /** Host tuning applied for this handle's life (Options.tuning), restored by release(); null: none. */
    private @Nullable TuningSession tuning;
    private final Map<Integer, AxDevice> devices = new HashMap<>(); // guarded by this
    private final String label;

    private AxclRuntime(NativeLibrary.Loaded library, Options options, int serial) {
        super(null);
        this.library = library;
        this.options = options;
        this.label = "AxclRuntime#" + serial + "[" + library.path().getFileName() + "]";
    }

    private static int serial;

    /** {@link #acquire(Options)} with {@link Options#defaults()}. */
    public static AxclRuntime acquire() {
        return acquire(Options.defaults());
    }

    /**
     * A new handle on the process's AXCL runtime; initialises it ({@code axclInit}) if no handle is
     * open.
     *
     * @throws NpuException  if the library cannot be loaded (the message lists every place tried
     *                       and how to use the emulator), or a different library or configuration
     *                       file is already in use
     * @throws AxclException if {@code axclInit} fails; with no card present that is
     *                       {@code runtime/DEVICE/OPEN (0x8030010B)} and the message names
     *                       {@value #HOST_DEVICE}
     * @throws TuningException if {@link Options#withTuning host tuning} cannot be applied (nothing changed)
     */
    public static AxclRuntime acquire(Options options) {
        Objects.requireNonNull(options, "options");
        NativeLibrary.Loaded lib = AxclNative.load(options.library());
        TuningSession session = options.tuning() != null ? options.tuning().apply() : null;
        try {
            AxclRuntime rt = acquire(options, lib);
            rt.tuning = session;
            return rt;
        } catch (RuntimeException | Error e) {
            TuningSession.restoreAfter(session, e);
            throw e;
        }
    }

    private static AxclRuntime acquire(Options options, NativeLibrary.Loaded lib) {
        synchronized (LOCK) {
            Path config = options.config() == null ? null : options.config().toAbsolutePath();
            if (users == 0) {
                if (config != null && !Files.isRegularFile(config)) {
                    throw new NpuException("AXCL configuration file " + config + " does not exist");
                }
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment cfg = config == null ? MemorySegment.NULL : a.allocateFrom(config.toString());
                    int rc = Axcl.axclInit(cfg);
                    AxclNative.check(rc, "axclInit", rc == 0 ? null : initDetail(rc, lib));
                }
                initConfig = config;
                LOG.info("AXCL runtime initialised ({}, {}), config {}", lib.path(), version(),
                        config == null ? "default" : config);
            } else if (config != null && !config.equals(initConfig)) {
                throw new NpuException("The AXCL runtime is already initialised with configuration "
                        + (initConfig == null ? "(default)" : initConfig) + "; cannot use " + config
                        + " until every AxclRuntime handle is closed.");
            }
            users++;
            return new AxclRuntime(lib, options, ++serial);
        }
    }

    private static String initDetail(int rc, NativeLibrary.Loaded lib) {
        String detail;
        if (AxclException.isAxclCode(rc) && ((rc >>> 8) & 0xFF) == AxclException.SubModule.DEVICE.value()
                && (rc & 0xFF) == 0x0B) {
            detail = "cannot open the AX650N card: the AXCL host driver's device " + HOST_DEVICE
                    + (Files.exists(Path.of(HOST_DEVICE)) ? " exists but could not be opened (permissions? another process?)"
                            : " is missing (no card on the PCIe bus, or the axcl_host driver is not loaded:"
                                    + " check `lspci -d 1f4b:0650` and `lsmod | grep axcl`)")
                    + ". Library: " + lib.path() + ". " + AxclNative.SPEC.emulatorHint();
        } else {
            detail = "library " + lib.path() + " (" + lib.foundBy() + ")";
        }
        return detail;
    }

    /** The library this runtime runs on and how it was found. */
    public NativeLibrary.Loaded library() {
        return library;
    }

    /** The options this handle was acquired with. */
    public Options options() {
        return options;
    }

    /**
     * True when the loaded library is npu4j's emulated runtime: it says so in its full version
     * string ({@code axclrtGetFullVersion}).
     */
    public boolean isEmulator() {
        ensureOpen();
        return version().full().toLowerCase(Locale.ROOT).contains("emulat");
    }

    /**
     * The runtime version ({@code axclrtGetVersion}, {@code axclrtGetFullVersion}).
     *
     * @throws AxclException if the runtime reports an error
     */
    public Version runtimeVersion() {
        ensureOpen();
        return version();
    }

    private static Version version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment minor = a.allocate(ValueLayout.JAVA_INT);
            MemorySegment patch = a.allocate(ValueLayout.JAVA_INT);
            AxclNative.check(Axcl.axclrtGetVersion(major, minor, patch), "axclrtGetVersion");
            return new Version(major.get(ValueLayout.JAVA_INT, 0), minor.get(ValueLayout.JAVA_INT, 0),
                    patch.get(ValueLayout.JAVA_INT, 0), AxclNative.string(Axcl.axclrtGetFullVersion(), ""));
        }
    }

    /** The SoC name the runtime reports ({@code axclrtGetSocName}), e.g. {@code AX650N}; empty if none. */
    public String socName() {
        ensureOpen();
        return AxclNative.string(Axcl.axclrtGetSocName(), "");
    }

    /**
     * The runtime's own log level ({@code axclSetLogLevel}): 0 trace, 1 debug, 2 info, 3 warning,
     * 4 error, 5 critical, 6 off. The runtime logs on its own (the vendor's to its log file, the
     * emulator's to stderr), not through SLF4J.
     *
     * @param level 0 to 6
     * @throws AxclException if the runtime refuses the level
     */
    public void setLogLevel(int level) {
        ensureOpen();
        AxclNative.check(Axcl.axclSetLogLevel(level), "axclSetLogLevel", "level " + level);
    }

    /**
     * The ids of the devices the runtime sees ({@code axclrtGetDeviceList}), in its order.
     *
     * @throws AxclException if the runtime reports an error
     */
    public List<Integer> deviceIds() {
        ensureOpen();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = axclrtDeviceList.allocate(a);
            AxclNative.check(Axcl.axclrtGetDeviceList(list), "axclrtGetDeviceList");
            int n = Math.min(axclrtDeviceList.num(list), Axcl.AXCL_MAX_DEVICE_COUNT());
            List<Integer> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ids.add(axclrtDeviceList.devices(list, i));
            }
            return List.copyOf(ids);
        }
    }

    /**
     * Properties of one device ({@code axclrtGetDeviceProperties}): memory totals, temperature,
     * loads, software version. Values are read at the call (free memory and loads change).
     *
     * @throws AxclException if the runtime reports an error (e.g. {@code runtime/DEVICE/INVALID_ID})
     */
    public DeviceProperties deviceProperties(int deviceId) {
        ensureOpen();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = axclrtDeviceProperties.allocate(a);
            AxclNative.check(Axcl.axclrtGetDeviceProperties(deviceId, p), "axclrtGetDeviceProperties",
                    "device " + deviceId);
            MemorySegment sw = axclrtDeviceProperties.swVersion(p);
            return new DeviceProperties(deviceId, sw.getString(0), axclrtDeviceProperties.uid(p),
                    axclrtDeviceProperties.pciDomain(p), axclrtDeviceProperties.pciBusID(p),
                    axclrtDeviceProperties.pciDeviceID(p), axclrtDeviceProperties.temperature(p),
                    Integer.toUnsignedLong(axclrtDeviceProperties.totalMemSize(p)),
                    Integer.toUnsignedLong(axclrtDeviceProperties.freeMemSize(p)),
                    Integer.toUnsignedLong(axclrtDeviceProperties.totalCmmSize(p)),
                    Integer.toUnsignedLong(axclrtDeviceProperties.freeCmmSize(p)),
                    Integer.toUnsignedLong(axclrtDeviceProperties.cpuLoading(p)) / 100.0,
                    Integer.toUnsignedLong(axclrtDeviceProperties.npuLoading(p)) / 100.0);
        }
    }

    /**
     * The first device of {@link #deviceIds()}.
     *
     * @throws NpuException if the runtime sees no device
     */
    public AxDevice device() {
        List<Integer> ids = deviceIds();
        if (ids.isEmpty()) {
            throw new NpuException("The AXCL runtime (" + library.path() + ") sees no device");
        }
        return device(ids.getFirst());
    }

    /**
     * A handle on one device, opened on first use. Device ids are what {@link #deviceIds()} lists: AXCL
     * numbers cards by PCI bus (a card at {@code 0000:01:00.0} is device 1), not from 0. Opening runs
     * {@code axclrtSetDevice}, {@code axclrtCreateContext}
     * and {@code axclrtEngineInit} with {@link Options#vnpu()} — once per process and device, shared by
     * every runtime handle. The same {@link AxDevice} is returned for the same id until it is closed.
     *
     * @throws AxclException if the device cannot be opened (e.g. {@code runtime/DEVICE/INVALID_ID})
     * @throws IllegalStateException if this runtime handle is closed
     */
    public AxDevice device(int deviceId) {
        ensureOpen();
        synchronized (this) {
            AxDevice d = devices.get(deviceId);
            if (d != null && !d.isClosed()) {
                return d;
            }
            d = adopt(new AxDevice(this, openContext(deviceId, options.vnpu())));
            devices.put(deviceId, d);
            return d;
        }
    }

    private static DeviceContext openContext(int deviceId, VNpu vnpu) {
        synchronized (LOCK) {
            DeviceContext dc = CONTEXTS.get(deviceId);
            if (dc != null) {
                return dc;
            }
            AxclNative.check(Axcl.axclrtSetDevice(deviceId), "axclrtSetDevice", "device " + deviceId);
            MemorySegment ctx;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ValueLayout.ADDRESS);
                int rc = Axcl.axclrtCreateContext(out, deviceId);
                if (rc != 0) {
                    Axcl.axclrtResetDevice(deviceId); // undo axclrtSetDevice; the create error is the one to report
                    AxclNative.check(rc, "axclrtCreateContext", "device " + deviceId);
                }
                ctx = out.get(ValueLayout.ADDRESS, 0);
            }
            dc = new DeviceContext(deviceId, ctx);
            try {
                dc.forceBind();
                AxclNative.check(Axcl.axclrtEngineInit(vnpu.value), "axclrtEngineInit",
                        "device " + deviceId + ", " + vnpu);
            } catch (RuntimeException e) {
                Axcl.axclrtDestroyContext(ctx);
                DeviceContext.forgetCurrentThread();
                Axcl.axclrtResetDevice(deviceId);
                throw e;
            }
            CONTEXTS.put(deviceId, dc);
            LOG.debug("AXCL device {} opened, engine initialised ({})", deviceId, vnpu);
            return dc;
        }
    }

    synchronized void forgetDevice(AxDevice device) {
        devices.remove(device.id(), device);
    }

    @Override
    void release() {
        try {
            releaseRuntime();
        } finally {
            TuningSession t = tuning;
            tuning = null;
            if (t != null) {
                try {
                    t.close();
                } catch (TuningException e) {
                    LOG.warn("{}: host tuning not fully restored: {}", label, e.getMessage());
                }
            }
        }
    }

    private void releaseRuntime() {
        synchronized (LOCK) {
            if (--users > 0) {
                return;
            }
            RuntimeException failure = null;
            for (DeviceContext dc : CONTEXTS.values()) {
                // Every step is tried and the first failure thrown after: a lost card refuses the bind but
                // still lets the engine go on the thread whose current context is the device's.
                failure = chain(failure, dc.forceBindForRelease());
                failure = chain(failure, AxclNative.error(Axcl.axclrtEngineFinalize(), "axclrtEngineFinalize",
                        "device " + dc.deviceId));
                failure = chain(failure, AxclNative.error(Axcl.axclrtDestroyContext(dc.context), "axclrtDestroyContext",
                        dc));
                DeviceContext.forgetCurrentThread();
                failure = chain(failure, AxclNative.error(Axcl.axclrtResetDevice(dc.deviceId), "axclrtResetDevice", dc));
            }
            CONTEXTS.clear();
            initConfig = null;
            failure = chain(failure, AxclNative.error(Axcl.axclFinalize(), "axclFinalize", null));
            LOG.info("AXCL runtime finalised");
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Number of open runtime handles in this process (for diagnostics and tests). */
    public static int openHandles() {
        synchronized (LOCK) {
            return users;
        }
    }

    @Override
    public String toString() {
        return label;
    }
}
