package org.npu4j.axcl;

import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.npu4j.NpuException;

/**
 * An AXCL runtime call returned an error code. The exception keeps the raw code and decodes it
 * into module, sub-module and error name, e.g. {@code runtime/DEVICE/OPEN (0x8030010B)}.
 *
 * <p>AXCL codes are built as {@code 0x80000000 | (module & 0x7F) << 24 | 0x30 << 16 | sub << 8 | id}
 * (npu4j's {@code native/include/axcl/axcl_base.h}, from the published AXCL 3.x headers;
 * {@code shared/facts/boards.md}). Modules: runtime=0, native=1, lite=2. Error ids below
 * {@code 0x80} are generic ({@link #errorName()} gives their names: {@code NULL_POINTER=2} …
 * {@code EXECUTE_FAIL=0xC}); ids from {@code 0x80} up are specific to the sub-module, e.g.
 * engine {@code INVALID_INDEX=0x81}, context {@code NO_BIND_CONTEXT=0x84}. A code that does not
 * follow the scheme, or an id npu4j does not know, decodes to {@code UNKNOWN}; the raw hex is
 * always in the message.
 *
 * <p>Immutable; thread-safe.
 */
public class AxclException extends NpuException {
    private static final long serialVersionUID = 1L;

    /** The AXCL module id of this project's code scheme: bits 23..16 of every AXCL code. */
    static final int AX_ID_AXCL = 0x30;

    /** The runtime sub-module a code belongs to (bits 15..8 of the code). */
    public enum SubModule {
        /** Devices: open, query, reset. */
        DEVICE(0x01),
        /** Contexts and their binding to threads. */
        CONTEXT(0x02),
        /** Streams (asynchronous queues). */
        STREAM(0x03),
        /** Tasks. */
        TASK(0x04),
        /** Device and host memory, copies. */
        MEMORY(0x05),
        /** The {@code axclInit} configuration. */
        CONFIG(0x06),
        /** The model engine: load, IO, execute. */
        ENGINE(0x07),
        /** Logging. */
        SYSLOG(0x08),
        /** System control. */
        SYSCTRL(0x09),
        /** Latency measurement. */
        LATENCY(0x0A),
        /** Peer-to-peer transfers between devices. */
        P2P(0x0B),
        /** User work queues. */
        USRWORK(0x0C),
        /** Not one of the sub-modules above (or not an AXCL code at all). */
        UNKNOWN(-1);

        private final int value;

        SubModule(int value) {
            this.value = value;
        }

        /** The sub-module number as it appears in a code; -1 for {@link #UNKNOWN}. */
        public int value() {
            return value;
        }

        /** The sub-module with this number, or {@link #UNKNOWN}. */
        public static SubModule of(int value) {
            for (SubModule s : values()) {
                if (s.value == value && s != UNKNOWN) {
                    return s;
                }
            }
            return UNKNOWN;
        }
    }

    private final int code;
    private final String function;

