package org.npu4j.serve;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.ModelInfo;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;

/**
 * {@code GET /health} (JSON: models, backends, runtime versions, emulator or not) and {@code GET /metrics}
 * in the Prometheus text exposition format 0.0.4: request counters, queue depth, TTFT and inter-token
 * latency summaries from each model's {@link org.npu4j.metrics.LatencyRecorder}, tokens and decode
 * tokens/s. Thread-safe.
 */
final class Metrics {
    private static final double[] QUANTILES = {0.5, 0.9, 0.99};

    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    private final NpuServer server;

    Metrics(NpuServer server) {
        this.server = server;
    }

    /**
     * {@code GET /health}: 200 with {@code status: ok} when every model is loaded (or unloaded on request);
     * 503 with {@code status: loading} while a model loads, {@code failed} when a load failed. Each model
     * has its {@code state} ({@link ServedModel.State}, lower case) and, once loaded, its runtime fields.
     */
    void health(HttpExchange ex) throws IOException {
        ObjectNode root = Http.JSON.createObjectNode();
        ArrayNode arr = Http.JSON.createArrayNode();
        boolean anyEmulator = false;
        boolean loading = false;
        boolean failed = false;
        for (ServedModel m : server.models()) {
            ServedModel.State state = m.state();
            loading |= state == ServedModel.State.LOADING;
            failed |= state == ServedModel.State.FAILED;
            ObjectNode o = arr.addObject();
            o.put("name", m.name());
            o.put("state", state.name().toLowerCase(Locale.ROOT));
            o.put("loaded", state == ServedModel.State.READY);
            RuntimeException error = m.loadError();
            if (error != null) {
                o.put("error", error.getMessage());
            }
            if (m.loadNanos() >= 0) {
                o.put("load_seconds", m.loadNanos() / 1e9);
            }
            ModelInfo info = m.infoIfKnown();
            if (info != null) {
                anyEmulator |= info.emulator();
                o.put("backend", info.backend());
                o.put("runtime_version", info.runtimeVersion());
                o.put("emulator", info.emulator());
                o.put("description", info.description());
                o.put("context_length", info.contextLength());
                o.put("memory_bytes", info.memoryBytes());
            }
            o.put("in_flight", m.inFlight());
        }
        root.put("status", failed ? "failed" : loading ? "loading" : "ok");
        root.put("uptime_seconds", server.uptimeNanos() / 1e9);
        root.set("models", arr);
        root.put("emulator", anyEmulator);
        Http.send(ex, failed || loading ? 503 : 200, root);
    }

    void prometheus(HttpExchange ex) throws IOException {
        StringBuilder sb = new StringBuilder();
        header(sb, "npu4j_http_requests_total", "counter", "HTTP requests routed (all endpoints)");
        sb.append("npu4j_http_requests_total ").append(requests.sum()).append('\n');
        header(sb, "npu4j_http_errors_total", "counter", "requests answered with an error status");
        sb.append("npu4j_http_errors_total ").append(errors.sum()).append('\n');
        header(sb, "npu4j_generation_requests_total", "counter", "generation requests per model (admitted or refused)");
        for (ServedModel m : server.models()) {
            sample(sb, "npu4j_generation_requests_total", m, m.requests.sum());
        }
        header(sb, "npu4j_generation_refused_total", "counter", "requests refused with 429 (queue full)");
        for (ServedModel m : server.models()) {
            sample(sb, "npu4j_generation_refused_total", m, m.refused.sum());
        }
        header(sb, "npu4j_generation_aborted_total", "counter", "runs stopped because the client went away");
        for (ServedModel m : server.models()) {
            sample(sb, "npu4j_generation_aborted_total", m, m.aborted.sum());
        }
        header(sb, "npu4j_queue_dropped_total", "counter",
                "queued requests dropped before their run started because the client went away");
        for (ServedModel m : server.models()) {
            sample(sb, "npu4j_queue_dropped_total", m, m.droppedQueued.sum());
        }
        header(sb, "npu4j_queue_depth", "gauge", "requests waiting behind the running one");
        for (ServedModel m : server.models()) {
            sample(sb, "npu4j_queue_depth", m, m.queued());
        }
        header(sb, "npu4j_generated_tokens_total", "counter", "tokens generated");
        for (ServedModel m : server.models()) {
            sample(sb, "npu4j_generated_tokens_total", m, m.generatedTokens.sum());
        }
        header(sb, "npu4j_decode_tokens_per_second", "gauge", "tokens generated over decode time, since start");
        for (ServedModel m : server.models()) {
            long ns = m.decodeNanos.get();
            sample(sb, "npu4j_decode_tokens_per_second", m, ns > 0 ? m.generatedTokens.sum() / (ns / 1e9) : 0);
        }
        header(sb, "npu4j_model_memory_bytes", "gauge", "NPU-side memory of the model as its backend reports it");
        for (ServedModel m : server.models()) {
            ModelInfo info = m.infoIfKnown();
            sample(sb, "npu4j_model_memory_bytes", m, info == null ? 0 : info.memoryBytes());
        }
        summary(sb, "npu4j_ttft_seconds", "time to first token (model latency recorder)", Stage.TTFT);
        summary(sb, "npu4j_inter_token_seconds", "time between tokens (model latency recorder)", Stage.INTER_TOKEN);
        Http.sendText(ex, 200, "text/plain; version=0.0.4; charset=utf-8", sb.toString());
    }

    private void summary(StringBuilder sb, String name, String help, Stage stage) {
        header(sb, name, "summary", help);
        for (ServedModel m : server.models()) {
            LanguageModel lm = m.loadedModel();
            if (lm == null) {
                continue;
            }
            LatencySnapshot snap = lm.latency().snapshot();
            Histogram h = snap.histogram(stage);
            String label = "model=\"" + escape(m.name()) + "\"";
            for (double q : QUANTILES) {
                sb.append(name).append('{').append(label).append(",quantile=\"").append(q).append("\"} ")
                        .append(num(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(q * 100) / 1e9)).append('\n');
            }
            sb.append(name).append("_sum{").append(label).append("} ")
                    .append(num(h.getMean() * h.getTotalCount() / 1e9)).append('\n');
            sb.append(name).append("_count{").append(label).append("} ").append(h.getTotalCount()).append('\n');
        }
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder sb, String name, ServedModel m, double v) {
        sb.append(name).append("{model=\"").append(escape(m.name())).append("\",emulator=\"")
                .append(m.infoIfKnown() != null && m.infoIfKnown().emulator()).append("\"} ").append(num(v)).append('\n');
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.9g", v);
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
