package org.medsa.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.medsa.core.MedsaException;
import org.medsa.data.volume.VolumeFiles;

/**
 * The folder whose images the server may open by path. A request names a file by its path
 * relative to the folder; absolute paths, ".." and anything whose real path (symbolic links
 * resolved) lies outside the folder are refused, so a client cannot read other files.
 */
public final class DataFolder {

    /** How deep {@link #list} looks. */
    public static final int MAX_DEPTH = 6;

    private final Path root;

    /**
     * @param root an existing folder
     * @throws MedsaException if it is not one
     */
    public DataFolder(Path root) {
        try {
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new MedsaException(root + ": no such folder");
        }
        if (!Files.isDirectory(this.root)) {
            throw new MedsaException(root + ": not a folder");
        }
    }

    /** The folder (real path). */
    public Path root() {
        return root;
    }

    /**
     * The openable images under the folder, as relative paths with '/' separators, sorted: NIfTI
     * files, 2D images (PNG, JPEG, BMP, TIFF, .npy) and DICOM (folders holding DICOM files, and
     * DICOM files directly in the folder). Files reached through links that leave the folder are left out.
     */
    public List<String> list() {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root, MAX_DEPTH)) {
            for (Path p : (Iterable<Path>) s.sorted()::iterator) {
                if (p.equals(root) || !inside(p)) {
                    continue;
                }
                // files deeper than the data folder are judged by their names (a series folder's
                // thousands of slices are not opened; the folder is listed as a whole)
                boolean listed = Files.isDirectory(p) ? holdsDicom(p)
                        : Files.isRegularFile(p) && (p.getParent().equals(root) ? VolumeFiles.kind(p) : VolumeFiles.kindByName(p))
                                != VolumeFiles.Kind.NONE;
                if (listed) {
                    out.add(relative(p));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new ApiException(500, "cannot list the data folder (" + e.getMessage() + ")");
        }
        return out;
    }

    /**
     * The file a relative path names.
     *
     * @throws MedsaException for absolute paths, ".." or empty names; ApiException 404 for missing files and
     *     for paths that lead outside the folder
     */
    public Path resolve(String relative) {
        if (relative == null || relative.isBlank()) {
            throw new MedsaException("\"path\" is missing: give a path relative to the data folder (see GET /api/files)");
        }
        if (relative.indexOf('\0') >= 0 || relative.startsWith("/") || relative.startsWith("\\")
                || relative.matches("^[A-Za-z]:.*")) {
            throw new MedsaException("\"path\" must be relative to the data folder, got '" + relative + "'");
        }
        for (String part : relative.split("[/\\\\]")) {
            if (part.equals("..")) {
                throw new MedsaException("\"path\" may not contain '..': '" + relative + "'");
            }
        }
        Path p = root.resolve(relative).normalize();
        if (!Files.exists(p) || !inside(p)) {
            throw ApiException.notFound("no file '" + relative + "' in the data folder");
        }
        return p;
    }

    private boolean inside(Path p) {
        try {
            return p.toRealPath().startsWith(root) && p.normalize().startsWith(root);
        } catch (IOException e) {
            return false;
        }
    }

    private String relative(Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }

    /** A folder with DICOM files directly in it (a series). */
    private static boolean holdsDicom(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
                    && VolumeFiles.kind(f) == VolumeFiles.Kind.DICOM);
        }
    }
}
