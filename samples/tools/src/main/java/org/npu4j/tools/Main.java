package org.npu4j.tools;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.npu4j.NpuException;
import org.npu4j.tuning.HostFiles;
import org.npu4j.serve.NpuServer;
import org.npu4j.serve.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code npu4j} command line: {@code diagnose} explains a board's state and what to change,
 * {@code tune} changes it for as long as the command runs, {@code bench} measures models with and
 * without that tuning, {@code serve} serves LLMs over HTTP. The subcommands are registered by
 * {@link #commandLine(Main, String...)}, not listed in the annotation.
 */
@Command(name = "npu4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Diagnose, tune, benchmark and serve an edge board for NPU inference (Rockchip RK3588/RK3576 NPU, Axera AX650N on PCIe).")
public final class Main {
    private final Function<Path, HostFiles> hostFiles;

    /** The command on this machine's files (write check: the file's permissions). */
    public Main() {
        this(HostFiles::at);
    }

    /** @param hostFiles how a {@code --root} directory becomes {@link HostFiles} (tests force the write check) */
    Main(Function<Path, HostFiles> hostFiles) {
        this.hostFiles = hostFiles;
    }

    HostFiles files(Path root) {
        return hostFiles.apply(root);
    }

    /**
     * The subcommands, in the order help lists them. {@link #commandLine(Main, String...)} builds picocli's
     * model only for the one a command line names: picocli's classes are Java 5 class files, which the JDK's
     * AOT cache cannot hold, so each command's model costs interpreted reflection at every start
     * (tens of milliseconds each, of {@code npu4j serve}'s start to its first answer: README, "Serve models").
     */
    private static final List<String> SUBCOMMANDS = List.of("diagnose", "tune", "bench", "serve", "help");

    /** A new instance of subcommand {@code name} (one of {@link #SUBCOMMANDS}). */
    private static Object subcommand(String name) {
        // a switch, not a map of constructor references: the JDK 25 AOT cache assembly crashed on archiving
        // such a map's lambdas (archiveHeapWriter.cpp guarantee "Metadata ... should have been archived")
        return switch (name) {
            case "diagnose" -> new DiagnoseCommand();
            case "tune" -> new TuneCommand();
            case "bench" -> new BenchCommand();
            case "serve" -> new ServeCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no subcommand " + name + ": expected one of " + SUBCOMMANDS);
        };
    }

    /** The first argument that is not an option (the subcommand's name), or "help" if there is none. */
    private static String named(String... args) {
        return Arrays.stream(args).filter(a -> !a.startsWith("-")).findFirst().orElse("help");
    }

    /** A command line with every subcommand, wired with the error handling of {@link #main}. */
    static CommandLine commandLine(Main main) {
        return commandLine(main, "help");
    }

    /**
     * A command line wired with the error handling of {@link #main}, for {@code args}: when its first
     * argument that is not an option names a subcommand other than {@code help}, only that subcommand is
     * registered (the others are never parsed or run by such a command line); otherwise all of them are,
     * for help, the usage message and picocli's suggestions for a misspelt name.
     */
    static CommandLine commandLine(Main main, String... args) {
        CommandLine cl = new CommandLine(main);
        String named = named(args);
        if (!named.equals("help") && SUBCOMMANDS.contains(named)) {
            cl.addSubcommand(named, subcommand(named));
        } else {
            for (String name : SUBCOMMANDS) {
                cl.addSubcommand(name, subcommand(name));
            }
        }
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof NpuException || e instanceof IllegalArgumentException) {
                line.getErr().println("npu4j: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cl;
    }

    /** Runs the command and exits with its status. */
    public static void main(String[] args) {
        if (Arrays.asList(args).contains("-v") || Arrays.asList(args).contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        }
        if (named(args).equals("serve")) {
            NpuServer.prepare(); // on the other core while picocli builds its model (README, "Serve models over HTTP")
        }
        System.exit(commandLine(new Main(), args).execute(args));
    }

    /** The version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"npu4j " + (v == null ? "(development build)" : v) + " on Java "
                    + Runtime.version()};
        }
    }
}
