package org.medsa.cli;

import ai.djl.ndarray.NDManager;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.Sam;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.viz.Overlay;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.transforms.CtWindow;
import org.medsa.data.transforms.PercentileNormalization;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumePair;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code medsa segment}: a NIfTI volume or a 2D image plus prompts in, a mask in the same format
 * and geometry out, plus overlay PNGs.
 *
 * <p>2D images: {@code --point x,y,label}, {@code --box x0,y0,x1,y1} in pixels; the mask is a PNG
 * (0/255). Volumes: {@code --point i,j,k,label} in voxel indices of the file and {@code --box
 * i0,j0,k0,i1,j1,k1} (the 2D box on every slice from k0 to k1 along {@code --axis}); each
 * prompted slice is segmented, and the mask is a uint8 NIfTI (0/1) with the input's header and
 * affine.
 */
@Command(name = "segment", mixinStandardHelpOptions = true,
        description = "Segment a NIfTI volume or a 2D image from prompts; writes a mask in the same format and geometry.")
public final class SegmentCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Option(names = "--image", required = true, paramLabel = "<file.nii[.gz]|.png|.jpg>") Path image;
    @Option(names = "--point", paramLabel = "x,y,label | i,j,k,label", description = "A click (repeatable).") List<String> points = new ArrayList<>();
    @Option(names = "--box", paramLabel = "x0,y0,x1,y1 | i0,j0,k0,i1,j1,k1", description = "A box (repeatable for volumes).") List<String> boxes = new ArrayList<>();
    @Option(names = "--axis", defaultValue = "2", paramLabel = "<0|1|2>", description = "Slicing axis of a volume (default k).") int axis;
    @Option(names = "--intensity", defaultValue = "auto", paramLabel = "<auto|ct|mr|lo,hi>",
            description = "Volume intensity normalisation to [0, 1]: CT window -175..250 HU, MR 0.5-99.5 percentiles, or a window.")
    String intensity;
    @Option(names = "--out", required = true, paramLabel = "<file>") Path out;
    @Option(names = "--verbose") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (points.isEmpty() && boxes.isEmpty()) {
            throw new MedsaException("no prompt: give at least one --point or --box");
        }
        if (axis < 0 || axis > 2) {
            throw new MedsaException("--axis must be 0, 1 or 2");
        }
        if (!Files.isRegularFile(image)) {
            throw new MedsaException(image + ": no such image file");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        boolean volume = NiftiReader.isNiftiName(image);
        try (NDManager manager = NDManager.newBaseManager(modelOptions.device())) {
            Sam sam = modelOptions.load(manager);
            try (SamPredictor predictor = new SamPredictor(sam, manager)) {
                return volume ? segmentVolume(predictor) : segmentImage(predictor);
            }
        }
    }

    private static double[] numbers(String value, int n, String flag, String example) {
        String[] parts = value.split(",");
        if (parts.length != n) {
            throw new MedsaException(flag + " expects " + n + " comma-separated numbers here (e.g. " + example + "), got '" + value + "'");
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            try {
                d[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new MedsaException(flag + ": '" + parts[i].trim() + "' in '" + value + "' is not a number");
            }
        }
        return d;
    }

    private static int label(double v, String value) {
        if (v != 0 && v != 1) {
            throw new MedsaException("--point label must be 1 (foreground) or 0 (background), got '" + value + "'");
        }
        return (int) v;
    }

    private int segmentImage(SamPredictor predictor) throws Exception {
        RgbImage img = RgbImage.read(image);
        Prompt prompt = new Prompt();
        for (String p : points) {
            double[] d = numbers(p, 3, "--point", "80,35,1");
            prompt.point(d[0], d[1], label(d[2], p));
        }
        if (boxes.size() > 1) {
            throw new MedsaException("a 2D image takes one --box");
        }
        for (String b : boxes) {
            double[] d = numbers(b, 4, "--box", "20,15,100,70");
            prompt.box(d[0], d[1], d[2], d[3]);
        }
        prompt.validate(img.height(), img.width());
        predictor.setImage(img);
        boolean[] mask = predict(predictor, prompt);
        Overlay.writePng(Overlay.maskImage(mask, img.height(), img.width()), out);
        Path overlay = sibling("_overlay.png");
        Overlay.writePng(Overlay.forViewing(Overlay.render(img, mask, null, prompt), 256), overlay);
        report(mask, out, List.of(overlay));
        return 0;
    }

    private int segmentVolume(SamPredictor predictor) throws Exception {
        NiftiImage nifti = NiftiReader.read(image);
        ImageVolume vol = nifti.toImageVolume(0);
        Grid grid = vol.grid();
        ImageVolume norm = normalise(vol);
        int[] hw = Slicer.sliceShape(grid, axis);
        int rowAxis = axis == 0 ? 1 : 0;
        int colAxis = axis == 2 ? 1 : 2;
        TreeMap<Integer, Prompt> perSlice = new TreeMap<>();
        for (String p : points) {
            double[] d = numbers(p, 4, "--point", "30,40,12,1 (i,j,k,label)");
            checkVoxel(d, grid, p);
            int s = (int) Math.round(d[axis]);
            perSlice.computeIfAbsent(s, k -> new Prompt()).point(d[colAxis], d[rowAxis], label(d[3], p));
        }
        for (String b : boxes) {
            double[] d = numbers(b, 6, "--box", "10,20,5,40,50,9 (i0,j0,k0,i1,j1,k1)");
            double[] lo = {d[0], d[1], d[2]};
            double[] hi = {d[3], d[4], d[5]};
            checkVoxel(lo, grid, b);
            checkVoxel(hi, grid, b);
            for (int s = (int) Math.round(Math.min(lo[axis], hi[axis])); s <= (int) Math.round(Math.max(lo[axis], hi[axis])); s++) {
                Prompt pr = perSlice.computeIfAbsent(s, k -> new Prompt());
                if (pr.box() != null) {
                    throw new MedsaException("two boxes cover slice " + s + "; give one box per slice");
                }
                pr.box(Math.min(lo[colAxis], hi[colAxis]), Math.min(lo[rowAxis], hi[rowAxis]),
                        Math.max(lo[colAxis], hi[colAxis]), Math.max(lo[rowAxis], hi[rowAxis]));
            }
        }
        int[] labels = new int[grid.voxelCount()];
        List<Path> overlays = new ArrayList<>();
        String stem = stem(out);
        for (var e : perSlice.entrySet()) {
            int s = e.getKey();
            float[] slice = Slicer.slice(norm, axis, s);
            RgbImage img = RgbImage.fromGray(slice, hw[0], hw[1]);
            e.getValue().validate(hw[0], hw[1]);
            predictor.setImage(img);
            boolean[] mask = predict(predictor, e.getValue());
            int[] m = new int[mask.length];
            for (int i = 0; i < m.length; i++) {
                m[i] = mask[i] ? 1 : 0;
            }
            Slicer.put(labels, grid, axis, s, m);
            Path o = out.toAbsolutePath().resolveSibling(stem + String.format(Locale.ROOT, "_slice%03d.png", s));
            Overlay.writePng(Overlay.forViewing(Overlay.render(img, mask, null, e.getValue()), 256), o);
            overlays.add(o);
        }
        NiftiHeader h = nifti.header().toBuilder().dims(grid.nx(), grid.ny(), grid.nz()).datatype(NiftiDatatype.UINT8)
                .scaling(1, 0).calRange(0, 1).description("Med-SA segmentation").build();
        NiftiWriter.write(NiftiImage.create(h, labels, out.toString()), out);
        boolean[] all = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            all[i] = labels[i] != 0;
        }
        report(all, out, overlays);
        return 0;
    }

    private void checkVoxel(double[] ijk, Grid grid, String value) {
        for (int a = 0; a < 3; a++) {
            if (ijk[a] < 0 || ijk[a] > grid.size(a) - 1) {
                throw new MedsaException("prompt outside the volume: '" + value + "' is not within " + grid.nx() + "x"
                        + grid.ny() + "x" + grid.nz() + " voxels (indices start at 0)");
            }
        }
    }

    private ImageVolume normalise(ImageVolume vol) {
        String mode = intensity.toLowerCase(Locale.ROOT);
        VolumePair pair = new VolumePair(vol, null);
        if (mode.equals("auto")) {
            float min = Float.MAX_VALUE;
            for (float v : vol.data()) {
                min = Math.min(min, v);
            }
            mode = min < -500 ? "ct" : "mr";
            System.err.println("intensity: " + mode + " (from the value range; set --intensity to choose)");
        }
        if (mode.equals("ct")) {
            return new CtWindow(-175, 250).apply(pair).image();
        }
        if (mode.equals("mr")) {
            return new PercentileNormalization(0.5, 99.5, true).apply(pair).image();
        }
        double[] w = numbers(mode, 2, "--intensity", "-160,240");
        if (!(w[1] > w[0])) {
            throw new MedsaException("--intensity window must have lo < hi, got '" + mode + "'");
        }
        return new CtWindow(w[0], w[1]).apply(pair).image();
    }

    /** SAM's usual rule: three masks and the best for a single click, one mask otherwise. */
    private static boolean[] predict(SamPredictor predictor, Prompt prompt) {
        boolean single = prompt.points().size() == 1 && prompt.box() == null;
        SamPrediction r = predictor.predict(prompt, single);
        return r.mask(r.best());
    }

    private Path sibling(String suffix) {
        return out.toAbsolutePath().resolveSibling(stem(out) + suffix);
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        for (String ext : new String[] {".nii.gz", ".nii", ".png", ".jpg", ".jpeg", ".bmp"}) {
            if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
                return n.substring(0, n.length() - ext.length());
            }
        }
        return n;
    }

    private static void report(boolean[] mask, Path out, List<Path> overlays) {
        long n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        System.out.printf(Locale.ROOT, "mask: %d of %d %s (%.2f%%) -> %s%n", n, mask.length, "voxels", 100.0 * n / mask.length, out);
        System.out.println("overlays: " + overlays.size() + (overlays.isEmpty() ? "" : " (" + overlays.get(0).getParent() + ")"));
    }
}
