package org.medsa.data.nifti;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;

/** Broken files give one-line errors that name the file and the problem. */
class NiftiErrorsTest {

    @TempDir
    Path dir;

    /** A valid little-endian NIfTI-1 file, uncompressed: 352 header bytes + 20x20x20 int16. */
    private byte[] validNii() throws IOException {
        Grid grid = new Grid(20, 20, 20, Affine.identity());
        double[] values = new double[8000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i * 7919) % 2000 - 1000; // varied data, so that gzip has work to do
        }
        Path f = dir.resolve("valid.nii");
        NiftiWriter.write(NiftiImage.create(NiftiHeaders.forGrid(grid, NiftiDatatype.INT16).build(), values, "valid"), f);
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(352 + 16000, bytes.length);
        return bytes;
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    private MedsaException readFails(String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        MedsaException e = assertThrows(MedsaException.class, () -> NiftiReader.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), "message names the file: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void truncatedGzip() throws IOException {
        byte[] gz = gzip(validNii());
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        MedsaException e = readFails("ct.nii.gz", cut);
        assertTrue(e.getMessage().contains("truncated gzip stream after"), e.getMessage());
    }

    @Test
    void corruptGzipData() throws IOException {
        byte[] gz = gzip(validNii());
        for (int i = 40; i < 60; i++) {
            gz[i] ^= (byte) 0x5A; // garble deflate data early in the stream
        }
        MedsaException e = readFails("corrupt.nii.gz", gz);
        assertTrue(e.getMessage().contains("corrupt gzip stream after"), e.getMessage());
    }

    @Test
    void corruptionThatStillInflatesIsCaughtByTheChecksum() throws IOException {
        byte[] gz = gzip(validNii());
        for (int i = gz.length / 2; i < gz.length / 2 + 30; i++) {
            gz[i] ^= (byte) 0x5A;
        }
        MedsaException e = readFails("flipped.nii.gz", gz);
        assertTrue(e.getMessage().contains("corrupt gzip stream after"), e.getMessage());
    }

    @Test
    void gzipChecksumMismatch() throws IOException {
        byte[] gz = gzip(validNii());
        gz[gz.length - 6] ^= 0x01; // CRC32 of the trailer
        MedsaException e = readFails("crc.nii.gz", gz);
        assertTrue(e.getMessage().contains("corrupt gzip stream"), e.getMessage());
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] raw = validNii();
        raw[344] = 'x';
        raw[345] = 'y';
        MedsaException e = readFails("magic.nii", raw);
        assertTrue(e.getMessage().contains("wrong magic \"xy1\""), e.getMessage());
    }

    @Test
    void notNiftiAtAll() throws IOException {
        MedsaException e = readFails("photo.nii", "this is not an image, just text that goes on for a while".getBytes());
        assertTrue(e.getMessage().contains("not a NIfTI file"), e.getMessage());
    }

    @Test
    void unsupportedDatatype() throws IOException {
        byte[] raw = validNii();
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putShort(70, (short) 128).putShort(72, (short) 24);
        MedsaException e = readFails("rgb.nii", raw);
        assertTrue(e.getMessage().contains("unsupported datatype RGB24 (128)"), e.getMessage());
    }

    @Test
    void truncatedVoxelData() throws IOException {
        byte[] raw = validNii();
        MedsaException e = readFails("short.nii", Arrays.copyOf(raw, 352 + 1000));
        assertTrue(e.getMessage()
                .contains("truncated: the header describes 16000 bytes of voxel data but the file ends after 1000"),
                e.getMessage());
    }

    @Test
    void truncatedHeader() throws IOException {
        MedsaException e = readFails("header.nii", Arrays.copyOf(validNii(), 200));
        assertTrue(e.getMessage().contains("inside the 348-byte NIfTI-1 header"), e.getMessage());
    }

    @Test
    void twoFilePairIsExplained() throws IOException {
        byte[] raw = validNii();
        raw[345] = 'i'; // "ni1": the header of a .hdr/.img pair
        MedsaException e = readFails("pair.nii", raw);
        assertTrue(e.getMessage().contains(".hdr/.img"), e.getMessage());
    }

    @Test
    void missingFileAndEmptyFile() throws IOException {
        Path missing = dir.resolve("nothere.nii.gz");
        MedsaException e = assertThrows(MedsaException.class, () -> NiftiReader.read(missing));
        assertEquals(missing + ": file not found", e.getMessage());
        MedsaException empty = readFails("empty.nii", new byte[0]);
        assertTrue(empty.getMessage().endsWith(": empty file"), empty.getMessage());
    }

    @Test
    void headerOnlyReadDoesNotInflateTheVoxels() throws IOException {
        byte[] gz = gzip(validNii());
        // cut just after the header: a header read still works, a full read reports the truncation
        Path f = dir.resolve("cut.nii.gz");
        Files.write(f, Arrays.copyOf(gz, gz.length - 2000));
        assertEquals(20, NiftiReader.readHeader(f).dim(0));
        assertThrows(MedsaException.class, () -> NiftiReader.read(f));
    }

    @Test
    void gzipIsRecognisedByContentNotName() throws IOException {
        Path f = dir.resolve("actually-compressed.nii");
        Files.write(f, gzip(validNii()));
        assertEquals(8000, NiftiReader.read(f).voxelCount());
    }

    @Test
    void valuesThatDoNotFitTheDatatypeAreRejected() {
        NiftiHeader h = NiftiHeaders.forGrid(new Grid(2, 1, 1, Affine.identity()), NiftiDatatype.UINT8).build();
        MedsaException e = assertThrows(MedsaException.class, () -> NiftiImage.create(h, new double[] {3, 300}, "labels.nii"));
        assertEquals("labels.nii: voxel 1 value 300.0 does not fit uint8 (range 0..255)", e.getMessage());
    }

    @Test
    void labelMapsMustHoldIntegers() throws IOException {
        NiftiHeader h = NiftiHeaders.forGrid(new Grid(2, 1, 1, Affine.identity()), NiftiDatatype.FLOAT32).build();
        Path f = dir.resolve("soft.nii");
        NiftiWriter.write(NiftiImage.create(h, new double[] {1, 0.5}, "soft"), f);
        MedsaException e = assertThrows(MedsaException.class, () -> NiftiReader.read(f).toLabelVolume());
        assertEquals(f + ": not a label map: voxel 1 holds 0.5 (labels must be integers)", e.getMessage());
    }
}
