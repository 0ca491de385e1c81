package org.medsa.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.data.dicom.DicomImage;
import org.medsa.data.dicom.DicomSeries;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.VolumeFiles;

/**
 * MONAI Label's local datastore over the server's data folder, in MONAI Label's layout: images
 * anywhere in the folder (NIfTI, NRRD, DICOM series folders) except under {@code labels/}; an
 * image's id is its path relative to the folder without the extension ({@code ct_01} for {@code
 * ct_01.nii.gz}); its labels are {@code labels/<tag>/<id><ext>} ({@code final} by default). A DICOM
 * series is also found by its SeriesInstanceUID, the id OHIF sends. Uploaded images never replace
 * a file; labels are written atomically and never over an image.
 */
final class MonaiLabelDatastore {

    /** Label extensions, longest first (so .nii.gz wins over .gz). */
    static final List<String> EXTENSIONS = List.of(".nii.gz", ".nrrd", ".nii", ".dcm");

    private final DataFolder folder;
    private final Map<String, String> seriesIds = new ConcurrentHashMap<>();

    MonaiLabelDatastore(DataFolder folder) {
        this.folder = folder;
    }

    /** The folder, or null for a server without one. */
    DataFolder folder() {
        return folder;
    }

    /** Image id -> relative path, sorted. */
    Map<String, String> images() {
        Map<String, String> out = new TreeMap<>();
        if (folder == null) {
            return out;
        }
        for (String rel : folder.list()) {
            if (rel.equals("labels") || rel.startsWith("labels/")) {
                continue;
            }
            Path p = folder.root().resolve(rel);
            VolumeFiles.Kind k = Files.isDirectory(p) ? VolumeFiles.Kind.DICOM : VolumeFiles.kindByName(p);
            if (k.isVolume() || (k == VolumeFiles.Kind.NONE && Files.isRegularFile(p))) {
                out.put(idOf(rel), rel);
            }
        }
        return out;
    }

    static String idOf(String rel) {
        String lower = rel.toLowerCase(Locale.ROOT);
        for (String e : EXTENSIONS) {
            if (lower.endsWith(e) && rel.length() > e.length()) {
                return rel.substring(0, rel.length() - e.length());
            }
        }
        return rel;
    }

    /** The extension of a file name among {@link #EXTENSIONS}, or null. */
    static String extensionOf(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().filter(lower::endsWith).findFirst().orElse(null);
    }

    /**
     * The file or series folder of an image id (or of a DICOM SeriesInstanceUID).
     *
     * @throws ApiException 404 for an unknown id
     */
    Path image(String id) {
        if (id == null || id.isBlank()) {
            throw new MedsaException("'image' is missing: give an image id of the datastore (GET /datastore/?output=all)");
        }
        Map<String, String> all = images();
        String rel = all.get(id);
        if (rel == null) {
            rel = bySeriesUid(id, all);
        }
        if (rel == null) {
            throw ApiException.notFound("no image '" + id + "' in the datastore" + (folder == null ? " (this server has no"
                    + " --data folder; upload the image as a session)" : ""));
        }
        return folder.resolve(rel);
    }

    private String bySeriesUid(String uid, Map<String, String> all) {
        if (!uid.matches("[0-9.]+")) {
            return null;
        }
        for (String rel : all.values()) {
            Path p = folder.root().resolve(rel);
            String known = seriesIds.computeIfAbsent(rel, r -> firstSeriesUid(p));
            if (uid.equals(known)) {
                return rel;
            }
        }
        return null;
    }

    private static String firstSeriesUid(Path p) {
        try {
            if (!Files.isDirectory(p)) {
                return "";
            }
            try (var s = Files.list(p)) {
                Path f = s.filter(DicomSeries::isDicomFile).sorted().findFirst().orElse(null);
                return f == null ? "" : DicomImage.read(f).seriesUid();
            }
        } catch (IOException | MedsaException e) {
            return "";
        }
    }

    /** The label file of an image id and tag, or null when there is none. */
    Path label(String id, String tag) {
        if (folder == null) {
            return null;
        }
        checkTag(tag);
        Path dir = folder.root().resolve("labels").resolve(tag);
        for (String e : EXTENSIONS) {
            Path p = dir.resolve(id + e);
            if (Files.isRegularFile(p) && p.normalize().startsWith(folder.root())) {
                return p;
            }
        }
        return null;
    }

    static void checkTag(String tag) {
        if (!tag.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new MedsaException("label tag '" + tag + "' must be 1-64 letters, digits, '_' or '-'");
        }
    }

