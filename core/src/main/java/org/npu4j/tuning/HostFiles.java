package org.npu4j.tuning;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The host's sysfs and procfs files, read and written under one root directory: {@code /} for the
 * machine npu4j runs on, or a fixture tree that mirrors {@code /sys} and {@code /proc} (tests, and
 * {@code npu4j diagnose --root DIR} on a copy taken from a board).
 *
 * <p>Paths are given as the host sees them ({@code "/proc/interrupts"}) and resolved under the
 * root. Content is read and written as ISO-8859-1, so a value read and written back is
 * byte-identical. Writes never create files: sysfs and procfs attributes exist or they do not.
 *
 * <p>Whether a file may be written is decided by a check that defaults to
 * {@link Files#isWritable(Path)} (false for root-owned sysfs files when not running as root) and
 * can be replaced, e.g. to simulate an unprivileged process on a fixture tree while tests run as
 * root ({@link #withWriteCheck(Predicate)}).
 *
 * <p>Immutable and thread-safe; the files themselves are not locked.
 */
public final class HostFiles {
    private final Path root;
    /** null: {@link Files#isWritable(Path)}. */
    private final @Nullable Predicate<String> writable;

    private HostFiles(Path root, @Nullable Predicate<String> writable) {
        this.root = root;
        this.writable = writable;
    }

    /** The files of the machine this JVM runs on (root {@code /}). */
    public static HostFiles system() {
        return at(Path.of("/"));
    }

    /**
     * The files under {@code root}, e.g. a fixture tree containing {@code sys/} and {@code proc/}.
     *
     * @throws IllegalArgumentException if {@code root} is not a directory
     */
    public static HostFiles at(Path root) {
        Path abs = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            throw new IllegalArgumentException("Host root " + abs + " is not a directory");
        }
        return new HostFiles(abs, null);
    }

    /**
     * The same files with another write check: {@code check.test("/proc/irq/93/smp_affinity_list")}
     * says whether that file may be written. {@code f -> false} simulates a process without root.
     */
    public HostFiles withWriteCheck(Predicate<String> check) {
        return new HostFiles(root, Objects.requireNonNull(check, "check"));
    }

    /** The root directory every host path is resolved under. */
    public Path root() {
        return root;
    }

    /** True when this is the running machine's own root ({@code /}) with the default write check. */
    public boolean isSystem() {
        return root.getParent() == null && writable == null;
    }

    /**
     * The real path of a host path.
     *
     * @param file an absolute host path such as {@code /sys/bus/pci/devices}
     * @throws IllegalArgumentException if {@code file} is not absolute
     */
    public Path resolve(String file) {
        if (!file.startsWith("/")) {
            throw new IllegalArgumentException("Host path must be absolute: " + file);
        }
        String rel = file.substring(1);
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    /** Whether the file or directory exists (symbolic links followed). */
    public boolean exists(String file) {
        return Files.exists(resolve(file));
    }

    /** Whether {@code file} is a directory. */
    public boolean isDirectory(String file) {
        return Files.isDirectory(resolve(file));
    }

    /**
     * The whole content of a file.
     *
     * @throws HostFileException if it does not exist or cannot be read
     */
    public String read(String file) {
        return new String(readBytes(file), StandardCharsets.ISO_8859_1);
    }

    /**
     * The whole content of a file as bytes (e.g. a PCI device's {@code config} space).
     *
     * @throws HostFileException if it does not exist or cannot be read
     */
    public byte[] readBytes(String file) {
        Path p = resolve(file);
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new HostFileException(file, p, "no such file", e);
        } catch (IOException e) {
            throw new HostFileException(file, p, "cannot read: " + e, e);
        }
    }

    /**
     * The content of a file that may legitimately be absent (an optional sysfs attribute).
     *
     * @throws HostFileException if it exists but cannot be read
     */
    public Optional<String> readIfPresent(String file) {
        return Files.exists(resolve(file)) ? Optional.of(read(file)) : Optional.empty();
    }

    /**
     * The names of a directory's entries, sorted; empty if the directory does not exist.
     *
     * @throws HostFileException if it exists but cannot be listed
     */
    public List<String> list(String dir) {
        Path p = resolve(dir);
        if (!Files.isDirectory(p)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
            for (Path e : ds) {
                names.add(e.getFileName().toString());
            }
        } catch (IOException e) {
            throw new HostFileException(dir, p, "cannot list directory: " + e, e);
        }
        names.sort(null);
        return names;
    }

    /** The file name a symbolic link points to (e.g. a device's {@code driver} link), if it is one. */
    public Optional<String> linkName(String file) {
        Path p = resolve(file);
        if (!Files.isSymbolicLink(p)) {
            return Optional.empty();
        }
        try {
            Path target = Files.readSymbolicLink(p);
            Path name = target.getFileName();
            return name == null ? Optional.empty() : Optional.of(name.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether the write check allows writing {@code file} (it must also be a regular file). */
    public boolean canWrite(String file) {
        Path p = resolve(file);
        if (!Files.exists(p) || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        return writable == null ? Files.isWritable(p) : writable.test(file);
    }

    /**
     * Writes {@code value} to an existing file in one write, truncating it (sysfs ignores the
     * truncation). Never creates a file.
     *
     * @throws HostFileException naming the file if it does not exist, is a directory, or the write
     *                           fails (for sysfs: the kernel rejected the value)
     */
    public void write(String file, String value) {
        Path p = resolve(file);
        if (Files.isDirectory(p)) {
            throw new HostFileException(file, p, "cannot write \"" + value.strip() + "\": it is a directory", null);
        }
        try {
            Files.write(p, value.getBytes(StandardCharsets.ISO_8859_1), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new HostFileException(file, p, "cannot write \"" + value.strip() + "\": no such file", e);
        } catch (IOException e) {
            throw new HostFileException(file, p, "cannot write \"" + value.strip() + "\": " + e, e);
        }
    }

    @Override
    public String toString() {
        return "HostFiles[" + root + "]";
    }
}
