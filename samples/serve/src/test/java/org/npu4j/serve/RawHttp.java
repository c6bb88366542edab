package org.npu4j.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, for tests that must close a connection at a chosen moment or read the
 * bytes as sent (chunk by chunk, leading whitespace included).
 */
final class RawHttp {
    private RawHttp() {}

    /** A status line, the header block (lower-cased names) and the decoded body. */
    record Response(int status, String head, String body) {
        boolean chunked() {
            return head.toLowerCase(Locale.ROOT).contains("transfer-encoding: chunked");
        }
    }

    /** Sends {@code POST path} with a JSON body and {@code Connection: close}; the answer is left unread. */
    static Socket post(NpuServer server, String path, String body) throws IOException {
        Socket s = new Socket(server.address().getAddress(), server.address().getPort());
        s.setSoTimeout(30_000);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
                + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return s;
    }

    /** {@code GET path}, read whole. */
    static Response get(NpuServer server, String path) throws IOException {
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return read(s.getInputStream());
        }
    }

    /** Posts and reads the whole answer. */
    static Response exchange(NpuServer server, String path, String body) throws IOException {
        try (Socket s = post(server, path, body)) {
            return read(s.getInputStream());
        }
    }

    /** The status line and headers, up to the blank line. */
    static String head(InputStream in) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (!seen.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed in the headers: " + seen);
            }
            seen.write(c);
        }
        return seen.toString(StandardCharsets.US_ASCII);
    }

    /** A whole answer: head, then the body by Content-Length or chunked encoding. */
    static Response read(InputStream in) throws IOException {
        String head = head(in);
        int status = Integer.parseInt(head.substring(9, 12));
        String lower = head.toLowerCase(Locale.ROOT);
        byte[] body;
        if (lower.contains("transfer-encoding: chunked")) {
            body = chunks(in);
        } else {
            int at = lower.indexOf("content-length:");
            int n = at < 0 ? 0 : Integer.parseInt(lower.substring(at + 15, lower.indexOf("\r\n", at)).strip());
            body = in.readNBytes(n);
        }
        return new Response(status, head, new String(body, StandardCharsets.UTF_8));
    }

    /** A chunked body, decoded, up to the last (empty) chunk. */
    static byte[] chunks(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            int n = Integer.parseInt(size.split(";")[0].strip(), 16);
            if (n == 0) {
                line(in); // the blank line after the last chunk (no trailers)
                return out.toByteArray();
            }
            out.write(in.readNBytes(n));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed in a chunk header");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }
}