    /** Tag -> label file name of an image id. */
    Map<String, String> labels(String id) {
        Map<String, String> out = new TreeMap<>();
        Path root = folder == null ? null : folder.root().resolve("labels");
        if (root == null || !Files.isDirectory(root)) {
            return out;
        }
        try (var tags = Files.list(root)) {
            for (Path t : (Iterable<Path>) tags.sorted()::iterator) {
                String tag = t.getFileName().toString();
                if (Files.isDirectory(t) && tag.matches("[A-Za-z0-9_-]{1,64}")) {
                    Path l = label(id, tag);
                    if (l != null) {
                        out.put(tag, l.getFileName().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new ApiException(500, "cannot list the labels folder (" + AtomicFiles.reason(e) + ")");
        }
        return out;
    }

    /** What {@code GET /datastore/?output=all} answers: MONAI Label's datastore model. */
    Map<String, Object> json() {
        Map<String, Object> objects = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : images().entrySet()) {
            Map<String, Object> image = new LinkedHashMap<>();
            String ext = extensionOf(e.getValue());
            image.put("ext", ext == null ? "" : ext);
            image.put("info", Map.of("name", e.getValue()));
            Map<String, Object> labels = new LinkedHashMap<>();
            for (Map.Entry<String, String> l : labels(e.getKey()).entrySet()) {
                String lext = extensionOf(l.getValue());
                labels.put(l.getKey(), Map.of("ext", lext == null ? "" : lext, "info", Map.of("name", l.getValue())));
            }
            objects.put(e.getKey(), Map.of("image", image, "labels", labels));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "medsa");
        m.put("description", folder == null ? "no data folder" : "volumes under " + folder.root().getFileName());
        m.put("images_dir", ".");
        m.put("labels_dir", "labels");
        m.put("objects", objects);
        return m;
    }

    /** {@code total}, {@code completed} (images with a {@code final} label) and {@code label_tags} counts. */
    Map<String, Object> status() {
        Map<String, String> all = images();
        Map<String, Integer> tags = new TreeMap<>();
        int completed = 0;
        for (String id : all.keySet()) {
            Map<String, String> l = labels(id);
            l.keySet().forEach(t -> tags.merge(t, 1, Integer::sum));
            completed += l.containsKey("final") ? 1 : 0;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total", all.size());
        m.put("completed", completed);
        m.put("label_tags", tags);
        return m;
    }

    /** {@code [{"image": path, "label": path}]} for every image with a final label (MONAI Label's datalist). */
    List<Map<String, String>> datalist() {
        return images().entrySet().stream().filter(e -> label(e.getKey(), "final") != null)
                .map(e -> Map.of("image", folder.root().resolve(e.getValue()).toString(), "label",
                        label(e.getKey(), "final").toString())).toList();
    }

    /**
     * Adds an uploaded image as {@code <id><ext>} in the folder's root.
     *
     * @throws ApiException 409 when the name is taken (an image is never replaced), 400 for an unreadable volume
     */
    String addImage(String id, Path uploaded, String uploadName) throws IOException {
        requireFolder();
        String ext = extensionOf(uploadName);
        if (ext == null || ext.equals(".dcm")) {
            throw new ApiException(415, uploadName + ": upload a volume as .nii.gz, .nii or .nrrd");
        }
        String name = id == null || id.isBlank() ? idOf(UploadReceiver.fileName(uploadName)) : id;
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new MedsaException("image id '" + name + "' must be letters, digits, '.', '_' or '-' (at most 128)");
        }
        Path target = folder.root().resolve(name + ext);
        if (images().containsKey(name) || Files.exists(target)) {
            throw new ApiException(409, "image '" + name + "' already exists in the datastore; an image is never replaced");
        }
        VolumeFiles.read(uploaded, uploadName, null); // refuse what cannot be segmented before it is listed
        AtomicFiles.write(target, out -> Files.copy(uploaded, out));
        return name;
    }

    /**
     * Saves a label of an image under {@code labels/<tag>/<id><ext>}, after checking that it is a
     * volume on the image's grid.
     *
     * @return the label's file
     */
    Path saveLabel(String id, String tag, Path uploaded, String uploadName) throws IOException {
        requireFolder();
        checkTag(tag);
        String ext = extensionOf(uploadName);
        if (ext == null || ext.equals(".dcm")) {
            throw new ApiException(415, uploadName + ": save a label as .nii.gz, .nii or .nrrd");
        }
        Path image = image(id);
        String canonical = idOf(folder.root().relativize(image).toString().replace('\\', '/'));
        Grid labelGrid = VolumeFiles.read(uploaded, uploadName, null).grid();
        Grid imageGrid = VolumeFiles.read(image, canonical, null).grid();
        if (!Arrays.equals(labelGrid.shape(), imageGrid.shape())) {
            throw new MedsaException(uploadName + ": a label of " + Arrays.toString(labelGrid.shape()) + " voxels for image '"
                    + id + "' of " + Arrays.toString(imageGrid.shape()) + "; a label must lie on its image's grid");
        }
        Path dir = folder.root().resolve("labels").resolve(tag);
        Path target = dir.resolve(canonical + ext);
        for (String other : EXTENSIONS) { // one label per image and tag: the new one replaces an older format's file
            Path p = dir.resolve(canonical + other);
            if (!other.equals(ext) && Files.isRegularFile(p)) {
                Files.delete(p);
            }
        }
        if (Files.exists(target) && Files.isSameFile(target, image)) {
            throw new ApiException(409, "the label path of '" + id + "' is the image itself");
        }
        AtomicFiles.write(target, out -> Files.copy(uploaded, out));
        return target;
    }

    private void requireFolder() {
        if (folder == null) {
            throw new ApiException(409, "this server has no --data folder to store images and labels in");
        }
    }
}
