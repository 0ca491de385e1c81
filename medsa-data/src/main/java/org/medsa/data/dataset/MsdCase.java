package org.medsa.data.dataset;

import java.nio.file.Path;

/**
 * One labelled case of an MSD-layout dataset: its id (the image file name without
 * {@code .nii.gz}), and image and label paths (resolved against the dataset root) together with
 * the names as written in {@code dataset.json} (used in messages).
 */
public final class MsdCase {

    private final String caseId;
    private final Path image;
    private final Path label;
    private final String imageName;
    private final String labelName;

    /** A case; {@code imageName} and {@code labelName} are the paths as written in {@code dataset.json}. */
    public MsdCase(String caseId, Path image, Path label, String imageName, String labelName) {
        this.caseId = caseId;
        this.image = image;
        this.label = label;
        this.imageName = imageName;
        this.labelName = labelName;
    }

    /** The image file name without {@code .nii.gz}, e.g. "spleen_2". */
    public String caseId() {
        return caseId;
    }

    /** The image file, resolved against the dataset root. */
    public Path image() {
        return image;
    }

    /** The label file, resolved against the dataset root. */
    public Path label() {
        return label;
    }

    /** The image path relative to the dataset root, e.g. "imagesTr/spleen_2.nii.gz". */
    public String imageName() {
        return imageName;
    }

    /** The label path relative to the dataset root, e.g. "labelsTr/spleen_2.nii.gz". */
    public String labelName() {
        return labelName;
    }

    @Override
    public String toString() {
        return caseId;
    }
}
