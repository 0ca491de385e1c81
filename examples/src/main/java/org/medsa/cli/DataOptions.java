package org.medsa.cli;

import ai.djl.training.dataset.RandomAccessDataset;
import org.medsa.core.MedsaException;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SampleTransform;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the datasets the commands take: an MSD-layout folder or a 2D images/ + masks/ folder. */
final class DataOptions {

    private DataOptions() {}

    static boolean isMsd(Path dir) {
        return Files.isRegularFile(dir.resolve("dataset.json"));
    }

    static boolean isFolder(Path dir) {
        return Files.isDirectory(dir.resolve("images")) && Files.isDirectory(dir.resolve("masks"));
    }

    static void check(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new MedsaException(dir + ": no such dataset folder");
        }
        if (!isMsd(dir) && !isFolder(dir)) {
            throw new MedsaException(dir + ": not a dataset folder (expected dataset.json with imagesTr/ and labelsTr/,"
                    + " or images/ with masks/)");
        }
    }

    /**
     * The training or validation part, as 2D slices/images at their native size (or chunks of
     * {@code depth} slices when depth > 1); the model's input geometry resizes them.
     */
    static RandomAccessDataset open(Path dir, Subset subset, long seed, SampleTransform augmentation, int depth,
            int batch) {
        check(dir);
        if (isMsd(dir)) {
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
