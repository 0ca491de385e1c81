package org.medsa.train.training;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.MsdDataset;

/**
 * What the trainer needs of a dataset: its size, slices per sample (D for SD-Trans chunks), the
 * (image, target) arrays of a sample, and the epoch for seeded augmentations.
 */
public interface TrainingData {

    long size();

    /** Slices per sample: 1 for 2D data, D for chunks of D slices. */
    int depth();

    /** [image (3, H, W) or (D, 3, H, W) on a 0–255 scale, target (1, H, W) or (D, 1, H, W)]. */
    NDList get(NDManager manager, long index);

    void setEpoch(int epoch);

    /** Wraps the datasets of medsa-data. */
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
            public NDList get(NDManager manager, long index) {
                try {
                    Record r = dataset.get(manager, index);
                    return new NDList(r.getData().singletonOrThrow(), r.getLabels().singletonOrThrow());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
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
}
