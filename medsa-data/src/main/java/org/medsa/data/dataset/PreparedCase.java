package org.medsa.data.dataset;

import org.medsa.data.volume.Grid;
import org.medsa.data.volume.VolumePair;

/** A case after preprocessing, with the geometry of the file it came from. */
public final class PreparedCase {

    private final String caseId;
    private final VolumePair volumes;
    private final Grid originalGrid;

    /** A prepared case; {@code originalGrid} is the image file's grid before preprocessing. */
    public PreparedCase(String caseId, VolumePair volumes, Grid originalGrid) {
        this.caseId = caseId;
        this.volumes = volumes;
        this.originalGrid = originalGrid;
    }

    /** The image file name without {@code .nii.gz}. */
    public String caseId() {
        return caseId;
    }

    /** Preprocessed image ([0, 1] after the default pipelines) and labels, same grid. */
    public VolumePair volumes() {
        return volumes;
    }

    /** The grid of the image file as stored (before reorientation, cropping or resampling). */
    public Grid originalGrid() {
        return originalGrid;
    }

    /** Bytes held in memory (image floats plus label ints). */
    long memoryBytes() {
        long n = volumes.grid().voxelCount();
        return 4 * n + (volumes.hasLabel() ? 4 * n : 0);
    }
}
