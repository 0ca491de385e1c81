package org.medsa.data.nifti;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;

/**
 * A NIfTI image in memory: its header and its stored voxels, plus conversions to the library's
 * volume types.
 *
 * <p>Voxels are in file order (first axis fastest). Axes beyond the third are "frames" (time
 * points or MRI sequences, as in MSD's 4D BrainTumour images); a frame is one 3D volume.
 */
public final class NiftiImage {

    private final NiftiHeader header;
    private final VoxelBuffer voxels;
    private final String name;

    NiftiImage(NiftiHeader header, VoxelBuffer voxels, String name) {
        if (header.voxelCount() != voxels.count()) {
            throw new MedsaException(
                    "header describes " + header.voxelCount() + " voxels, data has " + voxels.count());
        }
        this.header = header;
        this.voxels = voxels;
        this.name = name;
    }

    /** The image's header. */
    public NiftiHeader header() {
        return header;
    }

    /** The stored values (unscaled). */
    public VoxelBuffer voxels() {
        return voxels;
    }

    /** The name used in error messages (usually the file path). */
    public String name() {
        return name;
    }

    /** Number of voxels, frames included. */
    public int voxelCount() {
        return voxels.count();
    }

    /** Voxel {@code i} after {@code scl_slope}/{@code scl_inter}. */
    public double value(int i) {
        return header.effectiveSlope() * voxels.raw(i) + header.effectiveIntercept();
    }

    /** Number of 3D frames: the product of the sizes of axes 4..7. */
    public int frameCount() {
        long n = 1;
        for (int a = 3; a < header.ndim(); a++) {
            n *= header.dim(a);
        }
        return (int) n;
    }

