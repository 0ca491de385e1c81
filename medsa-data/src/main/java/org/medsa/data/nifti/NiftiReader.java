package org.medsa.data.nifti;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;

/**
 * Reads single-file NIfTI-1 and NIfTI-2 images ({@code .nii}, {@code .nii.gz}).
 *
 * <p>Compression is detected from the gzip signature, not the file name. gzip is decoded as a
 * stream: the header can be read without inflating the voxels, and the voxels are inflated
 * straight into their final buffer. After the voxels the rest of a gzip stream is drained so that
 * its CRC is checked. Every failure is a {@link MedsaException} whose message starts with the file
 * name.
 */
public final class NiftiReader {

    private static final int BUFFER = 1 << 16;

    private NiftiReader() {}

    /** Reads header and voxels; errors name {@code path}. */
    public static NiftiImage read(Path path) {
        return read(path, path.toString());
    }

    /** Reads header and voxels; errors name the file {@code displayName}. */
    public static NiftiImage read(Path path, String displayName) {
        try (CountingStream in = open(path, displayName)) {
            NiftiHeader header = readHeader(in, displayName);
            skipTo(in, header.voxOffset(), displayName);
            long length = header.voxelCount() * header.datatype().bytes();
            if (length > Integer.MAX_VALUE - 8) {
                throw new MedsaException(displayName + ": " + length
                        + " bytes of voxel data; images over 2 GiB are not supported");
            }
            byte[] data = in.readNBytes((int) length);
            if (data.length < length) {
                throw new MedsaException(displayName + ": truncated: the header describes " + length
                        + " bytes of voxel data but the file ends after " + data.length);
            }
            if (in.gzip) {
                drain(in); // reaches the gzip trailer, which checks the CRC and length
            }
            return new NiftiImage(header, new VoxelBuffer(header.datatype(), data, header.byteOrder()), displayName);
        } catch (IOException e) {
            throw translate(e, path, displayName);
        }
    }

    /** Reads only the header (inflating just its bytes for a .nii.gz). */
    public static NiftiHeader readHeader(Path path) {
        return readHeader(path, path.toString());
    }

    /** Reads only the header; errors name {@code displayName}. */
    public static NiftiHeader readHeader(Path path, String displayName) {
        try (CountingStream in = open(path, displayName)) {
            return readHeader(in, displayName);
        } catch (IOException e) {
            throw translate(e, path, displayName);
        }
    }

