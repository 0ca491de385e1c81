package org.medsa.data.inspect;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.medsa.core.MedsaException;
import org.medsa.data.dicom.DicomSeries;
import org.medsa.data.geometry.Affine;
import org.medsa.data.image.Image2D;
import org.medsa.data.image.Image2DReader;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.VoxelBuffer;
import org.medsa.data.volume.VolumeFiles;

/**
 * Describes a medical image file as JSON: what {@code medsa inspect --json} prints.
 *
 * <h2>Fields (always present)</h2>
 *
 * <ul>
 *   <li>{@code file}, {@code format} ("NIfTI-1", "NIfTI-2", "PNG", "JPEG", "BMP", "TIFF");
 *   <li>{@code shape}: NIfTI: {@code dim[1..dim[0]]} in the file's axis order (i, j, k, ...);
 *       2D images: (H, W) for gray and palette images, (H, W, C) for colour, as numpy/PIL;
 *   <li>{@code dtype}: the stored type ("uint8", "int16", "float32", ...; palette indices are
 *       "uint8");
 *   <li>{@code spacing}: voxel size in mm of the first min(ndim, 3) axes (pixdim converted by
 *       {@code xyzt_units}; unknown units count as mm); 1.0 per axis for 2D images;
 *   <li>{@code min}, {@code max}, {@code sum}: of the values after {@code scl_slope/scl_inter},
 *       as doubles, NaN and infinite voxels excluded (and counted in {@code nan_count},
 *       {@code inf_count}); for 2D images over
 *       every stored sample (palette indices, all colour channels);
 *   <li>{@code labels}: only when every value is a finite integer and there are at most 1000
 *       distinct values (single-channel images only): {"value": voxel count, ...} in ascending
 *       value order.
 * </ul>
 *
 * Extras: NIfTI {@code compressed}, {@code byte_order}, {@code pixdim}, {@code units},
 * {@code scl_slope}/{@code scl_inter} (as stored), {@code qform_code}, {@code sform_code},
 * {@code affine} (4x4 rows, by the sform/qform precedence of {@link NiftiHeader#affine()}),
 * {@code affine_source}, {@code orientation} (e.g. "RAS"), {@code description}; 2D
 * {@code color_type}, {@code bit_depth}; both {@code voxel_count}, {@code distinct_values} (when
 * at most 1000).
 */
public final class Inspector {

    /** Above this many distinct values, {@code labels} is left out. */
    public static final int MAX_LABELS = 1000;

    private Inspector() {}

    /**
     * Describes a NIfTI (.nii, .nii.gz), DICOM (a file or a folder of one series) or 2D image file
     * (.png, .jpg, .jpeg, .bmp, .tif, .tiff) as JSON.
     *
     * @throws MedsaException if the file is missing, a folder, of another type or unreadable
     */
    public static JsonObject inspect(Path file) {
        return inspect(file, null);
    }

    /**
     * Describes a file as {@link #inspect(Path)} does; {@code dicomSeries} picks one series of a
     * DICOM folder that holds several (null: the only one).
     *
     * @throws MedsaException if the file is missing, a folder, of another type or unreadable, or
     *     a series is given for a file that is not DICOM
     */
    public static JsonObject inspect(Path file, String dicomSeries) {
        if (!Files.exists(file)) {
            throw new MedsaException(file + ": file not found");
        }
        VolumeFiles.Kind kind = VolumeFiles.kind(file);
        if (kind == VolumeFiles.Kind.DICOM) {
            return inspectDicom(file, dicomSeries);
        }
        if (dicomSeries != null) {
            throw new MedsaException(file + ": --series applies to DICOM folders; this is not DICOM");
        }
        if (Files.isDirectory(file)) {
            throw new MedsaException(file + ": is a directory without DICOM files; give a .nii, .nii.gz, .png, .jpg, .bmp file"
                    + " or a DICOM series");
        }
        if (kind == VolumeFiles.Kind.NIFTI) {
            return inspectNifti(file);
        }
        if (kind == VolumeFiles.Kind.NRRD) {
            JsonObject o = describeNifti(file, VolumeFiles.read(file));
            o.addProperty("format", "NRRD");
            return o;
        }
        if (kind == VolumeFiles.Kind.IMAGE) {
            return inspectImage(file);
        }
        throw new MedsaException(file + ": unknown file type; expected .nii, .nii.gz, .nrrd, .png, .jpg, .jpeg, .bmp, .tif");
    }