    /**
     * The 3D grid: the first three axes (missing ones count as size 1) and the affine converted to
     * millimetres.
     */
    public Grid grid() {
        Affine a = header.affine();
        double f = header.spatialUnitToMm();
        if (f != 1.0) {
            double[][] rows = a.toRows();
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    rows[r][c] *= f;
                }
            }
            a = Affine.of(rows);
        }
        return new Grid((int) header.dim(0), (int) header.dim(1), (int) header.dim(2), a);
    }

    /** The scaled values of the only frame as a float volume; fails for a multi-frame image. */
    public ImageVolume toImageVolume() {
        if (frameCount() != 1) {
            throw new MedsaException(name + ": has " + frameCount() + " frames (shape "
                    + Arrays.toString(header.dims()) + "); choose one frame (channel)");
        }
        return toImageVolume(0);
    }

    /** The scaled values of frame {@code frame} (0-based) as a float volume. */
    public ImageVolume toImageVolume(int frame) {
        if (frame < 0 || frame >= frameCount()) {
            throw new MedsaException(name + ": frame " + frame + " requested but the image has "
                    + frameCount() + " frame(s)");
        }
        Grid grid = grid();
        int n = grid.voxelCount();
        float[] data = new float[n];
        voxels.toFloats(frame * n, n, header.effectiveSlope(), header.effectiveIntercept(), data, 0);
        return new ImageVolume(grid, data);
    }

    /**
     * The voxels as integer labels. Fails, naming the file, when a scaled value is not an integer
     * (a label map must never hold interpolated values) or the image has several frames.
     */
    public LabelVolume toLabelVolume() {
        if (frameCount() != 1) {
            throw new MedsaException(name + ": a label map must be 3D, but it has " + frameCount()
                    + " frames (shape " + Arrays.toString(header.dims()) + ")");
        }
        Grid grid = grid();
        int n = grid.voxelCount();
        int[] labels = new int[n];
        boolean plainInteger = header.datatype().isInteger() && !header.hasScaling();
        boolean unsigned64 = header.datatype() == NiftiDatatype.UINT64;
        for (int i = 0; i < n; i++) {
            if (plainInteger) {
                long v = voxels.rawLong(i); // exact, also for 64-bit labels beyond 2^53
                if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE || (unsigned64 && v < 0)) {
                    throw new MedsaException(name + ": voxel " + i + " holds label " + (unsigned64 ? Long.toUnsignedString(v) : v)
                            + ", beyond the 32-bit labels this library reads (at most " + Integer.MAX_VALUE + ")");
                }
                labels[i] = (int) v;
                continue;
            }
            double v = value(i);
            if (v != Math.rint(v)) {
                throw new MedsaException(name + ": not a label map: voxel " + i + " holds " + v + " (labels must be integers)");
            }
            if (Math.abs(v) > Integer.MAX_VALUE) {
                throw new MedsaException(name + ": voxel " + i + " holds label " + v + ", beyond the 32-bit labels this library"
                        + " reads (at most " + Integer.MAX_VALUE + ")");
            }
            labels[i] = (int) v;
        }
        return new LabelVolume(grid, labels);
    }

    /**
     * Builds an image from a header and values in file order. The values are stored as
     * {@code (value - scl_inter) / scl_slope} in the header's datatype: rounded to the nearest
     * integer for integer types, and rejected (naming {@code name}) when they do not fit.
     */
    public static NiftiImage create(NiftiHeader header, double[] values, String name) {
        return new NiftiImage(header, encode(header, new DoubleSource(values), name), name);
    }

    /** As {@link #create(NiftiHeader, double[], String)} for float values. */
    public static NiftiImage create(NiftiHeader header, float[] values, String name) {
        return new NiftiImage(header, encode(header, i -> values[i], values.length, name), name);
    }

    /** As {@link #create(NiftiHeader, double[], String)} for integer values (labels). */
    public static NiftiImage create(NiftiHeader header, int[] values, String name) {
        return new NiftiImage(header, encode(header, i -> values[i], values.length, name), name);
    }

    /**
     * An image over stored bytes as they are: {@code data} holds the header's datatype in the
     * header's byte order, first axis fastest (how other formats' readers, e.g. NRRD's, hand over
     * their voxels without converting them).
     *
     * @throws MedsaException if the byte count does not fit the header
     */
    public static NiftiImage fromStored(NiftiHeader header, byte[] data, String name) {
        long expected = header.voxelCount() * header.datatype().bytes();
        if (data.length != expected) {
            throw new MedsaException(name + ": " + data.length + " bytes of voxel data where the header describes " + expected);
        }
        return new NiftiImage(header, new VoxelBuffer(header.datatype(), data, header.byteOrder()), name);
    }

    /** An image whose header carries the grid of {@code volume}: see {@link NiftiHeaders#forGrid}. */
    public static NiftiImage of(ImageVolume volume, NiftiDatatype type) {
        NiftiHeader h = NiftiHeaders.forGrid(volume.grid(), type).build();
        return create(h, volume.data(), "image");
    }

    /** A label image with the grid of {@code labels}. */
    public static NiftiImage of(LabelVolume labels, NiftiDatatype type) {
        NiftiHeader h = NiftiHeaders.forGrid(labels.grid(), type).build();
        return create(h, labels.data(), "labels");
    }

    private interface ValueSource {
        double get(int i);
    }

    private static final class DoubleSource implements ValueSource {
        final double[] v;

        DoubleSource(double[] v) {
            this.v = v;
        }

        @Override
        public double get(int i) {
            return v[i];
        }
    }

    private static VoxelBuffer encode(NiftiHeader h, DoubleSource source, String name) {
        return encode(h, source, source.v.length, name);
    }

    private static VoxelBuffer encode(NiftiHeader h, ValueSource source, int count, String name) {
        if (count != h.voxelCount()) {
            throw new MedsaException(name + ": " + count + " values for a header of "
                    + h.voxelCount() + " voxels");
        }
        NiftiDatatype t = h.datatype();
        long bytes = (long) count * t.bytes();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new MedsaException(name + ": " + bytes + " bytes of voxel data is more than 2 GiB");
        }
        double slope = h.effectiveSlope();
        double inter = h.effectiveIntercept();
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(h.byteOrder());
        for (int i = 0; i < count; i++) {
            double stored = (source.get(i) - inter) / slope;
            if (t.isInteger()) {
                if (Double.isNaN(stored)) {
                    throw new MedsaException(name + ": voxel " + i + " is NaN, which " + t + " cannot store");
                }
                stored = Math.rint(stored);
                if (stored < t.minValue() || stored > t.maxValue()) {
                    throw new MedsaException(name + ": voxel " + i + " value " + source.get(i)
                            + " does not fit " + t + " (range " + (long) t.minValue() + ".."
                            + (t == NiftiDatatype.UINT64 ? "2^64-1" : String.valueOf((long) t.maxValue())) + ")");
                }
            }
            switch (t) {
                case UINT8:
                case INT8: b.put(i, (byte) (long) stored); break;
                case INT16:
                case UINT16: b.putShort(2 * i, (short) (long) stored); break;
                case INT32:
                case UINT32: b.putInt(4 * i, (int) (long) stored); break;
                case INT64: b.putLong(8 * i, (long) stored); break;
                case UINT64: b.putLong(8 * i, toUnsignedLong(stored)); break;
                case FLOAT32: b.putFloat(4 * i, (float) stored); break;
                case FLOAT64: b.putDouble(8 * i, stored); break;
                default: throw new IllegalStateException(t.toString());
            }
        }
        return new VoxelBuffer(t, b.array(), h.byteOrder());
    }

    private static long toUnsignedLong(double v) {
        if (v < 9.223372036854775807E18) {
            return (long) v;
        }
        return (long) (v - 9.223372036854775807E18) + Long.MIN_VALUE;
    }
}
