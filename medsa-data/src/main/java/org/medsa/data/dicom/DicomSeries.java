package org.medsa.data.dicom;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;

/**
 * A DICOM series as one volume with true geometry: the slices of a folder (or a list of files, or
 * the frames of one multi-frame file) grouped by Series Instance UID, sorted by their position
 * along the slice normal (not by file name or Instance Number), checked to be evenly spaced, and
 * placed by an affine converted from DICOM's LPS patient frame to the RAS frame of the NIfTI code,
 * so a series and its dcm2niix NIfTI put every voxel at the same world coordinates.
 *
 * <p>Voxel (i, j, k): i = column, j = row of a slice, k = slice in order along the normal. Values
 * are modality values (rescaled; Hounsfield units for CT). One-sample images only: a colour series
 * is refused (read single colour files with {@link DicomImage#rgbPlanes}).
 *
 * @param volume the voxels on their RAS grid
 * @param modality e.g. "CT" or "MR"
 * @param seriesUid the Series Instance UID
 * @param description the Series Description ("" when absent)
 * @param transferSyntax the first file's transfer syntax
 * @param files the files read, in slice order (one for a multi-frame file)
 * @param storedType the stored sample type ("uint8", "int16", "uint16", "int32", "uint32")
 * @param source the study, frame of reference and per-slice instances, for results written back as DICOM
 */
