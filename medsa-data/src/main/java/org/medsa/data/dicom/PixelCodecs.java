package org.medsa.data.dicom;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.medsa.core.MedsaException;

/**
 * The pixel codecs of DICOM (PS3.5 8 and annexes A.4, G): native pixel data, RLE Lossless and JPEG
 * Baseline/Extended (through the JDK's decoder), each turning one frame into stored values. Apart
 * from the attributes ({@link DicomImage}), which say how the values are laid out ({@link Layout}).
 */
final class PixelCodecs {

    /**
     * How the stored values of a frame are laid out.
     *
     * @param name the file, for messages
     * @param order the byte order of native pixel data
     */
    record Layout(String name, int rows, int columns, int frames, int samplesPerPixel, int bitsAllocated, int bitsStored,
            int pixelRepresentation, int planarConfiguration, ByteOrder order) {

        int valuesPerFrame() {
            return rows * columns * samplesPerPixel;
        }
    }

    private PixelCodecs() {}

    /** One frame of native pixel data, sample-interleaved, sign-extended. */
    static int[] nativeFrame(Layout l, byte[] px, int frame) {
        int bytes = l.bitsAllocated() / 8;
        int n = l.valuesPerFrame();
        int offset = frame * n * bytes;
        boolean big = l.order() == ByteOrder.BIG_ENDIAN && l.bitsAllocated() > 8;
        int[] raw = new int[n];
        for (int i = 0; i < n; i++) {
            int at = offset + i * bytes;
            int v = 0;
            for (int k = 0; k < bytes; k++) {
                int shift = big ? 8 * (bytes - 1 - k) : 8 * k;
                v |= (px[at + k] & 0xff) << shift;
            }
            raw[i] = v;
        }
        int[] interleaved = l.samplesPerPixel() == 3 && l.planarConfiguration() == 1 ? interleave(l, raw) : raw;
        return signed(l, interleaved);
    }

