package org.medsa.data.dataset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Record;
import org.medsa.core.Seeds;
import org.medsa.data.transforms.Sample;

/** Turns samples into DJL records with the layout documented on {@link MsdDataset}. */
final class Records {

    private Records() {}

    /**
     * @param stacked true for chunk layout (D, 3, H, W) / (D, 1, H, W); false for a single slice
     *     (3, H, W) / (1, H, W), which requires depth 1
     */
    static Record toRecord(NDManager manager, Sample s, boolean stacked) {
        int d = s.depth(), h = s.height(), w = s.width();
        float[] image = toThreeChannels(s);
        NDArray img;
        NDArray tgt;
        if (stacked) {
            img = manager.create(image, new Shape(d, 3, h, w));
            tgt = manager.create(s.target(), new Shape(d, 1, h, w));
        } else {
            if (d != 1) {
                throw new IllegalStateException("a slice record needs depth 1, got " + d);
            }
            img = manager.create(image, new Shape(3, h, w));
            tgt = manager.create(s.target(), new Shape(1, h, w));
        }
        img.setName("image");
        tgt.setName("target");
        return new Record(new NDList(img), new NDList(tgt));
    }

    /** (D, 3, H, W): gray repeated to three channels, colour kept. */
    static float[] toThreeChannels(Sample s) {
        if (s.channels() == 3) {
            return s.image();
        }
        if (s.channels() != 1) {
            throw new IllegalStateException("samples must have 1 or 3 channels, got " + s.channels());
        }
        int plane = s.height() * s.width();
        float[] out = new float[s.depth() * 3 * plane];
        for (int z = 0; z < s.depth(); z++) {
            for (int c = 0; c < 3; c++) {
                System.arraycopy(s.image(), z * plane, out, (z * 3 + c) * plane, plane);
            }
        }
        return out;
    }

    /** A reproducible per-sample random seed from the dataset seed, epoch and index. */
    static long sampleSeed(long seed, int epoch, long index) {
        return Seeds.mix(seed, epoch, index, 0);
    }
}
