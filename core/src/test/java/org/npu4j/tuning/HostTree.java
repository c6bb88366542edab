package org.npu4j.tuning;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Writes a fixture tree that mirrors a host's /sys and /proc, and snapshots its bytes. */
final class HostTree {
    final Path root;

    HostTree(Path root) {
        this.root = root;
    }

    Path path(String hostPath) {
        return root.resolve(hostPath.substring(1));
    }

    HostTree file(String hostPath, String content) {
        return bytes(hostPath, content.getBytes(StandardCharsets.ISO_8859_1));
    }

    HostTree bytes(String hostPath, byte[] content) {
        Path p = path(hostPath);
        try {
            Files.createDirectories(p.getParent());
            Files.write(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    HostTree dir(String hostPath) {
        try {
            Files.createDirectories(path(hostPath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    HostTree delete(String hostPath) {
        try {
            Files.delete(path(hostPath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    String read(String hostPath) {
        try {
            return Files.readString(path(hostPath), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HostFiles files() {
        return HostFiles.at(root);
    }

    /** Every regular file's bytes, by path relative to the root. */
    Map<String, String> snapshot() {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(p -> {
                try {
                    out.put(root.relativize(p).toString(), new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