    /** Planar (R plane, G plane, B plane) to interleaved (RGBRGB...). */
    private static int[] interleave(Layout l, int[] planar) {
        int plane = l.rows() * l.columns();
        int[] out = new int[planar.length];
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                out[p * 3 + c] = planar[c * plane + p];
            }
        }
        return out;
    }

    /** Keeps the Bits Stored low bits and sign-extends them for a signed representation. */
    private static int[] signed(Layout l, int[] raw) {
        int bits = l.bitsStored();
        if (bits == 32) {
            return raw;
        }
        int mask = (int) ((1L << bits) - 1);
        for (int i = 0; i < raw.length; i++) {
            int v = raw[i] & mask;
            if (l.pixelRepresentation() == 1 && (v & (1 << (bits - 1))) != 0) {
                v -= 1 << bits;
            }
            raw[i] = v;
        }
        return raw;
    }

    /**
     * The bytes of one frame of encapsulated pixel data: fragments grouped by the basic offset
     * table (the first fragment), or one frame per fragment, or all of them for one frame.
     */
    static byte[] encapsulatedFrame(Layout l, List<byte[]> fragments, int frame) {
        byte[] table = fragments.get(0);
        List<byte[]> data = fragments.subList(1, fragments.size());
        List<byte[]> mine = new ArrayList<>();
        int frames = l.frames();
        if (frames == 1) {
            mine.addAll(data);
        } else if (table.length >= 4 * frames) {
            long[] starts = new long[frames + 1];
            ByteBuffer bb = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
            for (int f = 0; f < frames; f++) {
                starts[f] = bb.getInt(4 * f) & 0xffffffffL;
            }
            starts[frames] = Long.MAX_VALUE;
            long at = 0;
            for (byte[] d : data) {
                if (at >= starts[frame] && at < starts[frame + 1]) {
                    mine.add(d);
                }
                at += 8 + d.length;
            }
        } else if (data.size() == frames) {
            mine.add(data.get(frame));
        } else {
            throw new MedsaException(l.name() + ": " + frames + " frames in " + data.size()
                    + " fragments without an offset table");
        }
        int len = mine.stream().mapToInt(x -> x.length).sum();
        byte[] out = new byte[len];
        int at = 0;
        for (byte[] m : mine) {
            System.arraycopy(m, 0, out, at, m.length);
            at += m.length;
        }
        return out;
    }

    /** RLE Lossless (PS3.5 G): a header of segment offsets, one PackBits segment per byte plane. */
    static int[] rleFrame(Layout l, List<byte[]> fragments, int frame) {
        byte[] data = encapsulatedFrame(l, fragments, frame);
        if (data.length < 64) {
            throw new MedsaException(l.name() + ": RLE frame " + frame + " is shorter than its 64-byte header");
        }
        ByteBuffer h = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int segments = h.getInt(0);
        int bytes = l.bitsAllocated() / 8;
        int spp = l.samplesPerPixel();
        if (segments != bytes * spp) {
            throw new MedsaException(l.name() + ": RLE frame " + frame + " has " + segments + " segments, " + bytes * spp
                    + " expected");
        }
        int plane = l.rows() * l.columns();
        int[] out = new int[plane * spp];
        for (int s = 0; s < segments; s++) {
            int start = h.getInt(4 + 4 * s);
            int end = s + 1 < segments ? h.getInt(8 + 4 * s) : data.length;
            if (start < 64 || end > data.length || start > end) {
                throw new MedsaException(l.name() + ": RLE segment " + s + " of frame " + frame + " lies outside the frame");
            }
            byte[] decoded = packBits(l.name(), data, start, end, plane, frame, s);
            int sample = s / bytes;
            int shift = 8 * (bytes - 1 - s % bytes); // segments are most significant byte first
            for (int p = 0; p < plane; p++) {
                out[p * spp + sample] |= (decoded[p] & 0xff) << shift;
            }
        }
        return signed(l, out);
    }

    private static byte[] packBits(String name, byte[] d, int pos, int end, int size, int frame, int segment) {
        byte[] out = new byte[size];
        int o = 0;
        while (o < size && pos < end) {
            int n = d[pos++];
            if (n >= 0) {
                int count = n + 1;
                if (pos + count > end || o + count > size) {
                    throw new MedsaException(name + ": RLE segment " + segment + " of frame " + frame
                            + " overruns (damaged data)");
                }
                System.arraycopy(d, pos, out, o, count);
                pos += count;
                o += count;
            } else if (n != -128) {
                int count = 1 - n;
                if (pos >= end || o + count > size) {
                    throw new MedsaException(name + ": RLE segment " + segment + " of frame " + frame
                            + " overruns (damaged data)");
                }
                Arrays.fill(out, o, o + count, d[pos++]);
                o += count;
            }
        }
        if (o < size) {
            throw new MedsaException(name + ": RLE segment " + segment + " of frame " + frame + " decodes to " + o + " of " + size
                    + " bytes (damaged data)");
        }
        return out;
    }

    /** JPEG Baseline/Extended through the JDK's ImageIO (8-bit; colour converted to RGB by the decoder). */
    static int[] jpegFrame(Layout l, List<byte[]> fragments, int frame) {
        byte[] data = encapsulatedFrame(l, fragments, frame);
        String name = l.name();
        BufferedImage img;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
            if (!readers.hasNext()) {
                throw new MedsaException(name + ": no JPEG decoder in this Java runtime");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new MedsaException(name + ": damaged JPEG frame " + frame + " (" + warnings.get(0) + ")");
                }
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof MedsaException m) {
                throw m;
            }
            String why = e.getMessage() == null ? "undecodable" : e.getMessage();
            throw new MedsaException(name + ": cannot decode JPEG frame " + frame + " with the JDK's decoder (" + why + ");"
                    + (l.bitsStored() > 8 ? " 12-bit JPEG Extended is not supported;" : "")
                            + " convert the file, e.g. with dcmdjpeg", e);
        }
        if (img.getWidth() != l.columns() || img.getHeight() != l.rows()) {
            throw new MedsaException(name + ": JPEG frame " + frame + " is " + img.getWidth() + "x" + img.getHeight()
                    + ", the header says "
                    + l.columns() + "x" + l.rows());
        }
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        if (bands != l.samplesPerPixel()) {
            throw new MedsaException(name + ": JPEG frame " + frame + " has " + bands + " components, the header says "
                    + l.samplesPerPixel());
        }
        return r.getPixels(0, 0, l.columns(), l.rows(), (int[]) null);
    }
}
