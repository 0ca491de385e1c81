package org.medsa.data.dataset;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;

/**
 * Writes a dataset in the Medical Segmentation Decathlon layout that {@link MsdDataset} reads:
 * {@code imagesTr/<case>.nii.gz}, {@code labelsTr/<case>.nii.gz} and {@code dataset.json} with
 * the modality, the label names and the training/validation lists. The one way the library writes
 * MSD folders (the phantom, the examples). Everything goes into a folder beside the target that
 * {@link #finish} puts in place, so a killed job leaves no half dataset (and {@link #close}
 * removes the unfinished folder of a failed one).
 *
 * <pre>{@code
 * try (MsdWriter w = MsdWriter.create(root, "ch2-hippocampus", Map.of(0, "MRI"), Map.of(0, "background", 1, "hippocampus"))) {
 *     w.add("ch2_even", image, label, false);
 *     w.add("ch2_odd", image2, label2, true);
 *     w.finish();
 * }
 * }</pre>
 */
public final class MsdWriter implements AutoCloseable {

    private final Path root;
    private final Path work;
    private final String name;
    private final Map<Integer, String> modalities;
    private final Map<Integer, String> labels;
    private final List<String[]> training = new ArrayList<>();
    private final List<String[]> validation = new ArrayList<>();
    private String description;
    private boolean finished;

    private MsdWriter(Path root, String name, Map<Integer, String> modalities, Map<Integer, String> labels) {
        this.root = root;
        this.name = name;
        this.modalities = new LinkedHashMap<>(modalities);
        this.labels = new LinkedHashMap<>(labels);
        this.work = AtomicFiles.temporarySibling(root);
    }

    /**
     * Starts a dataset in {@code root}, which must not exist or be an empty folder.
     *
     * @param modalities channel index → modality ("CT", "MRI", ...); "CT" selects the CT window
     * @param labels label value → name, background (0) included
     * @throws MedsaException if {@code root} is a file or a folder that is not empty
     */
    public static MsdWriter create(Path root, String name, Map<Integer, String> modalities, Map<Integer, String> labels) {
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.list(root)) {
                if (s.findAny().isPresent()) {
                    throw new MedsaException(root + ": already exists and is not empty; write the dataset into a new folder");
                }
            } catch (IOException e) {
                throw new MedsaException(root + ": cannot read (" + AtomicFiles.reason(e) + ")", e);
            }
        } else if (Files.exists(root)) {
            throw new MedsaException(root + ": is a file, not a folder");
        }
        return new MsdWriter(root, name, modalities, labels);
    }

    /** A "description" entry for dataset.json. */
    public MsdWriter description(String text) {
        this.description = text;
        return this;
    }

    /**
     * Writes one case: {@code image} to {@code imagesTr/<caseId>.nii.gz} and {@code label} to
     * {@code labelsTr/<caseId>.nii.gz}, listed under "validation" or "training".
     */
    public MsdWriter add(String caseId, NiftiImage image, NiftiImage label, boolean isValidation) {
        String imageName = "imagesTr/" + caseId + ".nii.gz";
        String labelName = "labelsTr/" + caseId + ".nii.gz";
        NiftiWriter.write(image, work.resolve(imageName));
        NiftiWriter.write(label, work.resolve(labelName));
        (isValidation ? validation : training).add(new String[] {"./" + imageName, "./" + labelName});
        return this;
    }

    /** Writes dataset.json and puts the dataset in place; returns the dataset's folder. */
    public Path finish() {
        JsonObject json = MsdDescriptor.toJson(name, modalities, labels, training, validation);
        if (description != null) {
            json.addProperty("description", description);
        }
        AtomicFiles.writeString(work.resolve("dataset.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));
        AtomicFiles.replaceFolder(work, root);
        finished = true;
        return root;
    }

    /** Removes the folder of a dataset that was not finished. */
    @Override
    public void close() {
        if (!finished) {
            try {
                AtomicFiles.deleteTree(work);
            } catch (IOException ignored) {
                // a leftover hidden folder beside the root; the next create() is not affected
            }
        }
    }
}
