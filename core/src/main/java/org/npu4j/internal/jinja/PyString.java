package org.npu4j.internal.jinja;

import com.fasterxml.jackson.annotation.JsonValue;
import com.hubspot.jinjava.util.HasObjectTruthValue;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A string as a Hugging Face chat template sees it: Python's {@code str} methods that templates call
 * ({@code startswith}, {@code endswith}, {@code split}, {@code strip}, {@code lstrip}, {@code rstrip}) and
 * Python's truth value (only the empty string is false; Jinjava would also call {@code "false"} false).
 * Semantics follow Python's {@code str} (a separator-less {@code split()} splits on runs of whitespace;
 * {@code strip()} without argument strips whitespace). Immutable.
 */
public final class PyString implements CharSequence, Comparable<PyString>, HasObjectTruthValue {
    private final String s;

    public PyString(String s) {
        this.s = s;
    }

    public boolean startswith(String prefix) {
        return s.startsWith(prefix);
    }

    public boolean endswith(String suffix) {
        return s.endsWith(suffix);
    }

    public List<PyString> split() {
        List<PyString> out = new ArrayList<>();
        for (String part : s.strip().split("\\s+")) {
            if (!part.isEmpty()) {
                out.add(new PyString(part));
            }
        }
        return out;
    }

    public List<PyString> split(String separator) {
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("split: empty separator");
        }
        List<PyString> out = new ArrayList<>();
        int from = 0;
        for (int at; (at = s.indexOf(separator, from)) >= 0; from = at + separator.length()) {
            out.add(new PyString(s.substring(from, at)));
        }
        out.add(new PyString(s.substring(from)));
        return out;
    }

    public PyString strip() {
        return new PyString(s.strip());
    }

    public PyString strip(@Nullable String chars) {
        return chars == null ? strip() : lstrip(chars).rstrip(chars);
    }

    public PyString lstrip() {
        return new PyString(s.stripLeading());
    }

    public PyString lstrip(@Nullable String chars) {
        return chars == null ? lstrip() : new PyString(lstrip(s, chars));
    }

    public PyString rstrip() {
        return new PyString(s.stripTrailing());
    }

    public PyString rstrip(@Nullable String chars) {
        return chars == null ? rstrip() : new PyString(rstrip(s, chars));
    }

    /** Python's {@code text.lstrip(chars)}: {@code text} without its leading characters found in {@code chars}. */
    public static String lstrip(String text, String chars) {
        int i = 0;
        while (i < text.length() && chars.indexOf(text.charAt(i)) >= 0) {
            i++;
        }
        return text.substring(i);
    }

    /** Python's {@code text.rstrip(chars)}: {@code text} without its trailing characters found in {@code chars}. */
    public static String rstrip(String text, String chars) {
        int i = text.length();
        while (i > 0 && chars.indexOf(text.charAt(i - 1)) >= 0) {
            i--;
        }
        return text.substring(0, i);
    }

    @Override
    public boolean getObjectTruthValue() {
        return !s.isEmpty();
    }

    @Override
    public int length() {
        return s.length();
    }

    @Override
    public char charAt(int index) {
        return s.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return s.subSequence(start, end);
    }

    @Override
    public int compareTo(PyString o) {
        return s.compareTo(o.s);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PyString p ? p.s.equals(s) : o instanceof String t && t.equals(s);
    }

    @Override
    public int hashCode() {
        return s.hashCode();
    }

    @JsonValue
    @Override
    public String toString() {
        return s;
    }
}
