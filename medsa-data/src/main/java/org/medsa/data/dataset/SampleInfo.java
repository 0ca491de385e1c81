package org.medsa.data.dataset;

import java.nio.file.Path;
import org.medsa.data.volume.Grid;

/**
 * Plain-Java description of one sample of an {@link MsdDataset}: which case, slice(s) and organ
 * it shows, and the geometry needed to put predictions back into the volume.
 */
public final class SampleInfo {

    private final String caseId;
    private final int axis;
    private final int firstSlice;
    private final int depth;
    private final int organLabel;
    private final String organName;
    private final double[] sliceSpacing;
    private final double sliceThickness;
    private final int height;
    private final int width;
    private final Grid preprocessedGrid;
    private final Grid originalGrid;
    private final Path imagePath;
    private final Path labelPath;

    SampleInfo(String caseId, int axis, int firstSlice, int depth, int organLabel, String organName,
            double[] sliceSpacing, double sliceThickness, int height, int width,
            Grid preprocessedGrid, Grid originalGrid, Path imagePath, Path labelPath) {
        this.caseId = caseId;
        this.axis = axis;
        this.firstSlice = firstSlice;
        this.depth = depth;
        this.organLabel = organLabel;
        this.organName = organName;
        this.sliceSpacing = sliceSpacing;
        this.sliceThickness = sliceThickness;
        this.height = height;
        this.width = width;
        this.preprocessedGrid = preprocessedGrid;
        this.originalGrid = originalGrid;
        this.imagePath = imagePath;
        this.labelPath = labelPath;
    }

    /** The image file name without .nii.gz, e.g. "spleen_2". */
    public String caseId() {
        return caseId;
    }

    /** Axis of the preprocessed (by default RAS) volume the slices cut across: 2 = axial. */
    public int axis() {
        return axis;
    }

    /** Index of the (first) slice along {@link #axis()} in the preprocessed volume. */
    public int sliceIndex() {
        return firstSlice;
    }

    /** 1 for slice datasets, D for chunk datasets. */
    public int depth() {
        return depth;
    }

    /** The label value the binary target is made of. */
    public int organLabel() {
        return organLabel;
    }

    /** Its name from dataset.json's "labels". */
    public String organName() {
        return organName;
    }

    /** Pixel spacing (row, col) in mm of the slice. */
    public double[] sliceSpacing() {
        return sliceSpacing.clone();
    }

    /** Spacing along the slicing axis in mm. */
    public double sliceThickness() {
        return sliceThickness;
    }

    /** Slice height (rows). */
    public int height() {
        return height;
    }

    /** Slice width (cols). */
    public int width() {
        return width;
    }

    /** The grid of the preprocessed volume the slice was cut from. */
    public Grid preprocessedGrid() {
        return preprocessedGrid;
    }

    /** The grid of the original image file (shape, spacing, affine, orientation). */
    public Grid originalGrid() {
        return originalGrid;
    }

    /** The case's image file. */
    public Path imagePath() {
        return imagePath;
    }

    /** The case's label file. */
    public Path labelPath() {
        return labelPath;
    }

    @Override
    public String toString() {
        return caseId + " axis " + axis + " slice " + firstSlice + (depth > 1 ? "+" + depth : "") + " organ "
                + organLabel + " (" + organName + ")";
    }
}