    private static JsonObject inspectNifti(Path file) {
        JsonObject o = describeNifti(file, VolumeFiles.read(file));
        o.addProperty("compressed", isGzip(file));
        return o;
    }

    /**
     * A DICOM file or series: the keys of a NIfTI volume (for the volume this library builds from
     * it: RAS affine, modality values), with the stored sample type as {@code dtype}, plus
     * {@code modality}, {@code transfer_syntax} ("UID (name)"), {@code series_uid} and {@code files}.
     */
    private static JsonObject inspectDicom(Path file, String dicomSeries) {
        DicomSeries series = DicomSeries.read(file, dicomSeries);
        JsonObject o = describeNifti(file, VolumeFiles.fromDicom(series, file.toString()));
        o.addProperty("format", "DICOM");
        o.addProperty("dtype", series.storedType());
        o.addProperty("compressed", series.transferSyntax().encapsulated() || series.transferSyntax().deflated());
        o.addProperty("byte_order", series.transferSyntax().bigEndian() ? "big" : "little");
        o.addProperty("modality", series.modality());
        o.addProperty("transfer_syntax", series.transferSyntax().uid() + " (" + series.transferSyntax().displayName() + ")");
        o.addProperty("series_uid", series.seriesUid());
        o.addProperty("files", series.files().size());
        return o;
    }

    private static JsonObject describeNifti(Path file, NiftiImage img) {
        NiftiHeader h = img.header();
        JsonObject o = new JsonObject();
        o.addProperty("file", file.toString());
        o.addProperty("format", "NIfTI-" + h.version());
        o.add("shape", longs(h.dims()));
        o.addProperty("dtype", h.datatype().typeName());
        o.add("spacing", doubles(h.spacingMm()));
        Stats s = niftiStats(img);
        s.addTo(o);
        o.addProperty("byte_order", h.byteOrder() == ByteOrder.LITTLE_ENDIAN ? "little" : "big");
        double[] pixdim = h.pixdim();
        o.add("pixdim", doubles(Arrays.copyOfRange(pixdim, 1, 1 + h.ndim())));
        o.addProperty("units", h.spatialUnitName());
        addNumber(o, "scl_slope", h.sclSlope());
        addNumber(o, "scl_inter", h.sclInter());
        o.addProperty("qform_code", h.qformCode());
        o.addProperty("sform_code", h.sformCode());
        Affine a = h.affine();
        JsonArray rows = new JsonArray();
        for (double[] r : a.toRows()) {
            rows.add(doubles(r));
        }
        o.add("affine", rows);
        o.addProperty("affine_source", h.affineSource());
        o.addProperty("orientation", a.orientationCode());
        o.addProperty("description", h.description());
        return o;
    }

    private static JsonObject inspectImage(Path file) {
        Image2D img = Image2DReader.read(file);
        JsonObject o = new JsonObject();
        o.addProperty("file", file.toString());
        o.addProperty("format", img.format());
        JsonArray shape = new JsonArray();
        for (int d : img.shape()) {
            shape.add(d);
        }
        o.add("shape", shape);
        o.addProperty("dtype", img.dtype());
        JsonArray spacing = new JsonArray();
        spacing.add(1.0);
        spacing.add(1.0);
        o.add("spacing", spacing);
        Stats s = new Stats(img.channels() == 1);
        for (int v : img.samples()) {
            s.addInteger(v);
        }
        s.addTo(o);
        o.addProperty("color_type", img.colorType().name().toLowerCase(Locale.ROOT));
        o.addProperty("bit_depth", img.bitDepth());
        return o;
    }

