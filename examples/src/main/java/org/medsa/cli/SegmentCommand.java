package org.medsa.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.viz.Overlay;
import org.medsa.data.transforms.Intensity;
import org.medsa.inference.Propagation;
import org.medsa.inference.Segmentation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code medsa segment}: a thin wrapper of {@link VolumeSegmenter}. A NIfTI volume, a DICOM series
 * or a 2D image plus prompts in voxel indices in, a mask (NIfTI for volumes, with the series'
 * geometry for DICOM; PNG for 2D images) out, plus overlay PNGs and, with {@code --save-logits},
 * every segmented slice's logits. SAM 2 models propagate with their memory.
 */
@Command(name = "segment", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Segment a NIfTI volume or a 2D image from prompts; writes a mask in the same format and geometry.")
public final class SegmentCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Option(names = "--image", required = true, paramLabel = "<file.nii[.gz]|dicom-folder|.dcm|.png|.jpg>",
            description = "The volume (NIfTI, a DICOM series folder or DICOM file) or 2D image (PNG, JPEG, BMP, TIFF, uint8 "
                    + ".npy) to segment.")
    Path image;
    @Option(names = "--series", paramLabel = "UID", description = "The series to segment when a DICOM folder holds several.")
    String series;
    @Option(names = "--point", paramLabel = "i,j,k,label | x,y,label",
            description = "A click in voxel indices (2D: x = column, y = row); label 1 = foreground, 0 = background. Repeatable.")
    List<String> points = new ArrayList<>();
    @Option(names = "--box", paramLabel = "i0,j0,k0,i1,j1,k1 | x0,y0,x1,y1",
            description = "A box in voxel indices, corners included: the same box on every slice from k0 to k1 along --axis. "
                    + "Repeatable for volumes.")
    List<String> boxes = new ArrayList<>();
    @Option(names = "--axis", paramLabel = "<0|1|2>", description = "Slicing axis of a volume (default: 2, the k axis).")
    Integer axis;
    @Option(names = "--intensity", paramLabel = "<auto|ct|mr|lo,hi>",
            description = "How a volume's values become gray levels (default: auto): CT window -175..250 HU, MR 0.5-99.5"
                    + " percentiles of non-zero voxels, or a window lo,hi; auto picks ct when values go below -500.")
    String intensity;
    @Option(names = "--propagate", arity = "0..1", fallbackValue = "both", paramLabel = "<both|up|down>",
            description = "Follow each label into the neighbouring slices along --axis (no value: both ways; up = higher slice"
                    + " indices). SAM: each slice prompted by the previous slice's mask, until the mask vanishes. SAM 2: tracking"
                    + " with its memory through the volume (up from the lowest prompted slice, down from the highest).")
    String propagate;
    @Option(names = "--propagate-max", paramLabel = "N",
            description = "With --propagate: at most N slices in each direction (default: no limit).")
    Integer propagateMax;
    @Option(names = "--propagate-min-iou", paramLabel = "X",
            description = "With --propagate: stop at a slice whose predicted IoU is below X (0..1; default 0: only an empty "
                    + "mask stops).")
    Double propagateMinIou;
    @Option(names = "--save-logits", paramLabel = "DIR",
            description = "Also write DIR/slice_<k>.npy for every segmented slice k: float32, (rows, cols) of the slice, the mask"
                    + " logits before the threshold (several labels: the largest logit of any).")
    Path saveLogits;
    @Option(names = "--out", required = true, paramLabel = "<mask.nii.gz|mask.png>",
            description = "The mask file: NIfTI for a volume (input header and affine), PNG for a 2D image; overlays go beside "
                    + "it.")
    Path out;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        SegmentationInput input = SegmentationInput.read(image, series);
        VolumePrompts prompts = prompts(input.isVolume());
        VolumeSegmenter.Options.Builder options = VolumeSegmenter.Options.builder();
        if (!input.isVolume() && (axis != null || intensity != null)) {
            throw new MedsaException((axis != null ? "--axis" : "--intensity") + " applies to volumes only; " + image
                    + " is a 2D image");
        }
        if (axis != null) {
            options.axis(axis);
            input.checkAxis(axis);
        }
        if (intensity != null) {
            options.intensity(Intensity.parse(intensity));
        }
        if ((propagateMax != null || propagateMinIou != null) && propagate == null) {
            throw new MedsaException((propagateMax != null ? "--propagate-max" : "--propagate-min-iou")
                    + " applies with --propagate");
        }
        if (propagate != null) {
            if (!input.isVolume()) {
                throw new MedsaException("--propagate applies to volumes only; " + image + " is a 2D image");
            }
            if (propagateMax != null && propagateMax < 1) {
                throw new MedsaException("--propagate-max must be at least 1, got " + propagateMax);
            }
            options.propagate(Propagation.Direction.parse(propagate), propagateMax == null ? Integer.MAX_VALUE : propagateMax);
            if (propagateMinIou != null) {
                if (modelOptions.isSam2()) {
                    throw new MedsaException("--propagate-min-iou applies to SAM models; SAM 2 tracks every slice with its "
                            + "memory");
                }
                options.propagationMinIou(propagateMinIou);
            }
        }
        if (saveLogits != null) {
            if (Files.exists(saveLogits) && !Files.isDirectory(saveLogits)) {
                throw new MedsaException("--save-logits " + saveLogits + ": is a file; give a folder");
            }
            options.keepLogits(true);
        }
        if (prompts.isEmpty()) {
            throw new MedsaException("no prompt: give at least one --point or --box");
        }
        VolumeSegmenter.validate(input, prompts, options.build()); // before the model is loaded
        Segmentation.checkOutput(input, out);
        try (NDManager manager = NDManager.newBaseManager(modelOptions.device())) {
            PromptableModel model = modelOptions.loadAny(manager);
            try (VolumeSegmenter segmenter = new VolumeSegmenter(model, manager).notes(Diagnostics.stderr())) {
                Segmentation s = segmenter.segment(input, prompts, options.build());
                s.write(out);
                if (saveLogits != null) {
                    s.writeLogits(saveLogits);
                    System.out.println("logits: " + s.logits().size() + " slice(s) -> " + saveLogits);
                }
                List<Path> overlays = new ArrayList<>();
                String stem = stem(out);
                for (Segmentation.SliceResult r : s.slices()) {
                    String suffix = input.isVolume() ? String.format(Locale.ROOT, "_slice%03d", r.slice()) : "_overlay";
                    if (s.slices().stream().map(Segmentation.SliceResult::label).distinct().count() > 1) {
                        suffix += "_label" + r.label();
                    }
                    Path o = out.toAbsolutePath().resolveSibling(stem + suffix + ".png");
                    Overlay.writePng(s.overlay(r, 256), o);
                    overlays.add(o);
                }
                long n = s.labelledVoxels();
                long total = s.labels().data().length;
                System.out.printf(Locale.ROOT, "mask: %d of %d %s (%.2f%%) -> %s%n", n, total, input.isVolume() ? "voxels"
                        : "pixels",
                        100.0 * n / total, out);
                System.out.println("overlays: " + overlays.size()
                        + (overlays.isEmpty() ? "" : " (" + overlays.get(0).getParent() + ")"));
            }
        }
        return 0;
    }

    private VolumePrompts prompts(boolean volume) {
        VolumePrompts p = new VolumePrompts();
        for (String s : points) {
            p.point(s, volume, "--point");
        }
        if (!volume && boxes.size() > 1) {
            throw new MedsaException("a 2D image takes one --box");
        }
        for (String s : boxes) {
            p.box(s, volume, "--box");
        }
        return p;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        for (String ext : new String[] {".nii.gz", ".nii", ".png"}) {
            if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
                return n.substring(0, n.length() - ext.length());
            }
        }
        return n;
    }
}
