package org.npu4j.tools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.function.Function;
import org.npu4j.tuning.HostFiles;
import picocli.CommandLine;

/** Runs the npu4j command line in-process with captured output. */
record Cli(int exitCode, String out, String err) {

    static Cli run(Function<Path, HostFiles> files, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(new Main(files), args); // as main builds it for these args
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    static Cli run(String... args) {
        return run(HostFiles::at, args);
    }
}
