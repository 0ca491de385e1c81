package org.medsa.data.nifti;

import java.nio.ByteOrder;
import java.util.Arrays;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;

/**
 * The fields of a NIfTI-1 or NIfTI-2 header that this library reads and writes (an immutable
 * value; build modified copies with {@link #toBuilder()}).
 *
 * <p>NIfTI-1 stores most numbers as float32/int16 and NIfTI-2 as float64/int64; both are held
 * here in the wider Java type.
 *
 * <h2>Affine precedence</h2>
 *
 * {@link #affine()} follows the rule used by nibabel and FSL: the sform when {@code sform_code > 0},
 * else the qform when {@code qform_code > 0}, else the NIfTI-1 standard's "method 1" (a diagonal of
 * {@code pixdim[1..3]}, origin at voxel 0). The values are in the file's spatial unit (see {@link
 * #spatialUnitToMm()}); {@link NiftiImage#grid()} converts them to millimetres.
 */
public final class NiftiHeader {

    /** NIfTI-1 header size, and the smallest data offset of a single-file NIfTI-1 (348 + 4). */
    public static final int NIFTI1_HEADER_SIZE = 348;
    /** The smallest data offset of a single-file NIfTI-1 (header plus the 4 extension-flag bytes). */
    public static final int NIFTI1_MIN_VOX_OFFSET = 352;
    /** NIfTI-2 header size, and the smallest data offset of a single-file NIfTI-2 (540 + 4). */
    public static final int NIFTI2_HEADER_SIZE = 540;
    /** The smallest data offset of a single-file NIfTI-2 (header plus the 4 extension-flag bytes). */
    public static final int NIFTI2_MIN_VOX_OFFSET = 544;

    /** NIfTI {@code xform} codes. */
    public static final int XFORM_UNKNOWN = 0;
    /** Scanner-based anatomical coordinates. */
    public static final int XFORM_SCANNER_ANAT = 1;
    /** Coordinates aligned to another file or to anatomical truth. */
    public static final int XFORM_ALIGNED_ANAT = 2;
    /** Talairach-Tournoux atlas coordinates. */
    public static final int XFORM_TALAIRACH = 3;
    /** MNI 152 template coordinates. */
    public static final int XFORM_MNI_152 = 4;

    /** {@code xyzt_units}: millimetres and seconds. */
    public static final int UNITS_MM_SEC = 2 | 8;

    private final int version;
    private final ByteOrder byteOrder;
    private final long[] dims;
    private final double[] pixdim;
    private final NiftiDatatype datatype;
    private final long voxOffset;
    private final double sclSlope;
    private final double sclInter;
    private final double calMin;
    private final double calMax;
    private final int qformCode;
    private final int sformCode;
    private final double quaternB;
    private final double quaternC;
    private final double quaternD;
    private final double[] qoffset;
    private final double[][] srow;
    private final int xyztUnits;
    private final int intentCode;
    private final double[] intentParams;
    private final String intentName;
    private final String description;
    private final String auxFile;
    private final int dimInfo;
    private final int sliceCode;
    private final long sliceStart;
    private final long sliceEnd;
    private final double sliceDuration;
    private final double toffset;
    private final int extensionBytes;

    private NiftiHeader(Builder b) {
        this.version = b.version;
        this.byteOrder = b.byteOrder;
        this.dims = b.dims.clone();
        this.pixdim = b.pixdim.clone();
        this.datatype = b.datatype;
        this.voxOffset = b.voxOffset;
        this.sclSlope = b.sclSlope;
        this.sclInter = b.sclInter;
        this.calMin = b.calMin;
        this.calMax = b.calMax;
        this.qformCode = b.qformCode;
        this.sformCode = b.sformCode;
        this.quaternB = b.quaternB;
        this.quaternC = b.quaternC;
        this.quaternD = b.quaternD;
        this.qoffset = b.qoffset.clone();
        this.srow = new double[][] {b.srow[0].clone(), b.srow[1].clone(), b.srow[2].clone()};
        this.xyztUnits = b.xyztUnits;
        this.intentCode = b.intentCode;
        this.intentParams = b.intentParams.clone();
        this.intentName = b.intentName;
        this.description = b.description;
        this.auxFile = b.auxFile;
        this.dimInfo = b.dimInfo;
        this.sliceCode = b.sliceCode;
        this.sliceStart = b.sliceStart;
        this.sliceEnd = b.sliceEnd;
        this.sliceDuration = b.sliceDuration;
        this.toffset = b.toffset;
        this.extensionBytes = b.extensionBytes;
    }

