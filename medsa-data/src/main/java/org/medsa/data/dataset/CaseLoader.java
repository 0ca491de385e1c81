package org.medsa.data.dataset;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.transforms.VolumeTransform;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumeFiles;
import org.medsa.data.volume.VolumePair;

/**
 * Checks and loads one MSD case. Problems are added to a list (each naming the file) instead of
 * thrown, so that a dataset build can report all bad files at once.
 */
final class CaseLoader {


    private final int channel;
    private final VolumeTransform pipeline;
    private final Set<Integer> declaredLabels;

    private final Diagnostics diagnostics;

    CaseLoader(int channel, VolumeTransform pipeline, Set<Integer> declaredLabels, Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
        this.channel = channel;
        this.pipeline = pipeline;
        this.declaredLabels = declaredLabels;
    }

    /**
     * Header-level checks: both files exist and parse, shapes, spacings and orientations agree,
     * and the requested channel exists. Returns false (after adding problems) when the case is bad.
     */
    boolean check(MsdCase c, List<String> problems) {
        int before = problems.size();
        NiftiHeader image = header(c.image(), c.imageName(), problems);
        NiftiHeader label = header(c.label(), c.labelName(), problems);
        if (image == null || label == null) {
            return false;
        }
        long[] di = Arrays.copyOf(image.dims(), 3);
        long[] dl = Arrays.copyOf(label.dims(), 3);
        for (int a = 0; a < 3; a++) {
            di[a] = Math.max(1, di[a]);
            dl[a] = Math.max(1, dl[a]);
        }
        if (di[0] * di[1] * di[2] > Integer.MAX_VALUE) {
            problems.add(c.imageName() + ": " + shape(di) + " voxels are more than one volume can hold (2^31 - 1)");
            return false;
        }
        Grid.Difference d = Arrays.equals(di, dl) ? grid(di, image).compare(grid(dl, label)) : Grid.Difference.SHAPE;
        if (d == Grid.Difference.SHAPE) {
            problems.add(c.labelName() + ": shape " + shape(dl) + " differs from the image's " + shape(di)
                    + " (" + c.imageName() + ")");
        } else if (d == Grid.Difference.SPACING) {
            problems.add(c.labelName() + ": voxel spacing " + spacing(label.spacingMm()) + " mm differs from the image's "
                    + spacing(image.spacingMm()) + " mm (" + c.imageName() + ")");
        } else if (d == Grid.Difference.ORIENTATION) {
            problems.add(c.labelName() + ": orientation " + label.affine().orientationCode() + " differs from the image's "
                    + image.affine().orientationCode() + " (" + c.imageName() + ")");
        } else {
            double apart = image.affine().cornerDistance(label.affine(), di);
            if (d == Grid.Difference.POSITION) {
                problems.add(c.labelName() + String.format(Locale.ROOT, ": its affine puts voxels %.3g mm away from"
                        + " where the image's (%s) puts them; the label does not lie on the image", apart, c.imageName()));
            } else if (apart > 1e-3) {
                diagnostics.warn(String.format(Locale.ROOT, "%s: affine differs from the image's (%s) by up to %.3g mm; using the"
                        + " image's", c.labelName(), c.imageName(), apart));
            }
        }
        long frames = 1;
        for (int a = 3; a < image.ndim(); a++) {
            frames *= image.dim(a);
        }
        if (channel >= frames) {
            problems.add(c.imageName() + ": channel " + channel + " requested but the image has " + frames
                    + " channel(s), shape " + shape(image.dims()));
        }
        long labelFrames = label.voxelCount() / Math.max(1, di[0] * di[1] * di[2]);
        if (labelFrames > 1) {
            problems.add(c.labelName() + ": a label map must be 3D, but its shape is " + shape(label.dims()));
        }
        return problems.size() == before;
    }

    /** Decodes, validates the voxels, and preprocesses. Returns null after adding problems. */
    PreparedCase load(MsdCase c, List<String> problems) {
        ImageVolume image = null;
        LabelVolume label = null;
        try {
            NiftiImage nifti = VolumeFiles.read(c.image(), c.imageName(), null);
            image = nifti.toImageVolume(channel);
            String bad = nonFinite(image);
            if (bad != null) {
                problems.add(c.imageName() + ": " + bad);
                image = null;
            }
        } catch (MedsaException e) {
            problems.add(e.getMessage());
        }
        try {
            label = VolumeFiles.read(c.label(), c.labelName(), null).toLabelVolume();
            Set<Integer> undeclared = new TreeSet<>();
            for (int v : label.data()) {
                if (!declaredLabels.contains(v)) {
                    undeclared.add(v);
                }
            }
            if (!undeclared.isEmpty()) {
                problems.add(c.labelName() + ": label values " + undeclared + " are not among dataset.json's labels "
                        + declaredLabels);
                label = null;
            }
        } catch (MedsaException e) {
            problems.add(e.getMessage());
        }
        if (image == null || label == null) {
            return null;
        }
        Grid original = image.grid();
        // the label was checked to share the image's shape, spacing and orientation: give it the same grid
        VolumePair pair = new VolumePair(image, label.withGrid(original));
        try {
            return new PreparedCase(c.caseId(), pipeline.apply(pair), original);
        } catch (RuntimeException e) {
            problems.add(c.imageName() + ": preprocessing failed (" + e.getMessage() + ")");
            return null;
        }
    }

    /** The 3D grid a header describes (frames beyond the third axis left out). */
    private static Grid grid(long[] dims, NiftiHeader h) {
        return new Grid((int) dims[0], (int) dims[1], (int) dims[2], h.affine());
    }

    private static NiftiHeader header(Path path, String name, List<String> problems) {
        if (!Files.exists(path)) {
            problems.add(name + ": listed in dataset.json but missing");
            return null;
        }
        try {
            // NIfTI: the header alone; a DICOM series (a folder or file): read, as its geometry needs every slice
            return VolumeFiles.readHeader(path, name);
        } catch (MedsaException e) {
            problems.add(e.getMessage());
            return null;
        }
    }

    private static String nonFinite(ImageVolume v) {
        float[] d = v.data();
        int nan = 0, inf = 0, first = -1;
        for (int i = 0; i < d.length; i++) {
            if (Float.isNaN(d[i])) {
                nan++;
            } else if (Float.isInfinite(d[i])) {
                inf++;
            } else {
                continue;
            }
            if (first < 0) {
                first = i;
            }
        }
        if (first < 0) {
            return null;
        }
        Grid g = v.grid();
        int i = first % g.nx(), j = (first / g.nx()) % g.ny(), k = first / (g.nx() * g.ny());
        return (nan > 0 ? nan + " NaN" : "") + (nan > 0 && inf > 0 ? " and " : "") + (inf > 0 ? inf + " infinite" : "")
                + " voxel value(s), first at voxel (" + i + ", " + j + ", " + k + ")";
    }

    private static String shape(long[] d) {
        StringBuilder sb = new StringBuilder();
        for (int a = 0; a < d.length; a++) {
            sb.append(a == 0 ? "" : "x").append(d[a]);
        }
        return sb.toString();
    }

    private static String spacing(double[] s) {
        StringBuilder sb = new StringBuilder();
        for (int a = 0; a < s.length; a++) {
            sb.append(a == 0 ? "" : "x").append(String.format(Locale.ROOT, "%.4g", s[a]));
        }
        return sb.toString();
    }
}