public record DicomSeries(ImageVolume volume, String modality, String seriesUid, String description,
        TransferSyntax transferSyntax, List<Path> files, String storedType, DicomSource source) {

    /** Relative tolerance of the slice spacing (1 %) before a series counts as unevenly spaced. */
    public static final double SPACING_TOLERANCE = 0.01;

    /**
     * True if {@code file} looks like a DICOM file: a .dcm name, "DICM" at byte 128, or (a file
     * without preamble) a first element of group 0002 or 0008 in either byte order.
     */
    public static boolean isDicomFile(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".dcm") || n.endsWith(".dicom")) {
            return true;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(132);
            if (head.length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M') {
                return true;
            }
            if (head.length < 8) {
                return false;
            }
            int le = (head[0] & 0xff) | (head[1] & 0xff) << 8;
            int be = (head[0] & 0xff) << 8 | (head[1] & 0xff);
            return le == 0x0002 || le == 0x0008 || be == 0x0002 || be == 0x0008;
        } catch (IOException e) {
            return false;
        }
    }

    /** True if {@code path} is a DICOM file or a folder holding at least one. */
    public static boolean isDicom(Path path) {
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.walk(path, 4)) {
                return s.anyMatch(DicomSeries::isDicomFile);
            } catch (IOException e) {
                return false;
            }
        }
        return isDicomFile(path);
    }

    /**
     * Reads a DICOM file or a folder of one series.
     *
     * @param seriesUid which series of a folder holding several (null: the only one)
     * @throws MedsaException naming the file and what is wrong; for several series without a
     *     choice, listing them (UID, description, slice count)
     */
    public static DicomSeries read(Path fileOrFolder, String seriesUid) {
        List<Path> files;
        if (Files.isDirectory(fileOrFolder)) {
            try (Stream<Path> s = Files.walk(fileOrFolder, 4)) {
                files = s.filter(DicomSeries::isDicomFile).sorted().toList();
            } catch (IOException e) {
                throw new MedsaException(fileOrFolder + ": cannot list (" + e.getMessage() + ")", e);
            }
            if (files.isEmpty()) {
                throw new MedsaException(fileOrFolder + ": no DICOM files in this folder");
            }
        } else if (Files.isRegularFile(fileOrFolder)) {
            files = List.of(fileOrFolder);
        } else {
            throw new MedsaException(fileOrFolder + ": no such file or folder");
        }
        return read(files, seriesUid, fileOrFolder.toString());
    }

    /** Reads the series among {@code files} (see {@link #read(Path, String)}). */
    public static DicomSeries read(List<Path> files, String seriesUid, String source) {
        Map<String, List<DicomImage>> bySeries = new LinkedHashMap<>();
        for (Path f : files) {
            DicomImage img = DicomImage.read(f);
            bySeries.computeIfAbsent(img.seriesUid(), k -> new ArrayList<>()).add(img);
        }
        List<DicomImage> series;
        if (seriesUid != null) {
            series = bySeries.get(seriesUid);
            if (series == null) {
                throw new MedsaException(source + ": no series " + seriesUid + "; it holds " + describe(bySeries));
            }
        } else if (bySeries.size() > 1) {
            throw new MedsaException(source + ": holds " + bySeries.size() + " series; choose one with --series UID: "
                    + describe(bySeries));
        } else {
            series = bySeries.values().iterator().next();
        }
        return assemble(series, source);
    }

    private static String describe(Map<String, List<DicomImage>> bySeries) {
        return bySeries.entrySet().stream().map(e -> e.getKey() + " (" + (e.getValue().get(0).seriesDescription().isEmpty()
                ? e.getValue().get(0).modality() : e.getValue().get(0).seriesDescription()) + ", " + e.getValue().size()
                        + " files)")
                .collect(Collectors.joining("; "));
    }

    /** One slice to place: a frame of a file and its position. */
    private record Slice(DicomImage image, int frame, double[] position, double along) {}

    private static DicomSeries assemble(List<DicomImage> images, String source) {
        DicomImage first = images.get(0);
        for (DicomImage img : images) {
            if (img.samplesPerPixel() != 1) {
                throw new MedsaException(img.name() + ": a colour (" + img.photometric() + ") image cannot be part of a volume");
            }
            if (img.rows() != first.rows() || img.columns() != first.columns()) {
                throw new MedsaException(img.name() + ": " + img.rows() + "x" + img.columns() + " pixels, but " + first.name()
                        + " has "
                        + first.rows() + "x" + first.columns() + "; a series must have one image size");
            }
            if (images.size() > 1 && img.frames() > 1) {
                throw new MedsaException(img.name() + ": a multi-frame file within a series of " + images.size() + " files");
            }
        }
        double[] o = first.orientation();
        if (o == null || o.length != 6) {
            o = new double[] {1, 0, 0, 0, 1, 0};
            if (images.size() > 1 || first.frames() > 1) {
                throw new MedsaException(first.name() + ": no Image Orientation (Patient); the slices cannot be placed in space");
            }
        }
        checkOrientation(o, first.name());
        for (DicomImage img : images) {
            double[] io = img.orientation();
            if (io != null && maxDiff(io, o) > 1e-4) {
                throw new MedsaException(img.name() + ": orientation " + Arrays.toString(io) + " differs from "
                        + first.name() + "'s " + Arrays.toString(o) + "; the series is not one stack of parallel slices");
            }
        }
        double[] normal = DicomImage.cross(o);
        List<Slice> slices = new ArrayList<>();
        for (DicomImage img : images) {
            for (int f = 0; f < img.frames(); f++) {
                double[] p = img.position(f);
                if (p == null) {
                    if (images.size() > 1 || img.frames() > 1) {
                        throw new MedsaException(img.name() + ": no Image Position (Patient) for frame " + f
                                + "; the slices cannot be ordered");
                    }
                    p = new double[] {0, 0, 0};
                }
                slices.add(new Slice(img, f, p, p[0] * normal[0] + p[1] * normal[1] + p[2] * normal[2]));
            }
        }
        slices.sort(Comparator.comparingDouble(Slice::along));
        double step = stepOf(slices, first, source);
        double[] ps = first.pixelSpacing();
        double rowSpacing = ps != null && ps.length >= 2 ? ps[0] : 1.0;
        double colSpacing = ps != null && ps.length >= 2 ? ps[1] : 1.0;
        if (!(rowSpacing > 0) || !(colSpacing > 0)) {
            throw new MedsaException(first.name() + ": Pixel Spacing " + Arrays.toString(ps) + " is not positive");
        }
        // LPS: voxel (i = column, j = row, k = slice) -> IPP0 + i·colSpacing·rowDir + j·rowSpacing·colDir + k·stepVector
        double[] p0 = slices.get(0).position();
        double[] kVec;
        if (slices.size() > 1) {
            double[] pn = slices.get(slices.size() - 1).position();
            int n = slices.size() - 1;
            kVec = new double[] {(pn[0] - p0[0]) / n, (pn[1] - p0[1]) / n, (pn[2] - p0[2]) / n};
        } else {
            kVec = new double[] {normal[0] * step, normal[1] * step, normal[2] * step};
        }
        double[][] lps = new double[4][4];
        for (int r = 0; r < 3; r++) {
            lps[r][0] = o[r] * colSpacing;
            lps[r][1] = o[3 + r] * rowSpacing;
            lps[r][2] = kVec[r];
            lps[r][3] = p0[r];
        }
        lps[3][3] = 1;
        double[][] ras = new double[4][];
        for (int r = 0; r < 4; r++) {
            ras[r] = lps[r].clone();
        }
        for (int c = 0; c < 4; c++) { // LPS -> RAS: x and y change sign
            ras[0][c] = -lps[0][c];
            ras[1][c] = -lps[1][c];
        }
        Grid grid = new Grid(first.columns(), first.rows(), slices.size(), Affine.of(ras));
        int plane = first.rows() * first.columns();
        float[] data = new float[plane * slices.size()];
        List<Path> order = new ArrayList<>();
        for (int k = 0; k < slices.size(); k++) {
            Slice s = slices.get(k);
            System.arraycopy(s.image().values(s.frame()), 0, data, k * plane, plane);
            Path p = Path.of(s.image().name());
            if (!order.contains(p)) {
                order.add(p);
            }
        }
        String stored = (first.pixelRepresentation() == 1 ? "int" : "uint") + first.bitsAllocated();
        List<DicomSource.Slice> sources = new ArrayList<>();
        for (Slice s : slices) {
            DicomDataset d = s.image().dataset();
            sources.add(new DicomSource.Slice(orEmpty(d.string(Tags.SOP_CLASS_UID)), orEmpty(d.string(0x00080018)),
                    s.image().frames() > 1 ? s.frame() + 1 : 0, s.position().clone()));
        }
        DicomDataset fd = first.dataset();
        DicomSource origin = new DicomSource(orEmpty(fd.string(0x0020000D)), first.seriesUid(), orEmpty(fd.string(0x00200052)),
                DicomSource.patientStudy(fd), sources, o.clone(), new double[] {rowSpacing, colSpacing}, Math.abs(step),
                first.rows(), first.columns());
        return new DicomSeries(new ImageVolume(grid, data), first.modality(), first.seriesUid(), first.seriesDescription(),
                first.transferSyntax(), order, stored, origin);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** Image Orientation (Patient) must be two unit vectors at right angles (within DICOM's usual rounding). */
    private static void checkOrientation(double[] o, String name) {
        double row = Math.sqrt(o[0] * o[0] + o[1] * o[1] + o[2] * o[2]);
        double col = Math.sqrt(o[3] * o[3] + o[4] * o[4] + o[5] * o[5]);
        double dot = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
        if (!(Math.abs(row - 1) < 1e-2 && Math.abs(col - 1) < 1e-2 && Math.abs(dot) < 1e-2)) {
            throw new MedsaException(name + ": Image Orientation (Patient) " + Arrays.toString(o)
                    + " is not two perpendicular unit"
                    + " vectors (row and column directions); the slices cannot be placed in space");
        }
    }

    /** The spacing along the normal, checked to be even and non-zero. */
    private static double stepOf(List<Slice> slices, DicomImage first, String source) {
        if (slices.size() < 2) {
            double[] t = first.sliceThickness();
            return t != null && t[0] > 0 ? t[0] : 1.0;
        }
        double total = slices.get(slices.size() - 1).along() - slices.get(0).along();
        double mean = total / (slices.size() - 1);
        double[] gaps = new double[slices.size() - 1];
        for (int k = 1; k < slices.size(); k++) {
            gaps[k - 1] = slices.get(k).along() - slices.get(k - 1).along();
        }
        double[] sorted = gaps.clone();
        Arrays.sort(sorted);
        double typical = sorted[sorted.length / 2];
        for (int k = 1; k < slices.size(); k++) {
            double gap = gaps[k - 1];
            if (gap < 1e-4 * Math.max(1, Math.abs(typical))) {
                throw new MedsaException(source + ": two slices at the same position (" + where(slices.get(k - 1)) + " and "
                        + where(slices.get(k)) + "): duplicate or overlapping series");
            }
            if (Math.abs(gap - typical) > SPACING_TOLERANCE * typical + 1e-3) {
                throw new MedsaException(String.format(Locale.ROOT,
                        "%s: slices are not evenly spaced: a gap of %.4g mm between %s"
                        + " and %s where the others are %.4g mm (a missing slice?); one volume cannot hold them", source, gap,
                        where(slices.get(k - 1)), where(slices.get(k)), typical));
            }
        }
        return mean;
    }

    private static String where(Slice s) {
        return Path.of(s.image().name()).getFileName() + (s.image().frames() > 1 ? " frame " + s.frame() : "");
    }

    private static double maxDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