    /** A builder with the defaults of {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding every field of this header, to build a modified copy. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.version = version;
        b.byteOrder = byteOrder;
        b.dims = dims.clone();
        b.pixdim = pixdim.clone();
        b.datatype = datatype;
        b.voxOffset = voxOffset;
        b.sclSlope = sclSlope;
        b.sclInter = sclInter;
        b.calMin = calMin;
        b.calMax = calMax;
        b.qformCode = qformCode;
        b.sformCode = sformCode;
        b.quaternB = quaternB;
        b.quaternC = quaternC;
        b.quaternD = quaternD;
        b.qoffset = qoffset.clone();
        b.srow = new double[][] {srow[0].clone(), srow[1].clone(), srow[2].clone()};
        b.xyztUnits = xyztUnits;
        b.intentCode = intentCode;
        b.intentParams = intentParams.clone();
        b.intentName = intentName;
        b.description = description;
        b.auxFile = auxFile;
        b.dimInfo = dimInfo;
        b.sliceCode = sliceCode;
        b.sliceStart = sliceStart;
        b.sliceEnd = sliceEnd;
        b.sliceDuration = sliceDuration;
        b.toffset = toffset;
        b.extensionBytes = extensionBytes;
        return b;
    }

    /** 1 or 2. */
    public int version() {
        return version;
    }

    /** The byte order of the header and the voxel data. */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /** Number of dimensions ({@code dim[0]}). */
    public int ndim() {
        return dims.length;
    }

    /** {@code dim[1..dim[0]]}: the size of each axis in file order (i, j, k, t, ...). */
    public long[] dims() {
        return dims.clone();
    }

    /** Size of axis {@code axis} (0-based), or 1 beyond {@code ndim}. */
    public long dim(int axis) {
        return axis < dims.length ? dims[axis] : 1;
    }

    /** Number of voxels: the product of all axis sizes, frames included. */
    public long voxelCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** All eight {@code pixdim} values; {@code pixdim[0]} is the qform's qfac (±1). */
    public double[] pixdim() {
        return pixdim.clone();
    }

    /** Voxel size along the first {@code min(ndim, 3)} axes in millimetres (pixdim times units). */
    public double[] spacingMm() {
        int n = Math.min(dims.length, 3);
        double f = spatialUnitToMm();
        double[] s = new double[n];
        for (int a = 0; a < n; a++) {
            s[a] = pixdim[a + 1] * f;
        }
        return s;
    }

    /** The voxel datatype. */
    public NiftiDatatype datatype() {
        return datatype;
    }

    /** Byte offset of the voxel data in the (decompressed) file. */
    public long voxOffset() {
        return voxOffset;
    }

    /** The raw {@code scl_slope} (0 or non-finite means "no scaling"). */
    public double sclSlope() {
        return sclSlope;
    }

    /** The raw {@code scl_inter} (see {@link #effectiveIntercept()} for the one applied). */
    public double sclInter() {
        return sclInter;
    }

    /** True when stored values are scaled, i.e. the slope is finite and non-zero and not (1, 0). */
    public boolean hasScaling() {
        return effectiveSlope() != 1.0 || effectiveIntercept() != 0.0;
    }

    /** The slope actually applied: {@code scl_slope}, or 1 when it is 0 or not finite (NIfTI rule). */
    public double effectiveSlope() {
        return (sclSlope == 0 || !Double.isFinite(sclSlope)) ? 1.0 : sclSlope;
    }

