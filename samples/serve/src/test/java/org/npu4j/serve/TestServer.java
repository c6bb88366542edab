package org.npu4j.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/** A server on 127.0.0.1 (ephemeral port) over the emulated Qwen3 0.6B on RK3588, named {@link #MODEL}. */
final class TestServer {
    static final String MODEL = "qwen3-emu";
    static final String PROFILE = "rk3588-qwen3-0.6b-w8a8";

    private TestServer() {}

    static NpuServer start(NpuServer.Config config) {
        return start(config, PROFILE);
    }

    /** A server over emulator {@code profile} (either backend), served as {@link #MODEL}. */
    static NpuServer start(NpuServer.Config config, String profile) {
        Map<String, ServedModel> models = new LinkedHashMap<>();
        models.put(MODEL, new ServedModel(MODEL,
                () -> LanguageModel.openEmulator(profile, LoadOptions.DEFAULTS.withName(MODEL)), config.queueDepth()));
        try {
            NpuServer server = NpuServer.start(config, models);
            // the server listens while the model loads; the tests look at a loaded model
            if (!server.awaitLoaded(java.time.Duration.ofSeconds(60)).isEmpty()) {
                server.close();
                throw new IllegalStateException("emulator profile " + profile + " failed to load");
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    static NpuServer start() {
        return start(NpuServer.Config.loopback());
    }
}
