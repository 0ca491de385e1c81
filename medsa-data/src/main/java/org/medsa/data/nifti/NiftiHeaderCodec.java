package org.medsa.data.nifti;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * Decodes and encodes the binary NIfTI-1 (348 bytes) and NIfTI-2 (540 bytes) headers.
 *
 * <p>The field offsets are those of the published {@code nifti1.h} / {@code nifti2.h} layouts. The
 * version and byte order are detected from {@code sizeof_hdr}, which must read 348 or 540.
 */
final class NiftiHeaderCodec {

    private static final byte[] MAGIC_N1 = {'n', '+', '1', 0};
    private static final byte[] MAGIC_PAIR_N1 = {'n', 'i', '1', 0};
    private static final byte[] MAGIC_N2 = {'n', '+', '2', 0, '\r', '\n', 0x1A, '\n'};

    private NiftiHeaderCodec() {}

    /** Result of sniffing the first four bytes. */
    static final class Layout {
        final int version;
        final ByteOrder order;
        final int headerSize;

        Layout(int version, ByteOrder order) {
            this.version = version;
            this.order = order;
            this.headerSize = version == 1 ? NiftiHeader.NIFTI1_HEADER_SIZE : NiftiHeader.NIFTI2_HEADER_SIZE;
        }
    }

    /** Detects version and byte order from {@code sizeof_hdr}; {@code name} is used in errors. */
    static Layout sniff(byte[] first4, String name) {
        ByteBuffer le = ByteBuffer.wrap(first4).order(ByteOrder.LITTLE_ENDIAN);
        int little = le.getInt(0);
        int big = Integer.reverseBytes(little);
        if (little == NiftiHeader.NIFTI1_HEADER_SIZE) {
            return new Layout(1, ByteOrder.LITTLE_ENDIAN);
        }
        if (big == NiftiHeader.NIFTI1_HEADER_SIZE) {
            return new Layout(1, ByteOrder.BIG_ENDIAN);
        }
        if (little == NiftiHeader.NIFTI2_HEADER_SIZE) {
            return new Layout(2, ByteOrder.LITTLE_ENDIAN);
        }
        if (big == NiftiHeader.NIFTI2_HEADER_SIZE) {
            return new Layout(2, ByteOrder.BIG_ENDIAN);
        }
        throw new MedsaException(name + ": not a NIfTI file (header size field is " + little
                + ", expected 348 for NIfTI-1 or 540 for NIfTI-2)");
    }

