package org.npu4j.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The requests of {@code npu4j serve --aot-training} (hidden): the build's training run of the launcher's
 * JDK AOT cache (samples/pom.xml, launcher.sh) starts the server on the emulator, sends each route one
 * request over loopback with a plain socket, and stops, so that the cache holds the classes a served
 * request loads and links (Jackson, the JDK HTTP server, the routes). Each request must answer with a
 * 2xx status, else the training run fails.
 */
final class TrainingRun {
    private TrainingRun() {}

    static void run(NpuServer server, String model) throws IOException {
        String chat = "{\"model\":\"" + model + "\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        request(server, "GET", "/v1/models", null);
        request(server, "GET", "/health", null);
        request(server, "GET", "/metrics", null);
        request(server, "GET", "/api/tags", null);
        request(server, "GET", "/api/ps", null);
        request(server, "GET", "/api/version", null);
        request(server, "POST", "/api/show", "{\"model\":\"" + model + "\"}");
        for (int i = 0; i < 2; i++) {
            request(server, "POST", "/v1/chat/completions", chat + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
            request(server, "POST", "/v1/chat/completions", chat + "}");
            request(server, "POST", "/v1/completions", "{\"model\":\"" + model + "\",\"max_tokens\":8,\"prompt\":\"hi\"}");
            request(server, "POST", "/api/chat", chat + "}");
            request(server, "POST", "/api/generate", "{\"model\":\"" + model + "\",\"stream\":false,\"prompt\":\"hi\"}");
        }
    }

    private static void request(NpuServer server, String method, String path, String body) throws IOException {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(60_000);
            byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n")
                    + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!answer.startsWith("HTTP/1.1 2")) {
                throw new IOException("training request " + method + " " + path + " answered "
                        + answer.lines().findFirst().orElse("nothing") + ": expected a 2xx status");
            }
        }
    }
}
