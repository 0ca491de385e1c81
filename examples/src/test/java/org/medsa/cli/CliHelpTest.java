package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every option of every command says what it does, and the device option has one name everywhere. */
class CliHelpTest {

    @Test
    void everyOptionHasHelpText() {
        CommandLine cli = new CommandLine(new MedsaCli());
        List<String> missing = new ArrayList<>();
        int options = 0;
        for (CommandLine sub : cli.getSubcommands().values()) {
            CommandSpec spec = sub.getCommandSpec();
            for (OptionSpec o : spec.options()) {
                options++;
                String text = String.join(" ", o.description()).trim();
                if (text.isEmpty()) {
                    missing.add(spec.name() + " " + o.longestName());
                }
            }
            for (var p : spec.positionalParameters()) {
                if (String.join(" ", p.description()).trim().isEmpty()) {
                    missing.add(spec.name() + " " + p.paramLabel());
                }
            }
        }
        assertTrue(options > 80, "found only " + options + " options");
        assertEquals(List.of(), missing, "options without help text");
    }

    @Test
    void everyModelCommandTakesDeviceWithTheOtherNameAsAlias() {
        CommandLine cli = new CommandLine(new MedsaCli());
        for (String name : List.of("predict", "segment", "eval", "train", "pretrain")) {
            OptionSpec o = cli.getSubcommands().get(name).getCommandSpec().findOption("--device");
            assertTrue(o != null, name + " has --device");
            assertTrue(List.of(o.names()).contains("--devices"), name + " accepts --devices as an alias");
        }
    }

    @Test
    void argumentErrorsAreOneLineWithExitCode2() {
        CliRunner.Result r = CliRunner.run("train", "--model", "vit_b", "--bogus");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        r = CliRunner.run("phantom", "--size", "4,4,4", "--out", "/tmp/medsa-never-written");
        assertEquals(2, r.exitCode());
        assertEquals("error: phantom size must be at least 8x8x1, got 4x4x4", r.err().strip());
    }
}
