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

    public MsdCase(String caseId, Path image, Path label, String imageName, String labelName) {
        this.caseId = caseId;
        this.image = image;
        this.label = label;
        this.imageName = imageName;
        this.labelName = labelName;
    }

    public String caseId() {
        return caseId;
    }

    public Path image() {
        return image;
    }

    public Path label() {
        return label;
    }

    /** The image path relative to the dataset root, e.g. "imagesTr/spleen_2.nii.gz". */
    public String imageName() {
        return imageName;
    }

    public String labelName() {
        return labelName;
    }

    @Override
    public String toString() {
        return caseId;
    }
}
