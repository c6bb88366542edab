package org.npu4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line's subcommand registration (only the named one) and what help and a typo still get. */
class MainTest {
    private static final List<String> ALL = List.of("diagnose", "tune", "bench", "serve", "help");

    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt() {
        assertEquals(List.of("serve"), List.copyOf(Main.commandLine(new Main(), "serve", "--emulator").getSubcommands().keySet()));
        assertEquals(List.of("tune"), List.copyOf(Main.commandLine(new Main(), "-h", "tune").getSubcommands().keySet()));
    }

    @Test
    void helpNoSubcommandAndUnknownNamesGetThemAll() {
        assertEquals(ALL, List.copyOf(Main.commandLine(new Main()).getSubcommands().keySet()));
        assertEquals(ALL, List.copyOf(Main.commandLine(new Main(), "--help").getSubcommands().keySet()));
        assertEquals(ALL, List.copyOf(Main.commandLine(new Main(), "help", "serve").getSubcommands().keySet()));
        assertEquals(ALL, List.copyOf(Main.commandLine(new Main(), "srve").getSubcommands().keySet()));
    }

    @Test
    void helpListsEveryCommandAndATypoIsAnsweredWithTheRightName() {
        Cli help = Cli.run("--help");
        assertEquals(0, help.exitCode(), help.err());
        for (String name : ALL) {
            assertTrue(help.out().contains("  " + name + " "), name + " missing from:\n" + help.out());
        }
        Cli serveHelp = Cli.run("help", "serve");
        assertEquals(0, serveHelp.exitCode(), serveHelp.err());
        assertTrue(serveHelp.out().contains("--batch-window"), serveHelp.out());
        Cli typo = Cli.run("srve", "--emulator");
        assertEquals(2, typo.exitCode());
        assertTrue(typo.err().contains("serve"), "no suggestion in:\n" + typo.err());
    }
}