    /** The intercept actually applied: 0 when no slope applies or it is not finite. */
    public double effectiveIntercept() {
        if (sclSlope == 0 || !Double.isFinite(sclSlope) || !Double.isFinite(sclInter)) {
            return 0.0;
        }
        return sclInter;
    }

    /** The {@code cal_min} display hint (not used for scaling). */
    public double calMin() {
        return calMin;
    }

    /** The {@code cal_max} display hint (not used for scaling). */
    public double calMax() {
        return calMax;
    }

    /** The {@code qform_code} ({@code XFORM_*}; 0 means no qform). */
    public int qformCode() {
        return qformCode;
    }

    /** The {@code sform_code} ({@code XFORM_*}; 0 means no sform). */
    public int sformCode() {
        return sformCode;
    }

    /** The qform quaternion's b component ({@code quatern_b}). */
    public double quaternB() {
        return quaternB;
    }

    /** The qform quaternion's c component ({@code quatern_c}). */
    public double quaternC() {
        return quaternC;
    }

    /** The qform quaternion's d component ({@code quatern_d}). */
    public double quaternD() {
        return quaternD;
    }

    /** (qoffset_x, qoffset_y, qoffset_z). */
    public double[] qoffset() {
        return qoffset.clone();
    }

    /** srow_x, srow_y, srow_z (three rows of four). */
    public double[][] srow() {
        return new double[][] {srow[0].clone(), srow[1].clone(), srow[2].clone()};
    }

    /** The raw {@code xyzt_units} bit field (spatial unit in bits 0-2, time unit in bits 3-5). */
    public int xyztUnits() {
        return xyztUnits;
    }

    /** Factor from the header's spatial unit to mm (unknown units are taken as mm). */
    public double spatialUnitToMm() {
        switch (xyztUnits & 0x07) {
            case 1: return 1000.0; // metre
            case 3: return 0.001; // micron
            default: return 1.0; // mm or unknown
        }
    }

    /** "mm", "m", "um" or "unknown". */
    public String spatialUnitName() {
        switch (xyztUnits & 0x07) {
            case 1: return "m";
            case 2: return "mm";
            case 3: return "um";
            default: return "unknown";
        }
    }

    /** The {@code intent_code} (0 for none). */
    public int intentCode() {
        return intentCode;
    }

    /** intent_p1..p3. */
    public double[] intentParams() {
        return intentParams.clone();
    }

    /** The {@code intent_name} ("" if empty). */
    public String intentName() {
        return intentName;
    }

    /** The {@code descrip} field. */
    public String description() {
        return description;
    }

    /** The {@code aux_file} field ("" if empty). */
    public String auxFile() {
        return auxFile;
    }

    /** The raw {@code dim_info} byte (frequency, phase and slice axes). */
    public int dimInfo() {
        return dimInfo;
    }

    /** The {@code slice_code} (slice timing order). */
    public int sliceCode() {
        return sliceCode;
    }

    /** The {@code slice_start} index. */
    public long sliceStart() {
        return sliceStart;
    }

    /** The {@code slice_end} index. */
    public long sliceEnd() {
        return sliceEnd;
    }

    /** The {@code slice_duration}, in the header's time unit. */
    public double sliceDuration() {
        return sliceDuration;
    }

    /** The {@code toffset} (time axis shift), in the header's time unit. */
    public double toffset() {
        return toffset;
    }

    /** Bytes of header extensions between the header and the data (kept but not interpreted). */
    public int extensionBytes() {
        return extensionBytes;
    }

    /** qfac = pixdim[0]: -1 flips the third axis of the qform; anything else counts as +1. */
    public double qfac() {
        return pixdim[0] < 0 ? -1.0 : 1.0;
    }

