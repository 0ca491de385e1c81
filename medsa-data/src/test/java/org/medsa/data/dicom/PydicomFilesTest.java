package org.medsa.data.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;
import org.medsa.core.testing.Reference;
import org.medsa.core.testing.TestData;

/**
 * pydicom's own test files (copied into testdata/dicom/pydicom) read by our reader and by pydicom:
 * every transfer syntax we decode gives pydicom's stored values and modality values; the others
 * are refused with a message naming the file, the transfer syntax and what to do.
 */
class PydicomFilesTest {

    static final Path DIR = TestData.path("dicom", "pydicom");

    /** pydicom's view of each file: attributes, stored values (pixel_array) and modality values. */
    static final String PYDICOM = String.join("\n",
            "import sys, json, os, numpy as np, pydicom",
            "from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    name = os.path.basename(f)",
            "    try:",
            "        ds = pydicom.dcmread(f, force=True)",
            "        a = ds.pixel_array",
            "        if str(ds.get('PhotometricInterpretation', '')).startswith('YBR') and "
                    + "ds.file_meta.TransferSyntaxUID.is_compressed:",
            "            a = convert_color_space(a, str(ds.PhotometricInterpretation), 'RGB')  # what a JPEG decoder outputs",
            "        flat = a.reshape(-1).astype(np.float64)",
            "        n = flat.size",
            "        w = (np.arange(n) % 101).astype(np.float64)",
            "        idx = sorted(set([0, n - 1, n // 2, n // 3, (7 * n) // 11, 13 % n, 1000 % n]))",
            "        r = dict(ok=True, rows=int(ds.Rows), cols=int(ds.Columns), frames=int(ds.get('NumberOfFrames', 1) or 1),",
            "                 spp=int(ds.get('SamplesPerPixel', 1)), photometric=str(ds.PhotometricInterpretation),",
            "                 bits_allocated=int(ds.BitsAllocated), bits_stored=int(ds.BitsStored),",
            "                 pixel_representation=int(ds.PixelRepresentation), modality=str(ds.get('Modality', 'OT')),",
            "                 stored=dict(n=n, sum=float(flat.sum()), checksum=float((flat * w).sum()), min=float(flat.min()),",
            "                             max=float(flat.max()), probes=[[i, float(flat[i])] for i in idx]))",
            "        if r['spp'] == 1:",
            "            v = apply_modality_lut(a, ds).reshape(-1).astype(np.float64)",
            "            r['values'] = dict(sum=float(v.sum()), checksum=float((v * w).sum()), probes=[[i, float(v[i])] for i "
                    + "in idx])",
            "        for key, tag in [('ipp', 'ImagePositionPatient'), ('iop', 'ImageOrientationPatient'), ('spacing', "
                    + "'PixelSpacing')]:",
            "            if tag in ds:",
            "                r[key] = [float(x) for x in ds.get(tag)]",
            "        out[name] = r",
            "    except Exception as e:",
            "        out[name] = dict(ok=False, error=type(e).__name__)",
            "print(json.dumps(out))");

    /** Files we decode exactly (native, deflated, RLE) and those we decode through a JPEG decoder. */
    static final List<String> EXACT = List.of("CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm",
            "MR_small_expb.dcm", "MR_small_RLE.dcm", "MR_small_padded.dcm", "image_dfl.dcm", "rtdose.dcm", "rtdose_expb.dcm",
            "rtdose_rle.dcm", "rtdose_1frame.dcm", "ExplVR_BigEnd.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_16bit.dcm",
            "SC_rgb_rle_2frame.dcm", "SC_rgb_rle_32bit_2frame.dcm", "SC_rgb_small_odd.dcm");
    static final List<String> JPEG = List.of("SC_rgb_jpeg_dcmtk.dcm", "SC_rgb_dcmtk_+eb+cr.dcm",
            "SC_jpeg_no_color_transform.dcm");

