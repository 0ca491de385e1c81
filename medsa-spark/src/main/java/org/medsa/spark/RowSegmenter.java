package org.medsa.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.io.Hashes;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.Grid;
import org.medsa.inference.Propagation;
import org.medsa.inference.Segmentation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.LabelMapMetrics;
import org.medsa.metrics.LabelMetrics;
import org.medsa.metrics.MaskFile;

/**
 * Segments manifest rows one after another with one {@link VolumeSegmenter} (so each row equals
 * {@code medsa segment} on the same image and prompt), writes each mask and its record atomically,
 * and turns every failure into an error row. A row whose record exists with the same fingerprint
 * (image, prompt, truth, model) is not computed again unless overwriting.
 */
final class RowSegmenter implements AutoCloseable {

    private final BatchOptions options;
    private final Path out;
    private final NDManager manager;
    private final VolumeSegmenter segmenter;
    private final String modelKey;

    /** A segmenter for one partition; its arrays live under {@code parent} (the model's manager). */
    RowSegmenter(PromptableModel sam, NDManager parent, BatchOptions options) {
        this.options = options;
        this.out = options.out();
        this.manager = parent.newSubManager(sam.device());
        this.segmenter = new VolumeSegmenter(sam, manager);
        this.modelKey = options.modelIdentity() + "|" + options.intensity() + (options.propagate() == null ? ""
                : "|propagate " + options.propagate());
    }

    /** The row's result: computed, or read back from its record. Never throws for a bad row. */
    BatchResult process(BatchRow row) {
        long t0 = System.nanoTime();
        String id = row.safeId();
        if (id == null) {
            return BatchResult.error(row.id(), "id '" + row.id() + "' cannot name a file (use letters, digits, '.', '_', '-')",
                    0);
        }
        Path record = out.resolve("rows").resolve(id + ".json");
        Path[] localCopies = new Path[2];
        String[] stamps = new String[2];
        String fingerprint = null;
        try {
            Path image = local(row.image(), "image", localCopies, stamps, 0);
            Path truth = row.truth() == null ? null : local(row.truth(), "truth", localCopies, stamps, 1);
            fingerprint = fingerprint(row, stamps);
            if (!options.overwrite() && Files.isRegularFile(record)) {
                BatchResult done = BatchResult.fromJson(Files.readString(record), fingerprint);
                if (done != null && (!done.ok() || (done.mask() != null && Files.isRegularFile(out.resolve(done.mask()))))) {
                    return done;
                }
            }
            BatchResult r = compute(row, id, image, truth, t0);
            AtomicFiles.writeString(record, r.toJson(fingerprint));
            return r;
        } catch (MedsaException | IllegalArgumentException | IOException e) {
            // a property of the row's inputs: recorded, so a re-run gives the same table (changed inputs change the fingerprint)
            BatchResult r = BatchResult.error(id, e.getMessage(), (System.nanoTime() - t0) / 1e9);
            if (fingerprint != null) {
                AtomicFiles.writeString(record, r.toJson(fingerprint));
            }
            return r;
        } catch (RuntimeException | OutOfMemoryError e) {
            return BatchResult.error(id, "failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
                    (System.nanoTime() - t0) / 1e9);
        } finally {
            for (Path p : localCopies) {
                if (p != null) {
                    try {
                        Files.deleteIfExists(p);
                        Files.deleteIfExists(p.getParent());
                    } catch (IOException ignored) {
                        // a temporary copy; the system's temp cleaner removes it
                    }
                }
            }
        }
    }

    private BatchResult compute(BatchRow row, String id, Path image, Path truth, long t0) throws IOException {
        if (row.image() == null) {
            throw new MedsaException("no image given");
        }
        SegmentationInput input = SegmentationInput.read(image);
        VolumePrompts prompts = prompts(row, input, truth);
        VolumeSegmenter.Options.Builder o = VolumeSegmenter.Options.builder().encoderBatch(options.encoderBatch());
        if (input.isVolume()) {
            o.intensity(Intensity.parse(options.intensity()));
            if (options.propagate() != null) {
                o.propagate(Propagation.Direction.parse(options.propagate()), Integer.MAX_VALUE);
            }
        }
        Segmentation s = segmenter.segment(input, prompts, o.build());
        String maskName = "masks/" + id + (input.isVolume() ? ".nii.gz" : ".png");
        Path mask = out.resolve(maskName);
        for (Path in : new Path[] {image, truth}) {
            if (in != null && Files.exists(mask) && Files.isSameFile(in, mask)) {
                throw new MedsaException(mask + ": is an input of this row; write the batch into another folder");
            }
        }
        s.write(mask);
        Map<Integer, Double[]> metrics = new TreeMap<>();
        if (truth != null) {
            LabelMapMetrics m = MaskFile.score(MaskFile.read(mask), MaskFile.read(truth));
            for (LabelMetrics l : m.truthLabels()) {
                metrics.put(l.label(), new Double[] {l.dice(), l.iou(), Double.isNaN(l.hd95()) ? null : l.hd95()});
            }
        }
        return new BatchResult(id, "ok", maskName, (System.nanoTime() - t0) / 1e9, metrics);
    }