    /** The qform affine (quaternion rotation, pixdim scaling with qfac, qoffset). */
    public Affine qformAffine() {
        double b = quaternB, c = quaternC, d = quaternD;
        double aa = 1.0 - (b * b + c * c + d * d);
        double a;
        if (aa < 1e-7) { // rounding: renormalise (b, c, d) and take a = 0 (a 180 degree rotation)
            double norm = Math.sqrt(b * b + c * c + d * d);
            a = 0;
            b /= norm;
            c /= norm;
            d /= norm;
        } else {
            a = Math.sqrt(aa);
        }
        double[][] r = {
            {a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)},
            {2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)},
            {2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - b * b - c * c}
        };
        double[] zoom = {positive(pixdim[1]), positive(pixdim[2]), positive(pixdim[3]) * qfac()};
        double[][] rows = new double[3][4];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                rows[i][j] = r[i][j] * zoom[j];
            }
            rows[i][3] = qoffset[i];
        }
        return Affine.of(rows);
    }

    /** The sform affine (srow_x/y/z). */
    public Affine sformAffine() {
        return Affine.of(srow);
    }

    /** "Method 1" of the NIfTI-1 standard: pixdim scaling only, voxel 0 at the origin. */
    public Affine fallbackAffine() {
        return Affine.diagonal(positive(pixdim[1]), positive(pixdim[2]), positive(pixdim[3]), 0, 0, 0);
    }

    /** The affine by the precedence sform, qform, method 1 (see the class comment). */
    public Affine affine() {
        if (sformCode > 0) {
            return sformAffine();
        }
        if (qformCode > 0) {
            return qformAffine();
        }
        return fallbackAffine();
    }

    /** Which of "sform", "qform", "pixdim" {@link #affine()} comes from. */
    public String affineSource() {
        return sformCode > 0 ? "sform" : qformCode > 0 ? "qform" : "pixdim";
    }

    // A missing (0) or negative voxel size would make the affine singular; 1 is the usual default.
    private static double positive(double v) {
        return v == 0 || !Double.isFinite(v) ? 1.0 : Math.abs(v);
    }

    @Override
    public String toString() {
        return "NIfTI-" + version + " " + datatype + " " + Arrays.toString(dims) + " pixdim="
                + Arrays.toString(pixdim) + " qform=" + qformCode + " sform=" + sformCode;
    }

    /** Mutable builder; defaults describe a 1x1x1 NIfTI-1 uint8 image with identity geometry. */
    public static final class Builder {
        private int version = 1;
        private ByteOrder byteOrder = ByteOrder.LITTLE_ENDIAN;
        private long[] dims = {1, 1, 1};
        private double[] pixdim = {1, 1, 1, 1, 0, 0, 0, 0};
        private NiftiDatatype datatype = NiftiDatatype.UINT8;
        private long voxOffset = NIFTI1_MIN_VOX_OFFSET;
        private double sclSlope = 1;
        private double sclInter = 0;
        private double calMin;
        private double calMax;
        private int qformCode;
        private int sformCode;
        private double quaternB;
        private double quaternC;
        private double quaternD;
        private double[] qoffset = new double[3];
        private double[][] srow = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}};
        private int xyztUnits = UNITS_MM_SEC;
        private int intentCode;
        private double[] intentParams = new double[3];
        private String intentName = "";
        private String description = "";
        private String auxFile = "";
        private int dimInfo;
        private int sliceCode;
        private long sliceStart;
        private long sliceEnd;
        private double sliceDuration;
        private double toffset;
        private int extensionBytes;

        private Builder() {}

        /** NIfTI version, 1 or 2 (default 1). */
        public Builder version(int v) {
            if (v != 1 && v != 2) {
                throw new MedsaException("NIfTI version must be 1 or 2, got " + v);
            }
            this.version = v;
            return this;
        }

        /** Byte order of the header and data (default little-endian). */
        public Builder byteOrder(ByteOrder order) {
            this.byteOrder = order;
            return this;
        }

        /** Axis sizes in file order (1 to 7 of them, each at least 1). */
        public Builder dims(long... d) {
            if (d.length < 1 || d.length > 7) {
                throw new MedsaException("NIfTI images have 1 to 7 dimensions, got " + d.length);
            }
            for (long v : d) {
                if (v < 1) {
                    throw new MedsaException("dimension sizes must be >= 1: " + Arrays.toString(d));
                }
            }
            this.dims = d.clone();
            return this;
        }

        /** All eight pixdim values (pixdim[0] = qfac). */
        public Builder pixdim(double... p) {
            if (p.length != 8) {
                throw new MedsaException("pixdim has 8 values");
            }
            this.pixdim = p.clone();
            return this;
        }

        /** The voxel datatype (default uint8; required). */
        public Builder datatype(NiftiDatatype t) {
            this.datatype = t;
            return this;
        }

        /** Byte offset of the voxel data (default 352; {@link NiftiWriter} sets it itself). */
        public Builder voxOffset(long offset) {
            this.voxOffset = offset;
            return this;
        }

        /** {@code scl_slope} and {@code scl_inter} (default 1 and 0: no scaling). */
        public Builder scaling(double slope, double inter) {
            this.sclSlope = slope;
            this.sclInter = inter;
            return this;
        }

        /** {@code cal_min} and {@code cal_max} (default 0 and 0). */
        public Builder calRange(double min, double max) {
            this.calMin = min;
            this.calMax = max;
            return this;
        }

        /** The qform: its code, quaternion (b, c, d) and offset (x, y, z), in the header's spatial unit. */
        public Builder qform(int code, double b, double c, double d, double ox, double oy, double oz) {
            this.qformCode = code;
            this.quaternB = b;
            this.quaternC = c;
            this.quaternD = d;
            this.qoffset = new double[] {ox, oy, oz};
            return this;
        }

        /** The {@code qform_code} alone (default 0). */
        public Builder qformCode(int code) {
            this.qformCode = code;
            return this;
        }

        /** The sform: its code and the three rows of four (srow_x, srow_y, srow_z) (default identity rows). */
        public Builder sform(int code, double[][] rows) {
            this.sformCode = code;
            this.srow = new double[][] {rows[0].clone(), rows[1].clone(), rows[2].clone()};
            return this;
        }

        /** The {@code sform_code} alone (default 0). */
        public Builder sformCode(int code) {
            this.sformCode = code;
            return this;
        }

        /** The {@code xyzt_units} bit field (default {@link #UNITS_MM_SEC}). */
        public Builder xyztUnits(int units) {
            this.xyztUnits = units;
            return this;
        }

        /** The intent: its code, parameters p1..p3 and name (null becomes ""). */
        public Builder intent(int code, double p1, double p2, double p3, String name) {
            this.intentCode = code;
            this.intentParams = new double[] {p1, p2, p3};
            this.intentName = name == null ? "" : name;
            return this;
        }

        /** The {@code descrip} field (null becomes ""). */
        public Builder description(String text) {
            this.description = text == null ? "" : text;
            return this;
        }

        /** The {@code aux_file} field (null becomes ""). */
        public Builder auxFile(String text) {
            this.auxFile = text == null ? "" : text;
            return this;
        }

        /** The raw {@code dim_info} byte (default 0). */
        public Builder dimInfo(int v) {
            this.dimInfo = v;
            return this;
        }

        /** Slice timing: {@code slice_code}, {@code slice_start}, {@code slice_end} and {@code slice_duration}. */
        public Builder slice(int code, long start, long end, double duration) {
            this.sliceCode = code;
            this.sliceStart = start;
            this.sliceEnd = end;
            this.sliceDuration = duration;
            return this;
        }

        /** The {@code toffset} (default 0). */
        public Builder toffset(double t) {
            this.toffset = t;
            return this;
        }

        /** Bytes of header extensions before the data (default 0). */
        public Builder extensionBytes(int n) {
            this.extensionBytes = n;
            return this;
        }

        /**
         * The header.
         *
         * @throws MedsaException if no datatype is set
         */
        public NiftiHeader build() {
            if (datatype == null) {
                throw new MedsaException("datatype is required");
            }
            return new NiftiHeader(this);
        }
    }
}
