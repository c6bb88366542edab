package org.npu4j.tools;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;
import org.npu4j.NpuException;
import org.npu4j.tuning.HostFiles;
import org.npu4j.serve.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code npu4j} command line: {@code diagnose} explains a board's state and what to change,
 * {@code tune} changes it for as long as the command runs, {@code bench} measures models with and
 * without that tuning, {@code serve} serves LLMs over HTTP.
 */
@Command(name = "npu4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Diagnose, tune, benchmark and serve an edge board for NPU inference (Rockchip RK3588/RK3576 NPU, Axera AX650N on PCIe).",
        subcommands = {DiagnoseCommand.class, TuneCommand.class, BenchCommand.class, ServeCommand.class,
            CommandLine.HelpCommand.class})
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

    /** A command line wired with the error handling of {@link #main}. */
    static CommandLine commandLine(Main main) {
        CommandLine cl = new CommandLine(main);
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
        System.exit(commandLine(new Main()).execute(args));
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
