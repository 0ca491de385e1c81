package org.medsa.train.sam2;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.ImageFrame;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.SliceMasks;
import org.medsa.data.volume.VolumePair;

/**
 * Clips of consecutive slices for SAM 2's sequence training: the slices of labelled volumes along
 * one axis, as the model sees them (each volume's intensities mapped to gray levels by {@link
 * Intensity#auto}, then the model's frame transform), with one organ's mask per slice in the model
 * frame and a prompt on the clip's first slice: a click inside the organ or its jittered box.
 */
public final class SliceClips {

    /** One clip: T frames' model inputs (3, S, S), their targets (S, S) in {0, 1}, and the first frame's prompt. */
    public record Clip(List<float[]> inputs, List<float[]> targets, float[] points, int[] labels) {}

    /** One volume's slices along the axis. */
    private record Volume(String id, List<float[]> inputs, List<int[]> labels, int height, int width) {}

    private final List<Volume> volumes = new ArrayList<>();
    private final InputGeometry geometry;
    private final int frames;

    /**
     * Clips of {@code frames} slices along {@code axis} of {@code cases}, for a model whose input
     * geometry is {@code geometry}.
     *
     * @throws MedsaException for a case without labels or with fewer slices than a clip
     */
    public SliceClips(List<VolumePair> cases, List<String> ids, int axis, int frames, InputGeometry geometry) {
        if (frames < 2) {
            throw new MedsaException("a clip has at least 2 slices, got " + frames);
        }
        this.geometry = geometry;
        this.frames = frames;
        for (int c = 0; c < cases.size(); c++) {
            VolumePair v = cases.get(c);
            if (!v.hasLabel()) {
                throw new MedsaException(ids.get(c) + ": SAM 2 training needs labels");
            }
            ImageVolume gray = Intensity.auto().resolve(v.image()).apply(v.image());
            int n = v.grid().shape()[axis];
            if (n < frames) {
                throw new MedsaException(ids.get(c) + ": " + n + " slices along axis " + axis + ", fewer than a clip of "
                        + frames);
            }
            int[] hw = Slicer.sliceShape(v.grid(), axis);
            List<float[]> inputs = new ArrayList<>();
            List<int[]> labels = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                inputs.add(geometry.prepare(RgbImage.fromGray(Slicer.slice(gray, axis, k), hw[0], hw[1])).chw());
                labels.add(Slicer.slice(v.label(), axis, k));
            }
            volumes.add(new Volume(ids.get(c), inputs, labels, hw[0], hw[1]));
        }
    }

    /**
     * Clips of the {@code subset} cases of an MSD-layout dataset (its validation list, else a split
     * seeded by {@code seed}), slices along axis 2.
     *
     * @throws MedsaException naming the folder when it holds no such case
     */
    public static SliceClips of(Path msdRoot, Subset subset, long seed, int frames, InputGeometry geometry) {
        MsdDataset d = MsdDataset.slices(msdRoot).optSubset(subset).optSeed(seed).setSampling(1, false).build();
        List<VolumePair> cases = new ArrayList<>();
        for (String id : d.caseIds()) {
            cases.add(d.originalVolumes(id));
        }
        if (cases.isEmpty()) {
            throw new MedsaException(msdRoot + ": no " + subset + " cases");
        }
        return new SliceClips(cases, d.caseIds(), 2, frames, geometry);
    }

    /** Frames per clip. */
    public int frames() {
        return frames;
    }

    /**
     * A random clip: a volume, an organ shown on some slice, a direction, and T slices from that
     * slice on (moved back from the volume's end when needed, so the organ may leave the clip);
     * the first slice's prompt is a click (with {@code click}) or the organ's box, jittered.
     */
    public Clip sample(SplittableRandom r, boolean click) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            Volume v = volumes.get(r.nextInt(volumes.size()));
            int n = v.inputs().size();
            int start = r.nextInt(n);
            int[] first = v.labels().get(start);
            List<Integer> organs = new ArrayList<>();
            for (int l : first) {
                if (l != 0 && !organs.contains(l)) {
                    organs.add(l);
                }
            }
            if (organs.isEmpty()) {
                continue;
            }
            int organ = organs.get(r.nextInt(organs.size()));
            int step = r.nextBoolean() ? 1 : -1;
            int s0 = step > 0 ? Math.min(start, n - frames) : Math.max(start, frames - 1);
            if (v.labels().get(s0) == first || containsOrgan(v.labels().get(s0), organ)) {
                return clip(v, s0, step, organ, r, click);
            }
        }
        throw new MedsaException("no labelled slice to start a clip from");
    }

    private static boolean containsOrgan(int[] l, int organ) {
        for (int x : l) {
            if (x == organ) {
                return true;
            }
        }
        return false;
    }

    private Clip clip(Volume v, int start, int step, int organ, SplittableRandom r, boolean click) {
        ImageFrame f = geometry.frame(v.height(), v.width());
        int s = geometry.size();
        List<float[]> inputs = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
            int k = start + t * step;
            inputs.add(v.inputs().get(k));
            int[] l = v.labels().get(k);
            float[] plane = new float[l.length];
            for (int p = 0; p < l.length; p++) {
                plane[p] = l[p] == organ ? 1f : 0f;
            }
            float[] target = geometry.target(plane, f);
            for (int p = 0; p < target.length; p++) {
                target[p] = target[p] >= 0.5f ? 1f : 0f;
            }
            targets.add(target);
        }
        float[] t0 = targets.get(0);
        SliceMasks.Box box = SliceMasks.tightBox(p -> t0[p] > 0, s, s);
        if (box == null) { // the organ vanished in the resize: fall back to the original slice's box
            box = new SliceMasks.Box(0, 0, s - 1, s - 1);
        }
        if (click) {
            List<Integer> inside = new ArrayList<>();
            for (int p = 0; p < t0.length; p++) {
                if (t0[p] > 0) {
                    inside.add(p);
                }
            }
            int p = inside.isEmpty() ? (box.row0() + box.row1()) / 2 * s + (box.col0() + box.col1()) / 2
                    : inside.get(r.nextInt(inside.size()));
            return new Clip(inputs, targets, new float[] {p % s, p / s}, new int[] {1});
        }
        // the box, each side moved by up to 10 % of its size (at most 5 pixels), as SAM 2's training does
        double dx = Math.min(0.1 * (box.col1() - box.col0()), 5);
        double dy = Math.min(0.1 * (box.row1() - box.row0()), 5);
        float x0 = (float) clamp(box.col0() + (2 * r.nextDouble() - 1) * dx, s);
        float y0 = (float) clamp(box.row0() + (2 * r.nextDouble() - 1) * dy, s);
        float x1 = (float) clamp(box.col1() + (2 * r.nextDouble() - 1) * dx, s);
        float y1 = (float) clamp(box.row1() + (2 * r.nextDouble() - 1) * dy, s);
        return new Clip(inputs, targets, new float[] {Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)},
                new int[] {2, 3});
    }

    private static double clamp(double v, int size) {
        return Math.max(0, Math.min(size - 1, v));
    }
}
