package org.medsa.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.medsa.data.inspect.InspectionText;
import org.medsa.data.inspect.Inspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code medsa inspect <file> [--json]}: shape, type, spacing, value range and labels of an image file. */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Describe a medical image: .nii, .nii.gz, DICOM (a file or a folder), .png, .jpg, .jpeg, .bmp.",
            "Prints shape (file axis order), stored dtype, spacing (mm), min/max/sum of the scaled",
            "values, the affine and orientation, and label counts when the image holds at most",
            "1000 distinct integer values."
        })
public final class InspectCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The image file, or a folder of DICOM files.")
    Path file;

    @Option(names = "--series", paramLabel = "UID", description = "The series to describe when a DICOM folder holds several.")
    String series;

    @Option(names = "--json", description = "Print one JSON object instead of a summary.")
    boolean json;

    @Mixin
    MedsaCli.VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        JsonObject result = Inspector.inspect(file, series);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? new GsonBuilder().setPrettyPrinting().create().toJson(result) + System.lineSeparator()
                : InspectionText.format(result));
        out.flush();
        return 0;
    }
}
