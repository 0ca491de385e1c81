package org.medsa.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.medsa.core.MedsaException;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.SampleInfo;
import org.medsa.data.transforms.Sample;

/**
 * What the trainer and the validator need of a dataset: its size, slices per sample (D for
 * SD-Trans chunks), each sample at its native size on the host, and the epoch for seeded
 * augmentations. Samples are not resized here: the model's {@link
 * org.medsa.core.geometry.InputGeometry} brings them into its frame, as it does at inference.
 */
public interface TrainingData {

    /** Number of samples. */
    long size();

    /** Slices per sample: 1 for 2D data, D for chunks of D slices. */
    int depth();

    /**
     * Sample {@code index}: image (D, C, H, W) on a 0–255 scale with C = 1 (gray) or 3 (RGB), target
     * (D, H, W) in [0, 1], at the native size.
     */
    Sample sample(long index);

    /**
     * The structure a sample's target shows (MSD: the organ's name; default "foreground").
     * Validation pools Dice per (image id, organ) and averages per organ, as evaluation does.
     */
    default String organ(long index) {
        return "foreground";
    }

    /** Which image a sample shows: a volume's id and slice, or a 2D image's name and slice 0. */
    record ImageKey(String id, int slice) {}

    /**
     * The image sample {@code index} is cut from; samples of one image (one organ each) are
     * segmented together in validation, with the clicks evaluation draws for that image.
     */
    default ImageKey image(long index) {
        return new ImageKey(Long.toString(index), 0);
    }

    /** Selects the augmentation stream of an epoch. */
    void setEpoch(int epoch);

    /**
     * The volumes the samples are cut from, for evaluation's 3D settings (SAM 2's validation: {@code
     * 3d-1-point} on these volumes); null when the data are not an MSD-layout dataset.
     */
    default MsdDataset volumes() {
        return null;
    }

    /**
     * Wraps a dataset: {@link MsdDataset} (validation pools each organ of each volume), {@link
     * ImageMaskFolderDataset} (each image on its own), or any DJL dataset whose records hold an
     * image (3, H, W) or (D, 3, H, W) on a 0–255 scale and a target (1, H, W) or (D, 1, H, W).
     */
    static TrainingData of(RandomAccessDataset dataset) {
        return new TrainingData() {
            @Override
            public long size() {
                return dataset.size();
            }

            @Override
            public int depth() {
                return dataset instanceof MsdDataset m ? m.depth() : 1;
            }

            @Override
            public Sample sample(long index) {
                if (dataset instanceof MsdDataset m) {
                    return m.sample(index);
                }
                if (dataset instanceof ImageMaskFolderDataset f) {
                    return f.sample(index);
                }
                try (NDManager manager = NDManager.newBaseManager()) {
                    Record r = dataset.get(manager, index);
                    return fromArrays(r.getData().singletonOrThrow(), r.getLabels().singletonOrThrow());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public String organ(long index) {
                return dataset instanceof MsdDataset m ? m.info(index).organName() : "foreground";
            }

            @Override
            public ImageKey image(long index) {
                if (dataset instanceof MsdDataset m) {
                    SampleInfo info = m.info(index);
                    return new ImageKey(info.caseId(), info.sliceIndex());
                }
                if (dataset instanceof ImageMaskFolderDataset f) {
                    return new ImageKey(f.info(index).stem(), 0);
                }
                return new ImageKey(Long.toString(index), 0);
            }

            @Override
            public MsdDataset volumes() {
                return dataset instanceof MsdDataset m ? m : null;
            }

            @Override
            public void setEpoch(int epoch) {
                if (dataset instanceof MsdDataset m) {
                    m.setEpoch(epoch);
                } else if (dataset instanceof ImageMaskFolderDataset f) {
                    f.setEpoch(epoch);
                }
            }
        };
    }

    /** A sample from record arrays: image (C, H, W) or (D, C, H, W), target (1, H, W) or (D, 1, H, W). */
    private static Sample fromArrays(NDArray image, NDArray target) {
        long[] s = image.getShape().getShape();
        boolean chunk = s.length == 4;
        int depth = chunk ? (int) s[0] : 1;
        int channels = (int) s[chunk ? 1 : 0];
        int h = (int) s[chunk ? 2 : 1];
        int w = (int) s[chunk ? 3 : 2];
        if ((s.length != 3 && s.length != 4) || target.getShape().size() != (long) depth * h * w) {
            throw new MedsaException("a record must hold an image (C, H, W) or (D, C, H, W) and a target of"
                    + " the same H, W; got " + image.getShape() + " and " + target.getShape());
        }
        return new Sample(depth, channels, h, w, image.toFloatArray(), target.toFloatArray());
    }
}
