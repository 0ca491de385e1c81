package org.medsa.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.core.MedsaException;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code medsa phantom}: writes the built-in synthetic CT/MR-like dataset in the MSD layout. */
@Command(name = "phantom", mixinStandardHelpOptions = true,
        description = "Write a synthetic multi-organ dataset (MSD layout: dataset.json, imagesTr/, labelsTr/).")
public final class PhantomCommand implements Callable<Integer> {

    @Option(names = "--rendering", defaultValue = "ct", paramLabel = "<ct|mr>",
            description = "Intensity rendering (default ${DEFAULT-VALUE}).")
    String rendering;
    @Option(names = "--cases", defaultValue = "12", paramLabel = "N",
            description = "Number of volumes (default ${DEFAULT-VALUE}).")
    int cases;
    @Option(names = "--validation", paramLabel = "N",
            description = "Cases listed for validation (default: a fifth).") Integer validation;
    @Option(names = "--size", defaultValue = "64,48,32", paramLabel = "nx,ny,nz",
            description = "Voxels per volume (default ${DEFAULT-VALUE}; at least 8,8,1).")
    String size;
    @Option(names = "--seed", defaultValue = "7", paramLabel = "N",
            description = "Seed of the anatomy and noise (default ${DEFAULT-VALUE}); the same seed gives the same volumes.")
    long seed;
    @Option(names = "--out", required = true, paramLabel = "<dir>", description = "A new (or empty) folder for the dataset.")
    Path out;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() {
        Rendering r;
        try {
            r = Rendering.valueOf(rendering.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new MedsaException("--rendering must be ct or mr, got '" + rendering + "'");
        }
        String[] s = size.split(",");
        if (s.length != 3) {
            throw new MedsaException("--size expects nx,ny,nz, got '" + size + "'");
        }
        int[] n = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                n[i] = Integer.parseInt(s[i].trim());
            } catch (NumberFormatException e) {
                throw new MedsaException("--size: '" + s[i] + "' is not a whole number");
            }
        }
        Phantom.Builder b = Phantom.builder().seed(seed).size(n[0], n[1], n[2]).cases(cases).rendering(r);
        if (validation != null) {
            b.validationCases(validation);
        }
        long t = System.nanoTime();
        Path root = b.build().writeMsd(out);
        System.out.printf(Locale.ROOT, "wrote %d %s phantom cases (%dx%dx%d) to %s in %.1f s%n", cases, r, n[0], n[1], n[2], root,
                (System.nanoTime() - t) / 1e9);
        return 0;
    }
}
