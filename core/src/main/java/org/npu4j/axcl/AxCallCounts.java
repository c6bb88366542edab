package org.npu4j.axcl;

/**
 * How many AXCL calls npu4j made on one {@link AxDevice}, by kind, counted by the Java API where it
 * issues them (a snapshot: {@link AxDevice#callCounts()}; subtract two with {@link #minus}). The kinds
 * are those of npu4j's AXCL emulator, which counts the same calls on its side.
 *
 * <p>On a Gen2 x1 link every call that reaches the card costs a PCIe round trip of about 0.3 ms
 * ({@code shared/facts/boards.md}); the binding calls do not: in the AXCL 3.10 runtime
 * {@code axclrtEngineSetInputBufferByIndex}/{@code SetOutputBufferByIndex} only check their arguments
 * and store pointer and size on the host ({@code shared/facts/axllm.md}).
 *
 * @param executes       {@code axclrtEngineExecute} and {@code axclrtEngineExecuteAsync}
 * @param hostToDevice   {@code axclrtMemcpy}/{@code axclrtMemcpyAsync} host to device
 * @param deviceToHost   the same, device to host
 * @param deviceToDevice the same, device to device (on the card; still one request over the link)
 * @param deviceOther    {@code axclrtMemset}
 * @param binds          {@code axclrtEngineSetInputBufferByIndex} and {@code SetOutputBufferByIndex}
 *                       (host only)
 */
public record AxCallCounts(long executes, long hostToDevice, long deviceToHost, long deviceToDevice, long deviceOther,
        long binds) {

    /** No call. */
    public static final AxCallCounts ZERO = new AxCallCounts(0, 0, 0, 0, 0, 0);

    /** The calls other than executes that reach the card: copies of every direction and memsets. */
    public long transfers() {
        return hostToDevice + deviceToHost + deviceToDevice + deviceOther;
    }

    /** Every call that reaches the card: executes and {@link #transfers()}. */
    public long crossing() {
        return executes + transfers();
    }

    /** The calls of this snapshot and {@code other} together (e.g. of several devices). */
    public AxCallCounts plus(AxCallCounts other) {
        return new AxCallCounts(executes + other.executes, hostToDevice + other.hostToDevice,
                deviceToHost + other.deviceToHost, deviceToDevice + other.deviceToDevice,
                deviceOther + other.deviceOther, binds + other.binds);
    }

    /** The calls made between {@code earlier} and this snapshot. */
    public AxCallCounts minus(AxCallCounts earlier) {
        return new AxCallCounts(executes - earlier.executes, hostToDevice - earlier.hostToDevice,
                deviceToHost - earlier.deviceToHost, deviceToDevice - earlier.deviceToDevice,
                deviceOther - earlier.deviceOther, binds - earlier.binds);
    }
}