    static JsonObject reference() throws Exception {
        String[] files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".dcm")).sorted().map(Path::toString).toArray(String[]::new);
        }
        assertEquals(29, files.length, "pydicom files in testdata");
        return Reference.json("pydicom_test_files", PYDICOM, List.of("pydicom", "numpy"), files).getAsJsonObject();
    }

    @Test
    void storedAndModalityValuesEqualPydicoms() throws Exception {
        JsonObject ref = reference();
        for (String f : EXACT) {
            JsonObject r = ref.getAsJsonObject(f);
            assertTrue(r.get("ok").getAsBoolean(), f + ": pydicom reads it");
            DicomImage img = DicomImage.read(DIR.resolve(f));
            assertEquals(r.get("rows").getAsInt(), img.rows(), f);
            assertEquals(r.get("cols").getAsInt(), img.columns(), f);
            assertEquals(r.get("frames").getAsInt(), img.frames(), f);
            assertEquals(r.get("spp").getAsInt(), img.samplesPerPixel(), f);
            assertEquals(r.get("photometric").getAsString(), img.photometric(), f);
            assertEquals(r.get("bits_stored").getAsInt(), img.bitsStored(), f);
            assertEquals(r.get("modality").getAsString(), img.modality(), f);
            double[] stored = new double[(int) r.getAsJsonObject("stored").get("n").getAsLong()];
            double[] values = img.samplesPerPixel() == 1 ? new double[stored.length] : null;
            int at = 0;
            for (int fr = 0; fr < img.frames(); fr++) {
                int[] s = img.storedFrame(fr);
                float[] v = values == null ? null : img.values(fr);
                for (int i = 0; i < s.length; i++, at++) {
                    stored[at] = img.bitsStored() == 32 && img.pixelRepresentation() == 0 ? s[i] & 0xffffffffL : s[i];
                    if (v != null) {
                        values[at] = v[i];
                    }
                }
            }
            assertEquals(stored.length, at, f + " values");
            compare(f + " stored", r.getAsJsonObject("stored"), stored, 0);
            if (values != null) {
                compare(f + " modality values", r.getAsJsonObject("values"), values, 1e-4);
            }
            if (r.has("ipp")) {
                assertArrayEquals(doubles(r.getAsJsonArray("ipp")), img.position(0), 1e-9, f + " position");
                assertArrayEquals(doubles(r.getAsJsonArray("iop")), img.orientation(), 1e-9, f + " orientation");
                assertArrayEquals(doubles(r.getAsJsonArray("spacing")), img.pixelSpacing(), 1e-9, f + " spacing");
            }
        }
    }

    @Test
    void jpegBaselineDecodesLikeLibjpeg() throws Exception {
        JsonObject ref = reference();
        for (String f : JPEG) {
            JsonObject r = ref.getAsJsonObject(f);
            DicomImage img = DicomImage.read(DIR.resolve(f));
            int[] s = img.storedFrame(0);
            double[] stored = new double[s.length];
            for (int i = 0; i < s.length; i++) {
                stored[i] = s[i];
            }
            JsonObject st = r.getAsJsonObject("stored");
            assertEquals(st.get("n").getAsLong(), stored.length, f);
            // two JPEG decoders (the JDK's and Pillow's libjpeg) may round the inverse DCT and the colour
            // conversion differently by a grey level or two; the mean over the image must agree closely
            double mean = 0;
            for (double v : stored) {
                mean += v;
            }
            mean /= stored.length;
            assertEquals(st.get("sum").getAsDouble() / stored.length, mean, 1.0, f + " mean value");
            for (JsonElement p : st.getAsJsonArray("probes")) {
                JsonArray a = p.getAsJsonArray();
                assertEquals(a.get(1).getAsDouble(), stored[a.get(0).getAsInt()], 6, f + " value " + a.get(0));
            }
        }
    }

    @Test
    void aJpegLabelledRgbButCodedAsYcbcrShowsTheSamePictureAsItsCorrectlyLabelledTwin() {
        // GDCM wrote this lossy JPEG with Photometric Interpretation RGB over JFIF (YCbCr) data; pydicom returns the
        // YCbCr samples unchanged, the JPEG decoder converts them: the picture is the red-green-blue test card of
        // SC_rgb_jpeg_dcmtk.dcm (YBR_FULL, converted to RGB), to within the lossy coding
        int[] gdcm = DicomImage.read(DIR.resolve("SC_rgb_jpeg_lossy_gdcm.dcm")).storedFrame(0);
        int[] dcmtk = DicomImage.read(DIR.resolve("SC_rgb_jpeg_dcmtk.dcm")).storedFrame(0);
        assertEquals(dcmtk.length, gdcm.length);
        double diff = 0;
        for (int i = 0; i < gdcm.length; i++) {
            diff += Math.abs(gdcm[i] - dcmtk[i]);
        }
        assertTrue(diff / gdcm.length < 3, "mean difference " + diff / gdcm.length);
        assertArrayEquals(new int[] {254, 0, 0}, Arrays.copyOf(gdcm, 3), "the first pixel is red");
    }

    private static void compare(String what, JsonObject r, double[] got, double tol) {
        double sum = 0;
        double checksum = 0;
        for (int i = 0; i < got.length; i++) {
            sum += got[i];
            checksum += got[i] * (i % 101);
        }
        double scale = Math.max(1, Math.abs(r.get("sum").getAsDouble()));
        assertEquals(r.get("sum").getAsDouble(), sum, tol * scale + 1e-6 * scale, what + " sum");
        assertEquals(r.get("checksum").getAsDouble(), checksum,
                (tol + 1e-6) * Math.max(1, Math.abs(r.get("checksum").getAsDouble())),
                what + " checksum");
        for (JsonElement p : r.getAsJsonArray("probes")) {
            JsonArray a = p.getAsJsonArray();
            assertEquals(a.get(1).getAsDouble(), got[a.get(0).getAsInt()], tol * Math.max(1, Math.abs(a.get(1).getAsDouble())),
                    what + " [" + a.get(0) + "]");
        }
    }

    private static double[] doubles(JsonArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).getAsDouble();
        }
        return d;
    }

    @Test
    void unsupportedEncodingsAndDamagedFilesAreRefusedClearly() {
        assertEquals(DIR.resolve("MR_small_jpeg_ls_lossless.dcm")
                + ": transfer syntax 1.2.840.10008.1.2.4.80 (JPEG-LS Lossless) is"
                + " not supported; convert the series, e.g. with dcm2niix to NIfTI or with dcmdjpeg/gdcmconv to Explicit VR "
                        + "Little"
                + " Endian", refusal("MR_small_jpeg_ls_lossless.dcm"));
        assertTrue(refusal("JPEG2000.dcm").contains("1.2.840.10008.1.2.4.91 (JPEG 2000 Image Compression) is not supported"));
        String ext = refusal("JPGExtended.dcm");
        assertTrue(ext.startsWith(DIR.resolve("JPGExtended.dcm") + ": cannot decode JPEG frame 0") && ext.contains("12-bit"),
                ext);
        String cut = refusal("MR_truncated.dcm");
        assertTrue(cut.startsWith(DIR.resolve("MR_truncated.dcm").toString()) && cut.contains("truncated"), cut);
        assertTrue(refusal("rtplan.dcm").contains("no Pixel Data (7FE0,0010)"));
        assertTrue(refusal("SC_ybr_full_422_uncompressed.dcm")
                .contains("photometric interpretation YBR_FULL_422 is not supported"));
        assertTrue(refusal("liver_1frame.dcm").contains("Bits Allocated 1 is not supported"));
    }

    private static String refusal(String f) {
        MedsaException e = assertThrows(MedsaException.class, () -> {
            DicomImage img = DicomImage.read(DIR.resolve(f));
            img.storedFrame(0);
        }, f);
        return e.getMessage();
    }
}