    /** Decodes a full header ({@code layout.headerSize} bytes, or more). */
    static NiftiHeader decode(byte[] bytes, Layout layout, String name) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(layout.order);
        return layout.version == 1 ? decode1(b, name) : decode2(b, name);
    }

    private static NiftiHeader decode1(ByteBuffer b, String name) {
        byte[] magic = bytes(b, 344, 4);
        if (Arrays.equals(magic, MAGIC_PAIR_N1)) {
            throw new MedsaException(name + ": a two-file NIfTI-1 header (magic \"ni1\", .hdr/.img pair);"
                    + " only single-file .nii/.nii.gz is supported");
        }
        if (!Arrays.equals(magic, MAGIC_N1)) {
            throw new MedsaException(name + ": wrong magic " + quote(magic) + " (expected \"n+1\" for NIfTI-1)");
        }
        int ndim = b.getShort(40);
        long[] dims = readDims(name, ndim, i -> b.getShort(40 + 2 * i));
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getFloat(76 + 4 * i);
        }
        int datatypeCode = b.getShort(70);
        double[][] srow = new double[3][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                srow[r][c] = b.getFloat(280 + 16 * r + 4 * c);
            }
        }
        long voxOffset = (long) b.getFloat(108);
        return NiftiHeader.builder()
                .version(1)
                .byteOrder(b.order())
                .dims(dims)
                .pixdim(pixdim)
                .datatype(datatype(datatypeCode, name))
                .voxOffset(Math.max(voxOffset, NiftiHeader.NIFTI1_MIN_VOX_OFFSET))
                .extensionBytes((int) Math.max(0, voxOffset - NiftiHeader.NIFTI1_MIN_VOX_OFFSET))
                .scaling(b.getFloat(112), b.getFloat(116))
                .calRange(b.getFloat(128), b.getFloat(124))
                .qform(b.getShort(252), b.getFloat(256), b.getFloat(260), b.getFloat(264),
                        b.getFloat(268), b.getFloat(272), b.getFloat(276))
                .sform(b.getShort(254), srow)
                .xyztUnits(b.get(123) & 0xFF)
                .intent(b.getShort(68), b.getFloat(56), b.getFloat(60), b.getFloat(64), string(b, 328, 16))
                .description(string(b, 148, 80))
                .auxFile(string(b, 228, 24))
                .dimInfo(b.get(39) & 0xFF)
                .slice(b.get(122) & 0xFF, b.getShort(74), b.getShort(120), b.getFloat(132))
                .toffset(b.getFloat(136))
                .build();
    }

    private static NiftiHeader decode2(ByteBuffer b, String name) {
        byte[] magic = bytes(b, 4, 8);
        if (!Arrays.equals(Arrays.copyOf(magic, 4), Arrays.copyOf(MAGIC_N2, 4))) {
            if (magic[0] == 'n' && magic[1] == 'i' && magic[2] == '2') {
                throw new MedsaException(name + ": a two-file NIfTI-2 header (magic \"ni2\");"
                        + " only single-file .nii/.nii.gz is supported");
            }
            throw new MedsaException(name + ": wrong magic " + quote(Arrays.copyOf(magic, 4))
                    + " (expected \"n+2\" for NIfTI-2)");
        }
        if (!Arrays.equals(magic, MAGIC_N2)) {
            throw new MedsaException(name + ": NIfTI-2 end-of-line check bytes are wrong;"
                    + " the file was probably corrupted by a text-mode transfer");
        }
        long ndimLong = b.getLong(16);
        if (ndimLong < 1 || ndimLong > 7) {
            throw new MedsaException(name + ": invalid number of dimensions dim[0] = " + ndimLong);
        }
        long[] dims = readDims(name, (int) ndimLong, i -> b.getLong(16 + 8 * i));
        double[] pixdim = new double[8];
        for (int i = 0; i < 8; i++) {
            pixdim[i] = b.getDouble(104 + 8 * i);
        }
        double[][] srow = new double[3][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                srow[r][c] = b.getDouble(400 + 32 * r + 8 * c);
            }
        }
        long voxOffset = b.getLong(168);
        return NiftiHeader.builder()
                .version(2)
                .byteOrder(b.order())
                .dims(dims)
                .pixdim(pixdim)
                .datatype(datatype(b.getShort(12), name))
                .voxOffset(Math.max(voxOffset, NiftiHeader.NIFTI2_MIN_VOX_OFFSET))
                .extensionBytes((int) Math.max(0, voxOffset - NiftiHeader.NIFTI2_MIN_VOX_OFFSET))
                .scaling(b.getDouble(176), b.getDouble(184))
                .calRange(b.getDouble(200), b.getDouble(192))
                .qform(b.getInt(344), b.getDouble(352), b.getDouble(360), b.getDouble(368),
                        b.getDouble(376), b.getDouble(384), b.getDouble(392))
                .sform(b.getInt(348), srow)
                .xyztUnits(b.getInt(500))
                .intent(b.getInt(504), b.getDouble(80), b.getDouble(88), b.getDouble(96), string(b, 508, 16))
                .description(string(b, 240, 80))
                .auxFile(string(b, 320, 24))
                .dimInfo(b.get(524) & 0xFF)
                .slice(b.getInt(496), b.getLong(224), b.getLong(232), b.getDouble(208))
                .toffset(b.getDouble(216))
                .build();
    }

    /** Encodes the header plus the 4-byte extension flag (always "no extensions"). */
    static byte[] encode(NiftiHeader h, String name) {
        return h.version() == 1 ? encode1(h, name) : encode2(h);
    }

    private static byte[] encode1(NiftiHeader h, String name) {
        ByteBuffer b = ByteBuffer.allocate(NiftiHeader.NIFTI1_MIN_VOX_OFFSET).order(h.byteOrder());
        b.putInt(0, NiftiHeader.NIFTI1_HEADER_SIZE);
        b.put(38, (byte) 'r'); // "regular", as the Analyze heritage expects
        b.put(39, (byte) h.dimInfo());
        long[] dims = h.dims();
        b.putShort(40, (short) dims.length);
        for (int i = 0; i < 7; i++) {
            long d = i < dims.length ? dims[i] : 1;
            if (d > Short.MAX_VALUE) {
                throw new MedsaException(name + ": dimension " + (i + 1) + " has " + d
                        + " voxels, more than NIfTI-1 can store (32767); write NIfTI-2 instead");
            }
            b.putShort(42 + 2 * i, (short) d);
        }
        double[] ip = h.intentParams();
        b.putFloat(56, (float) ip[0]);
        b.putFloat(60, (float) ip[1]);
        b.putFloat(64, (float) ip[2]);
        b.putShort(68, (short) h.intentCode());
        b.putShort(70, (short) h.datatype().code());
        b.putShort(72, (short) h.datatype().bitpix());
        b.putShort(74, (short) h.sliceStart());
        double[] pixdim = h.pixdim();
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, (float) pixdim[i]);
        }
        b.putFloat(108, NiftiHeader.NIFTI1_MIN_VOX_OFFSET);
        b.putFloat(112, (float) h.sclSlope());
        b.putFloat(116, (float) h.sclInter());
        b.putShort(120, (short) h.sliceEnd());
        b.put(122, (byte) h.sliceCode());
        b.put(123, (byte) h.xyztUnits());
        b.putFloat(124, (float) h.calMax());
        b.putFloat(128, (float) h.calMin());
        b.putFloat(132, (float) h.sliceDuration());
        b.putFloat(136, (float) h.toffset());
        putString(b, 148, 80, h.description());
        putString(b, 228, 24, h.auxFile());
        b.putShort(252, (short) h.qformCode());
        b.putShort(254, (short) h.sformCode());
        b.putFloat(256, (float) h.quaternB());
        b.putFloat(260, (float) h.quaternC());
        b.putFloat(264, (float) h.quaternD());
        double[] qo = h.qoffset();
        b.putFloat(268, (float) qo[0]);
        b.putFloat(272, (float) qo[1]);
        b.putFloat(276, (float) qo[2]);
        double[][] srow = h.srow();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                b.putFloat(280 + 16 * r + 4 * c, (float) srow[r][c]);
            }
        }
        putString(b, 328, 16, h.intentName());
        for (int i = 0; i < 4; i++) {
            b.put(344 + i, MAGIC_N1[i]);
        }
        return b.array(); // bytes 348..351 stay 0: no extensions
    }

    private static byte[] encode2(NiftiHeader h) {
        ByteBuffer b = ByteBuffer.allocate(NiftiHeader.NIFTI2_MIN_VOX_OFFSET).order(h.byteOrder());
        b.putInt(0, NiftiHeader.NIFTI2_HEADER_SIZE);
        for (int i = 0; i < 8; i++) {
            b.put(4 + i, MAGIC_N2[i]);
        }
        b.putShort(12, (short) h.datatype().code());
        b.putShort(14, (short) h.datatype().bitpix());
        long[] dims = h.dims();
        b.putLong(16, dims.length);
        for (int i = 0; i < 7; i++) {
            b.putLong(24 + 8 * i, i < dims.length ? dims[i] : 1);
        }
        double[] ip = h.intentParams();
        b.putDouble(80, ip[0]);
        b.putDouble(88, ip[1]);
        b.putDouble(96, ip[2]);
        double[] pixdim = h.pixdim();
        for (int i = 0; i < 8; i++) {
            b.putDouble(104 + 8 * i, pixdim[i]);
        }
        b.putLong(168, NiftiHeader.NIFTI2_MIN_VOX_OFFSET);
        b.putDouble(176, h.sclSlope());
        b.putDouble(184, h.sclInter());
        b.putDouble(192, h.calMax());
        b.putDouble(200, h.calMin());
        b.putDouble(208, h.sliceDuration());
        b.putDouble(216, h.toffset());
        b.putLong(224, h.sliceStart());
        b.putLong(232, h.sliceEnd());
        putString(b, 240, 80, h.description());
        putString(b, 320, 24, h.auxFile());
        b.putInt(344, h.qformCode());
        b.putInt(348, h.sformCode());
        b.putDouble(352, h.quaternB());
        b.putDouble(360, h.quaternC());
        b.putDouble(368, h.quaternD());
        double[] qo = h.qoffset();
        b.putDouble(376, qo[0]);
        b.putDouble(384, qo[1]);
        b.putDouble(392, qo[2]);
        double[][] srow = h.srow();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                b.putDouble(400 + 32 * r + 8 * c, srow[r][c]);
            }
        }
        b.putInt(496, h.sliceCode());
        b.putInt(500, h.xyztUnits());
        b.putInt(504, h.intentCode());
        putString(b, 508, 16, h.intentName());
        b.put(524, (byte) h.dimInfo());
        return b.array(); // bytes 540..543 stay 0: no extensions
    }

    private interface DimReader {
        long dim(int i);
    }

    private static long[] readDims(String name, int ndim, DimReader reader) {
        if (ndim < 1 || ndim > 7) {
            throw new MedsaException(name + ": invalid number of dimensions dim[0] = " + ndim);
        }
        long[] dims = new long[ndim];
        for (int i = 0; i < ndim; i++) {
            dims[i] = reader.dim(i + 1);
            if (dims[i] < 1) {
                throw new MedsaException(name + ": invalid size " + dims[i] + " of dimension " + (i + 1));
            }
        }
        return dims;
    }

    private static NiftiDatatype datatype(int code, String name) {
        NiftiDatatype t = NiftiDatatype.fromCode(code);
        if (t == null) {
            throw new MedsaException(name + ": unsupported datatype " + NiftiDatatype.describeCode(code)
                    + "; supported: uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64");
        }
        return t;
    }

    private static byte[] bytes(ByteBuffer b, int offset, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = b.get(offset + i);
        }
        return out;
    }

    private static String string(ByteBuffer b, int offset, int length) {
        byte[] raw = bytes(b, offset, length);
        int end = 0;
        while (end < raw.length && raw[end] != 0) {
            end++;
        }
        return new String(raw, 0, end, StandardCharsets.ISO_8859_1).trim();
    }

    private static void putString(ByteBuffer b, int offset, int length, String s) {
        byte[] raw = s.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < Math.min(raw.length, length - 1); i++) { // keep a terminating NUL
            b.put(offset + i, raw[i]);
        }
    }

    private static String quote(byte[] magic) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte x : magic) {
            int v = x & 0xFF;
            if (v == 0) {
                continue;
            }
            sb.append(v >= 32 && v < 127 ? String.valueOf((char) v) : String.format("\\x%02x", v));
        }
        return sb.append('"').toString();
    }
}