    /**
     * An exception for a failed call; the message is {@code <function> failed: <decoded code>: <detail>}.
     *
     * @param function the native function that returned {@code code}, e.g. {@code axclInit}
     * @param code     the raw {@code axclError}
     * @param detail   what npu4j was doing or what the user can do, or {@code null}
     */
    public AxclException(String function, int code, @Nullable String detail) {
        super(function + " failed: " + describe(code) + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.code = code;
        this.function = function;
    }

    /** The raw code ({@code axclError}, a negative {@code int} for every AXCL error). */
    public int code() {
        return code;
    }

    /** The raw code as {@code 0x%08X}, e.g. {@code 0x8030010B}. */
    public String hex() {
        return hex(code);
    }

    /** The native function that failed, e.g. {@code axclrtEngineExecute}. */
    public String function() {
        return function;
    }

    /** {@code runtime}, {@code native}, {@code lite}, or {@code UNKNOWN}. */
    public String module() {
        return moduleName(code);
    }

    /** The sub-module (bits 15..8), or {@link SubModule#UNKNOWN}. */
    public SubModule subModule() {
        return isAxclCode(code) ? SubModule.of((code >>> 8) & 0xFF) : SubModule.UNKNOWN;
    }

    /** The error id (bits 7..0). */
    public int errorId() {
        return code & 0xFF;
    }

    /** The error name, e.g. {@code OPEN}, {@code NO_BIND_CONTEXT}, {@code INVALID_INDEX}, or {@code UNKNOWN}. */
    public String errorName() {
        return errorName(code);
    }

    /** True when this is {@code sub}/{@code id}, e.g. {@code is(SubModule.DEVICE, 0x0B)} for DEVICE/OPEN. */
    public boolean is(SubModule sub, int id) {
        return subModule() == sub && errorId() == id;
    }

    /**
     * Decodes a code for people: {@code module/SUBMODULE/NAME (0xXXXXXXXX)}; {@code SUCCESS (0x00000000)}
     * for 0; {@code UNKNOWN (0x…)} for codes outside the AXCL scheme.
     */
    public static String describe(int code) {
        if (code == 0) {
            return "SUCCESS (0x00000000)";
        }
        if (!isAxclCode(code)) {
            return "UNKNOWN (" + hex(code) + ")";
        }
        SubModule sub = SubModule.of((code >>> 8) & 0xFF);
        String subName = sub == SubModule.UNKNOWN ? "UNKNOWN" : sub.name();
        return moduleName(code) + "/" + subName + "/" + errorName(code) + " (" + hex(code) + ")";
    }

    static String hex(int code) {
        return String.format(Locale.ROOT, "0x%08X", code);
    }

    /** The top bit set and the AXCL id in bits 23..16. */
    static boolean isAxclCode(int code) {
        return code < 0 && ((code >>> 16) & 0xFF) == AX_ID_AXCL;
    }

    private static String moduleName(int code) {
        if (!isAxclCode(code)) {
            return "UNKNOWN";
        }
        return switch ((code >>> 24) & 0x7F) {
            case 0 -> "runtime";
            case 1 -> "native";
            case 2 -> "lite";
            default -> "UNKNOWN";
        };
    }

    private static String errorName(int code) {
        if (!isAxclCode(code)) {
            return "UNKNOWN";
        }
        int id = code & 0xFF;
        if (id < 0x80) {
            return switch (id) {
                case 0x01 -> "FAIL";
                case 0x02 -> "NULL_POINTER";
                case 0x03 -> "ILLEGAL_PARAM";
                case 0x04 -> "UNSUPPORT";
                case 0x05 -> "TIMEOUT";
                case 0x06 -> "BUSY";
                case 0x07 -> "NO_MEMORY";
                case 0x08 -> "ENCODE";
                case 0x09 -> "DECODE";
                case 0x0A -> "UNEXPECT_RESPONSE";
                case 0x0B -> "OPEN";
                case 0x0C -> "EXECUTE_FAIL";
                default -> "UNKNOWN";
            };
        }
        // Sub-module specific ids, as declared in native/include/axcl/axcl_rt_*.h.
        SubModule sub = ((code >>> 24) & 0x7F) == 0 ? SubModule.of((code >>> 8) & 0xFF) : SubModule.UNKNOWN;
        return switch (sub) {
            case DEVICE -> switch (id) {
                case 0x80 -> "QUERY_DEVICE";
                case 0x81 -> "NO_CONNECT";
                case 0x82 -> "PROBE";
                case 0x83 -> "NOT_ACTIVE";
                case 0x84 -> "INVALID_ID";
                case 0x85 -> "NO_ACTIVE_DEVICE";
                case 0x86 -> "PORT_ALLOCATE";
                case 0x87 -> "REBOOT";
                case 0x88 -> "PORT_DESTROY";
                default -> "UNKNOWN";
            };
            case CONTEXT -> switch (id) {
                case 0x81 -> "CREATE";
                case 0x82 -> "DESTROY";
                case 0x83 -> "BIND_THREAD";
                case 0x84 -> "NO_BIND_CONTEXT";
                default -> "UNKNOWN";
            };
            case STREAM -> switch (id) {
                case 0x81 -> "CREATE";
                case 0x82 -> "DESTROY";
                case 0x83 -> "SYNC_TIMEOUT";
                default -> "UNKNOWN";
            };
            case MEMORY -> id == 0x81 ? "NOT_DEVICE_MEMORY" : "UNKNOWN";
            case ENGINE -> id == 0x81 ? "INVALID_INDEX" : "UNKNOWN";
            default -> "UNKNOWN";
        };
    }
}