    /** True for names ending in .nii or .nii.gz (case-insensitive). */
    public static boolean isNiftiName(Path path) {
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".nii") || n.endsWith(".nii.gz");
    }

    private static NiftiHeader readHeader(CountingStream in, String name) throws IOException {
        byte[] first = in.readNBytes(4);
        if (first.length < 4) {
            throw new MedsaException(name + ": " + (first.length == 0 ? "empty file" : "file ends after "
                    + first.length + " bytes, inside the NIfTI header"));
        }
        NiftiHeaderCodec.Layout layout = NiftiHeaderCodec.sniff(first, name);
        byte[] header = new byte[layout.headerSize];
        System.arraycopy(first, 0, header, 0, 4);
        int got = in.readNBytes(header, 4, layout.headerSize - 4);
        if (got < layout.headerSize - 4) {
            throw new MedsaException(name + ": truncated: file ends after " + (4 + got)
                    + " bytes, inside the " + layout.headerSize + "-byte NIfTI-" + layout.version + " header");
        }
        NiftiHeader h = NiftiHeaderCodec.decode(header, layout, name);
        requireUsableAffine(h, name);
        return h;
    }

    /**
     * The affine the header's codes select must place voxels somewhere: finite and not singular
     * (an all-zero sform with sform_code > 0 would otherwise be taken for a valid orientation).
     */
    private static void requireUsableAffine(NiftiHeader h, String name) {
        Affine a = h.affine();
        double[][] rows = a.toRows();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                if (!Double.isFinite(rows[r][c])) {
                    throw new MedsaException(name + ": the " + h.affineSource() + " (" + describeCodes(h) + ") holds a non-finite"
                            + " value at row " + r + ", column " + c + "; the voxels have no position in space");
                }
            }
        }
        double[] sp = a.spacing();
        double scale = Math.max(1e-12, sp[0] * sp[1] * sp[2]);
        if (!(Math.abs(a.determinant()) > 1e-9 * scale) || sp[0] == 0 || sp[1] == 0 || sp[2] == 0) {
            throw new MedsaException(name + ": the " + h.affineSource() + " (" + describeCodes(h) + ") is singular (its axes are"
                    + " zero or parallel), so the voxels have no orientation; fix the header");
        }
    }

    private static String describeCodes(NiftiHeader h) {
        return "qform_code " + h.qformCode() + ", sform_code " + h.sformCode();
    }

    private static void skipTo(CountingStream in, long offset, String name) throws IOException {
        long toSkip = offset - in.count;
        if (toSkip > 0) {
            long skipped = in.skipNBytesOrLess(toSkip);
            if (skipped < toSkip) {
                throw new MedsaException(name + ": truncated: file ends after " + in.count
                        + " bytes, before the voxel data at offset " + offset);
            }
        }
    }

    private static void drain(InputStream in) throws IOException {
        byte[] sink = new byte[BUFFER];
        while (in.read(sink) >= 0) {
            // discard: only the trailer check matters
        }
    }

    private static CountingStream open(Path path, String name) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(path), BUFFER);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1F && b1 == 0x8B;
            InputStream in = gzip ? new GZIPInputStream(raw, BUFFER) : raw;
            return new CountingStream(in, gzip);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static MedsaException translate(IOException e, Path path, String name) {
        if (e instanceof NoSuchFileException) {
            return new MedsaException(name + ": file not found", e);
        }
        if (e instanceof AccessDeniedException) {
            return new MedsaException(name + ": permission denied", e);
        }
        if (e instanceof CountedException) {
            CountedException c = (CountedException) e;
            IOException cause = (IOException) c.getCause();
            if (cause instanceof EOFException) {
                return new MedsaException(name + ": truncated gzip stream after " + c.count
                        + " decompressed bytes (the file is cut short)", e);
            }
            if (cause instanceof ZipException) {
                return new MedsaException(name + ": corrupt gzip stream after " + c.count
                        + " decompressed bytes (" + cause.getMessage() + ")", e);
            }
            return new MedsaException(name + ": cannot read (" + cause.getMessage() + ")", e);
        }
        if (e instanceof ZipException) {
            return new MedsaException(name + ": corrupt gzip header (" + e.getMessage() + ")", e);
        }
        if (e instanceof EOFException) {
            return new MedsaException(name + ": truncated gzip stream (the file is cut short)", e);
        }
        if (Files.isDirectory(path)) {
            return new MedsaException(name + ": is a directory, not a NIfTI file", e);
        }
        return new MedsaException(name + ": cannot read (" + e.getMessage() + ")", e);
    }

    /** An I/O failure tagged with how many decompressed bytes were read before it. */
    private static final class CountedException extends IOException {
        private static final long serialVersionUID = 1L;
        final long count;

        CountedException(IOException cause, long count) {
            super(cause.getMessage(), cause);
            this.count = count;
        }
    }

    /** Counts the bytes read so that errors and offsets can refer to positions in the file. */
    private static final class CountingStream extends FilterInputStream {
        final boolean gzip;
        long count;

        CountingStream(InputStream in, boolean gzip) {
            super(in);
            this.gzip = gzip;
        }

        @Override
        public int read() throws IOException {
            try {
                int b = super.read();
                if (b >= 0) {
                    count++;
                }
                return b;
            } catch (IOException e) {
                throw gzip ? new CountedException(e, count) : e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = super.read(b, off, len);
                if (n > 0) {
                    count += n;
                }
                return n;
            } catch (IOException e) {
                throw gzip ? new CountedException(e, count) : e;
            }
        }

        long skipNBytesOrLess(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(BUFFER, n)];
            long done = 0;
            while (done < n) {
                int r = read(sink, 0, (int) Math.min(sink.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }
    }
}
