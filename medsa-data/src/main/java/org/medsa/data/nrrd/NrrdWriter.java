package org.medsa.data.nrrd;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.volume.Grid;

/**
 * Writes a 3D {@link NiftiImage} as an NRRD file with an attached header, the way 3D Slicer
 * writes volumes: {@code space: left-posterior-superior}, the affine's columns as {@code space
 * directions} and its origin as {@code space origin} (both converted from RAS to LPS), {@code
 * kinds: domain domain domain}, the stored type and byte order, gzip-compressed unless asked for
 * raw. An image with intensity scaling is written as float32 of the scaled values (NRRD has no
 * scaling field). The file appears atomically.
 */
public final class NrrdWriter {

    private NrrdWriter() {}

    /** Writes {@code image} gzip-compressed. */
    public static void write(NiftiImage image, Path path) {
        write(image, path, true);
    }

    /**
     * Writes {@code image} to {@code path} ({@code gzip}: encoding gzip, else raw).
     *
     * @throws MedsaException for a 4D image, or naming the file and the reason it cannot be written
     */
    public static void write(NiftiImage image, Path path, boolean gzip) {
        if (image.frameCount() != 1) {
            throw new MedsaException(path + ": NRRD output holds one 3D volume; " + image.name() + " has " + image.frameCount()
                    + " frames");
        }
        NiftiImage stored = image;
        NiftiHeader h = image.header();
        if (h.hasScaling() || NrrdFormat.typeName(h.datatype()) == null) {
            Grid g = image.grid();
            stored = NiftiImage.create(NiftiHeaders.forGrid(g, NiftiDatatype.FLOAT32).build(), image.toImageVolume().data(),
                    image.name());
        }
        byte[] header = header(stored, gzip).getBytes(StandardCharsets.US_ASCII);
        NiftiImage data = stored;
        AtomicFiles.write(path, file -> {
            file.write(header);
            if (gzip) {
                OutputStream z = new BufferedOutputStream(new GZIPOutputStream(file, 1 << 16) {
                    {
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                }, 1 << 16);
                data.voxels().writeTo(z);
                z.close();
            } else {
                data.voxels().writeTo(file);
            }
        });
    }

    /** The text header, blank line included. */
    static String header(NiftiImage image, boolean gzip) {
        Grid g = image.grid();
        Affine a = g.affine();
        double[] lps = {-1, -1, 1};
        StringBuilder b = new StringBuilder();
        b.append("NRRD0004\n");
        b.append("# Complete NRRD file format specification at:\n");
        b.append("# http://teem.sourceforge.net/nrrd/format.html\n");
        b.append("type: ").append(NrrdFormat.typeName(image.voxels().datatype())).append('\n');
        b.append("dimension: 3\n");
        b.append("space: left-posterior-superior\n");
        b.append("sizes: ").append(g.nx()).append(' ').append(g.ny()).append(' ').append(g.nz()).append('\n');
        b.append("space directions:");
        for (int c = 0; c < 3; c++) {
            b.append(" (").append(num(lps[0] * a.get(0, c))).append(',').append(num(lps[1] * a.get(1, c))).append(',')
                    .append(num(lps[2] * a.get(2, c))).append(')');
        }
        b.append('\n');
        b.append("kinds: domain domain domain\n");
        b.append("endian: ").append(image.voxels().byteOrder() == ByteOrder.BIG_ENDIAN ? "big" : "little").append('\n');
        b.append("encoding: ").append(gzip ? "gzip" : "raw").append('\n');
        double[] o = a.origin();
        b.append("space origin: (").append(num(lps[0] * o[0])).append(',').append(num(lps[1] * o[1])).append(',')
                .append(num(lps[2] * o[2])).append(")\n");
        b.append('\n');
        return b.toString();
    }

    /** The shortest text that reads back as the same double (no "-0"). */
    private static String num(double v) {
        if (v == 0) {
            return "0";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v).replace("E", "e").toLowerCase(Locale.ROOT);
    }
}
