package org.npu4j.abi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What native/probe printed for one ABI: sizes, alignments and field offsets as gcc laid them
 * out, and each function's signature in canonical kinds.
 *
 * <p>Format, one record per line: {@code struct|union NAME size=N align=N},
 * {@code field NAME PATH offset=N size=N}, {@code function NAME ret=KIND params=KIND,KIND}.
 */
record ProbeReport(Map<String, Aggregate> aggregates, Map<String, Signature> functions) {

    record Aggregate(String name, boolean union, long size, long align, Map<String, Field> fields) {}

    record Field(String path, long offset, long size) {}

    record Signature(String name, String ret, List<String> params) {}

    static ProbeReport read(Path file) throws IOException {
        Map<String, Aggregate> aggregates = new LinkedHashMap<>();
        Map<String, Signature> functions = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] t = line.trim().split("\\s+");
            try {
                switch (t[0]) {
                    case "struct", "union" -> aggregates.put(t[1], new Aggregate(t[1], t[0].equals("union"),
                            value(t[2], "size"), value(t[3], "align"), new LinkedHashMap<>()));
                    case "field" -> {
                        Aggregate owner = aggregates.get(t[1]);
                        if (owner == null) {
                            throw new IllegalArgumentException("field of undeclared aggregate " + t[1]);
                        }
                        owner.fields().put(t[2], new Field(t[2], value(t[3], "offset"), value(t[4], "size")));
                    }
                    case "function" -> {
                        String params = text(t[3], "params");
                        functions.put(t[1], new Signature(t[1], text(t[2], "ret"),
                                params.isEmpty() ? List.of() : List.of(params.split(","))));
                    }
                    default -> throw new IllegalArgumentException("unknown record " + t[0]);
                }
            } catch (RuntimeException e) {
                throw new IOException(file + ":" + lineNo + ": cannot parse '" + line + "': " + e.getMessage(), e);
            }
        }
        if (aggregates.isEmpty() || functions.isEmpty()) {
            throw new IOException(file + ": no struct or no function records: is the probe output complete?");
        }
        return new ProbeReport(aggregates, functions);
    }

    private static long value(String token, String key) {
        return Long.parseLong(text(token, key));
    }

    private static String text(String token, String key) {
        if (!token.startsWith(key + "=")) {
            throw new IllegalArgumentException("expected " + key + "=..., got " + token);
        }
        return token.substring(key.length() + 1);
    }
}