    private static Stats niftiStats(NiftiImage img) {
        NiftiHeader h = img.header();
        VoxelBuffer v = img.voxels();
        int n = v.count();
        Stats s = new Stats(true);
        NiftiDatatype t = h.datatype();
        boolean exactIntegers = t.isInteger() && !h.hasScaling() && t.bytes() <= 4;
        if (exactIntegers) {
            for (int i = 0; i < n; i++) {
                s.addInteger(v.rawLong(i));
            }
        } else {
            double slope = h.effectiveSlope(), inter = h.effectiveIntercept();
            for (int i = 0; i < n; i++) {
                s.add(slope * v.raw(i) + inter);
            }
        }
        return s;
    }

    private static boolean isGzip(Path file) {
        try (var in = Files.newInputStream(file)) {
            return in.read() == 0x1F && in.read() == 0x8B;
        } catch (IOException e) {
            return false;
        }
    }

    /** Running min, max, compensated sum, NaN count and (while few) value counts. */
    private static final class Stats {
        private final boolean trackLabels;
        private double min = Double.POSITIVE_INFINITY;
        private double max = Double.NEGATIVE_INFINITY;
        private double sum;
        private double compensation;
        private long count;
        private long nanCount;
        private long infCount;
        private boolean integral = true;
        private Map<Long, long[]> counts = new HashMap<>();
        private final long[] small = new long[1 << 17]; // fast path for values in [-65536, 65535]
        private int smallDistinct;

        Stats(boolean trackLabels) {
            this.trackLabels = trackLabels;
        }

        void addInteger(long v) {
            count++;
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            addToSum(v);
            countValue(v);
        }

        void add(double v) {
            count++;
            if (Double.isNaN(v)) {
                nanCount++;
                integral = false;
                return;
            }
            if (Double.isInfinite(v)) { // JSON cannot hold infinities: counted, kept out of min/max/sum
                infCount++;
                integral = false;
                return;
            }
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            addToSum(v);
            if (integral && (v != Math.rint(v) || Math.abs(v) > 9.007199254740992E15)) {
                integral = false;
            }
            if (integral) {
                countValue((long) v);
            }
        }

        private void addToSum(double v) { // Kahan summation: close to numpy's pairwise sum for floats
            double y = v - compensation;
            double t = sum + y;
            compensation = (t - sum) - y;
            sum = t;
        }

        private void countValue(long v) {
            if (!trackLabels || counts == null) {
                return;
            }
            if (v >= -65536 && v < 65536) {
                if (small[(int) v + 65536]++ == 0) {
                    smallDistinct++;
                }
            } else {
                counts.computeIfAbsent(v, k -> new long[1])[0]++;
            }
            if (smallDistinct + counts.size() > MAX_LABELS) {
                counts = null; // too many: stop counting
            }
        }

        void addTo(JsonObject o) {
            boolean any = count > nanCount + infCount;
            o.add("min", any ? new JsonPrimitive(min) : JsonNull.INSTANCE);
            o.add("max", any ? new JsonPrimitive(max) : JsonNull.INSTANCE);
            o.addProperty("sum", sum);
            o.addProperty("voxel_count", count);
            o.addProperty("nan_count", nanCount);
            if (infCount > 0) {
                o.addProperty("inf_count", infCount);
            }
            if (trackLabels && integral && counts != null && any) {
                Map<Long, Long> sorted = new TreeMap<>();
                for (int i = 0; i < small.length; i++) {
                    if (small[i] > 0) {
                        sorted.put((long) i - 65536, small[i]);
                    }
                }
                counts.forEach((k, c) -> sorted.put(k, c[0]));
                o.addProperty("distinct_values", sorted.size());
                JsonObject labels = new JsonObject();
                sorted.forEach((k, c) -> labels.addProperty(String.valueOf(k), c));
                o.add("labels", labels);
            }
        }
    }

    private static JsonArray longs(long[] v) {
        JsonArray a = new JsonArray();
        for (long x : v) {
            a.add(x);
        }
        return a;
    }

    private static JsonArray doubles(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            if (Double.isFinite(x)) {
                a.add(x);
            } else {
                a.add(JsonNull.INSTANCE);
            }
        }
        return a;
    }

    private static void addNumber(JsonObject o, String key, double v) {
        if (Double.isFinite(v)) {
            o.addProperty(key, v);
        } else {
            o.add(key, JsonNull.INSTANCE); // JSON has no NaN: stored NaN (= "no scaling") is null
        }
    }
}
