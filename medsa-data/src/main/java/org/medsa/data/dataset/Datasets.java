package org.medsa.data.dataset;

import ai.djl.training.dataset.RandomAccessDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.data.transforms.SampleTransform;

/**
 * Opens a dataset folder by its layout: a Medical Segmentation Decathlon folder ({@code
 * dataset.json}, {@code imagesTr/}, {@code labelsTr/}: {@link MsdDataset}) or a 2D folder of
 * {@code images/} and {@code masks/} ({@link ImageMaskFolderDataset}). The one place that tells the
 * layouts apart, for training, pre-training and the command line.
 */
public final class Datasets {

    /** The layouts a dataset folder can have. */
    public enum Layout {
        /** dataset.json with imagesTr/ and labelsTr/. */
        MSD,
        /** images/ with masks/. */
        IMAGE_MASK_FOLDER
    }

    private Datasets() {}

    /**
     * The layout of {@code dir}.
     *
     * @throws MedsaException if it is not a folder or has neither layout
     */
    public static Layout layout(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new MedsaException(dir + ": no such dataset folder");
        }
        if (Files.isRegularFile(dir.resolve("dataset.json"))) {
            return Layout.MSD;
        }
        if (Files.isDirectory(dir.resolve("images")) && Files.isDirectory(dir.resolve("masks"))) {
            return Layout.IMAGE_MASK_FOLDER;
        }
        throw new MedsaException(dir + ": not a dataset folder (expected dataset.json with imagesTr/ and labelsTr/,"
                + " or images/ with masks/)");
    }

    /**
     * The training or validation part of a dataset folder as 2D slices or images at their native
     * size (or chunks of {@code depth} slices when depth &gt; 1), sampled in batches of {@code
     * batch}; the model's input geometry resizes them.
     *
     * @param augmentation random transforms of training samples, or null for none
     * @throws MedsaException for a folder of neither layout, or chunks asked of a 2D folder
     */
    public static RandomAccessDataset open(Path dir, Subset subset, long seed, SampleTransform augmentation, int depth,
            int batch) {
        if (layout(dir) == Layout.MSD) {
            MsdDataset.Builder b = depth > 1 ? MsdDataset.chunks(dir, depth) : MsdDataset.slices(dir);
            b.optSubset(subset).optSeed(seed).setSampling(batch, false);
            if (augmentation != null) {
                b.optAugmentation(augmentation);
            }
            return b.build();
        }
        if (depth > 1) {
            throw new MedsaException(dir + ": a 2D folder dataset has no slices to chunk (drop --volumetric)");
        }
        ImageMaskFolderDataset.Builder b = ImageMaskFolderDataset.builder(dir).optSubset(subset).optSeed(seed)
                .setSampling(batch, false);
        if (augmentation != null) {
            b.optAugmentation(augmentation);
        }
        return b.build();
    }
}