    /** The row's prompt: its box or points, or one box per slice of each chosen label of the truth. */
    static VolumePrompts prompts(BatchRow row, SegmentationInput input, Path truth) {
        VolumePrompts p = new VolumePrompts();
        boolean volume = input.isVolume();
        if (row.box() != null) {
            p.box(row.box(), volume, "box");
        }
        if (row.points() != null) {
            for (String one : row.points().split(";")) {
                if (!one.isBlank()) {
                    p.point(one, volume, "points");
                }
            }
        }
        if (row.promptFromTruth()) {
            if (truth == null) {
                throw new MedsaException("no prompt: give a box, points, or a truth mask (with labels) to derive boxes from");
            }
            boxesFromTruth(p, input, truth, row.labels());
        }
        return p;
    }

    /** One tight box per slice (axis 2) of each chosen truth label, as eval's bbox-1 setting. */
    private static void boxesFromTruth(VolumePrompts p, SegmentationInput input, Path truthFile, String labels) {
        MaskFile truth = MaskFile.read(truthFile);
        Grid g = input.grid();
        int[] shape = input.shape();
        long voxels = (long) shape[0] * shape[1] * shape[2];
        if (truth.labels().length != voxels) {
            throw new MedsaException(truthFile.getFileName() + ": " + truth.fileShape() + " does not match the image's "
                    + shape[0] + "x" + shape[1] + "x" + shape[2]);
        }
        if (truth.grid() != null && input.isVolume() && g.compare(truth.grid()) != null) {
            throw new MedsaException(truthFile.getFileName() + ": lies up to " + String.format(Locale.ROOT, "%.3g",
                    g.cornerDistance(truth.grid())) + " mm away from the image's grid (" + g.compare(truth.grid()).name()
                    .toLowerCase(Locale.ROOT) + " differs); the truth must be on the image's grid");
        }
        TreeSet<Integer> wanted = new TreeSet<>();
        if (labels != null && !labels.equalsIgnoreCase("all")) {
            for (String s : labels.split("[,;\\s]+")) {
                try {
                    wanted.add(Integer.parseInt(s.trim()));
                } catch (NumberFormatException e) {
                    throw new MedsaException("labels '" + labels + "' must be whole numbers like 1,2");
                }
            }
        }
        int[] t = truth.labels(); // C order (k, j, i) = grid order i + nx (j + ny k)
        int found = p.boxesPerSlice(t, shape, present(t, wanted));
        if (found == 0) {
            throw new MedsaException(truthFile.getFileName() + ": holds none of the labels "
                    + (wanted.isEmpty() ? "(any non-zero)" : wanted));
        }
    }

    private static TreeSet<Integer> present(int[] t, TreeSet<Integer> wanted) {
        TreeSet<Integer> out = new TreeSet<>();
        for (int v : t) {
            if (v != 0 && (wanted.isEmpty() || wanted.contains(v))) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * A local path for a path or URI: file: URIs and plain paths as they are; other schemes copied through Hadoop's file systems.
     */
    private static Path local(String location, String what, Path[] copies, String[] stamps, int slot) throws IOException {
        if (location == null) {
            throw new MedsaException("no " + what + " given");
        }
        Path p = localPath(location, what, copies, stamps, slot);
        if (stamps[slot] == null) {
            stamps[slot] = stamp(p);
        }
        return p;
    }

    private static Path localPath(String location, String what, Path[] copies, String[] stamps, int slot) throws IOException {
        URI uri = null;
        if (location.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*") && !location.matches("^[A-Za-z]:[\\\\/].*")) {
            uri = URI.create(location);
        }
        if (uri == null) {
            return Path.of(location);
        }
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            return Path.of(uri);
        }
        org.apache.hadoop.fs.Path hp = new org.apache.hadoop.fs.Path(uri); // Hadoop's: name clash with java.nio
        String name = hp.getName();
        Path dir = Files.createTempDirectory("medsa-batch");
        Path copy = dir.resolve(name.isEmpty() ? what : name);
        copies[slot] = copy;
        FileSystem fs = hp.getFileSystem(new Configuration());
        try (InputStream in = fs.open(hp)) {
            FileStatus st = fs.getFileStatus(hp);
            stamps[slot] = st.getLen() + "@" + st.getModificationTime();
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new MedsaException(location + ": cannot read (" + e.getMessage() + ")", e);
        }
        return copy;
    }

    /** What the row's output depends on: its inputs (paths, sizes, times), its prompt and the model. */
    private String fingerprint(BatchRow row, String[] stamps) {
        return Hashes.sha256(modelKey + "|" + row.image() + "|" + stamps[0] + "|" + row.box() + "|" + row.points() + "|"
                + row.truth()
                + "|" + stamps[1] + "|" + row.labels() + "|" + options.encoderBatch());
    }

    private static String stamp(Path p) {
        try {
            return Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return "missing";
        }
    }

    @Override
    public void close() {
        segmenter.close();
        manager.close();
    }
}
