package org.npu4j.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code npu4j diagnose}: the board's state and what to change, as text or JSON. */
@Command(name = "diagnose", mixinStandardHelpOptions = true,
        description = {"Explain this board's state for NPU inference: CPUs and governors, big cores, the AX650N's",
            "PCIe link, MaxPayload/MaxReadReq and IRQs, the Rockchip NPU driver, the runtime libraries;",
            "then recommendations, each saying why. Reads files only; changes nothing."})
final class DiagnoseCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(names = "--json", description = "Write JSON (for machines) instead of text.")
    boolean json;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
            description = "Read /sys and /proc under DIR instead of / (a fixture or a copy from a board). Default: ${DEFAULT-VALUE}")
    Path root;

    @Option(names = {"-v", "--verbose"}, description = "Log what is read (slf4j info).")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        Diagnosis d = Diagnosis.of(main.files(root), System::getProperty, System::getenv);
        if (json) {
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            spec.commandLine().getOut().println(mapper.writeValueAsString(d));
        } else {
            spec.commandLine().getOut().print(d.render());
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
