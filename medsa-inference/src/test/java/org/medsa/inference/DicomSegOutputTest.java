package org.medsa.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.testing.Reference;
import org.medsa.data.dicom.DicomDataset;
import org.medsa.data.dicom.DicomSegWriter;
import org.medsa.data.dicom.DicomTestWriter;
import org.medsa.data.nifti.NiftiDatatype;

/**
 * DICOM SEG output on a non-square (24 x 17), obliquely oriented (rotated about an oblique axis),
 * anisotropic series: pydicom places every frame by its Plane Position among the source slices and
 * the result equals the NIfTI mask of the same labels voxel for voxel; dicom3tools' {@code
 * dciodvfy} finds no error (live where installed, else its recorded run); a non-DICOM input asked
 * for a {@code .dcm} gets one line.
 */
class DicomSegOutputTest {

    static final int COLS = 24;
    static final int ROWS = 17;
    static final int SLICES = 6;
    static final String SERIES = "1.2.826.0.1.3680043.10.511.3.77";
    static final String FOR = "1.2.826.0.1.3680043.10.511.4.77";

    @TempDir
    static Path tmp;
    static Path series;
    static SegmentationInput input;
    static int[] labels;

    /** Row and column directions: the axes of Rz(20°)·Rx(-30°), so the slices are oblique to every patient axis. */
    static double[] orientation() {
        double a = Math.toRadians(20);
        double b = Math.toRadians(-30);
        double[][] r = {{Math.cos(a), -Math.sin(a) * Math.cos(b), Math.sin(a) * Math.sin(b)},
            {Math.sin(a), Math.cos(a) * Math.cos(b), -Math.cos(a) * Math.sin(b)}, {0, Math.sin(b), Math.cos(b)}};
        return new double[] {r[0][0], r[1][0], r[2][0], r[0][1], r[1][1], r[2][1]};
    }

    @BeforeAll
    static void writeSeries() throws Exception {
        series = Files.createDirectories(tmp.resolve("series"));
        double[] o = orientation();
        double[] n = {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
        double step = 3.0;
        Map<Integer, String[]> extra = Map.of(0x00200052, new String[] {"UI", FOR}, 0x00100030, new String[] {"DA", "19700101"},
                0x00100040, new String[] {"CS", "O"}, 0x00080020, new String[] {"DA", "20261206"}, 0x00080030,
                new String[] {"TM", "120000"}, 0x00080050, new String[] {"SH", "ACC42"}, 0x00080090, new String[] {"PN", ""},
                0x00200010, new String[] {"SH", "7"});
        for (int k = 0; k < SLICES; k++) {
            short[] values = new short[ROWS * COLS];
            for (int j = 0; j < ROWS; j++) {
                for (int i = 0; i < COLS; i++) {
                    values[j * COLS + i] = (short) ((i * 13 + j * 7 + k * 29) % 700);
                }
            }
            // written in reverse order with shuffled instance numbers: the reader orders by position
            double[] p = {-40 + k * step * n[0], 22.5 + k * step * n[1], 61 + k * step * n[2]};
            DicomTestWriter.Slice s = new DicomTestWriter.Slice(SERIES, "oblique", 50 - 3 * k, p, o, 0.9, 0.6, step, ROWS, COLS,
                    values, 1, -1024);
            DicomTestWriter.write(series.resolve("IM" + (SLICES - k)), s, true, false, extra);
        }
        input = SegmentationInput.read(series);
        labels = new int[COLS * ROWS * SLICES];
        for (int k = 1; k <= 4; k++) {
            for (int j = 0; j < ROWS; j++) {
                for (int i = 0; i < COLS; i++) {
                    int idx = i + COLS * (j + ROWS * k);
                    if (k <= 3 && (i - 8) * (i - 8) + 2 * (j - 6) * (j - 6) < 30) {
                        labels[idx] = 3; // "liver": slices 1-3
                    } else if (k >= 2 && i >= 14 && i <= 21 && j >= 9 && j <= 15) {
                        labels[idx] = 7; // a region without a code: slices 2-4
                    }
                }
            }
        }
    }

    @Test
    void pydicomPlacesEveryFrameByPositionAndGetsTheNiftiMask() throws Exception {
        Path seg = tmp.resolve("seg.dcm");
        DicomSegWriter.write(seg, input.dicom(), labels, Map.of(3, "liver", 7, "lesion candidate"),
                new DicomSegWriter.Identity("2.25.1234567890123456789", "2.25.9876543210987654321",
                        LocalDateTime.of(2026, 12, 6, 12, 0, 0)));
        Path mask = tmp.resolve("mask.nii.gz");
        Segmentation.writeLabels(input, labels, mask);
        JsonObject py = Reference.json("dicom_seg_pydicom", PYDICOM_SEG, List.of("pydicom", "numpy", "nibabel"), seg.toString(),
                series.toString(), mask.toString()).getAsJsonObject();
        assertEquals("1.2.840.10008.5.1.4.1.1.66.4", py.get("sop_class").getAsString());
        assertEquals(0, py.get("mismatches").getAsInt(), py.toString());
        long voxels = Arrays.stream(labels).filter(v -> v > 0).count();
        assertEquals(voxels, py.get("voxels").getAsLong());
        assertEquals(3 + 3, py.get("frames").getAsInt(), "only the frames that hold a segment: 3 + 3");
        assertTrue(py.get("max_position_error_mm").getAsDouble() < 1e-4, py.toString());
        assertTrue(py.get("same_frame_of_reference").getAsBoolean() && py.get("same_study").getAsBoolean()
                && py.get("references_source_series").getAsBoolean() && py.get("frames_derive_from_their_slice").getAsBoolean(),
                py.toString());
        assertEquals(SLICES, py.get("referenced_instances").getAsInt());
        JsonArray segs = py.getAsJsonArray("segments");
        assertEquals("[1,\"liver\",\"10200004\",\"123037004\"]", segs.get(0).toString());
        assertEquals("[2,\"lesion candidate\",\"85756007\",\"85756007\"]", segs.get(1).toString());
        assertTrue(py.get("shared_orientation_matches").getAsBoolean() && py.get("pixel_spacing_matches").getAsBoolean(),
                py.toString());

        JsonObject dv = Reference.json("dicom_seg_dciodvfy", DCIODVFY, List.of("subprocess"),
                Files.isExecutable(Path.of("/usr/bin/dciodvfy")), seg.toString()).getAsJsonObject();
        assertEquals(0, dv.getAsJsonArray("errors").size(), dv.toString());
    }

    @Test
    void segmentWritesASegForADicomInputAndRefusesOthers() throws Exception {
        Path out = tmp.resolve("from_segment.dcm");
        Segmentation.writeLabels(input, labels, out, NiftiDatatype.UINT8, Map.of(3, "liver"));
        DicomDataset ds = DicomDataset.read(out);
        assertEquals("1.2.840.10008.5.1.4.1.1.66.4", ds.string(0x00080016));
        assertEquals(FOR, ds.string(0x00200052));
        assertEquals("6", ds.string(0x00280008));
        assertEquals(SERIES, ds.sequence(0x00081115).get(0).string(0x0020000E));
        Path nifti = tmp.resolve("mask_in.nii.gz");
        Segmentation.writeLabels(input, labels, nifti);
        SegmentationInput notDicom = SegmentationInput.read(nifti);
        MedsaException e = assertThrows(MedsaException.class, () -> Segmentation.writeLabels(notDicom, labels,
                tmp.resolve("x.dcm")));
        assertTrue(e.getMessage().startsWith(tmp.resolve("x.dcm") + ": a DICOM SEG is written for a DICOM series input"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(tmp.resolve("x.dcm")));
        MedsaException empty = assertThrows(MedsaException.class, () -> Segmentation.writeLabels(input,
                new int[labels.length], tmp.resolve("empty.dcm")));
        assertTrue(empty.getMessage().contains("the mask is empty"), empty.getMessage());
    }

    /**
     * pydicom's view of a SEG: frames unpacked (1 bit, little-endian bit order), each placed at the
     * source slice nearest its Plane Position, segment s taking the s-th smallest label value of the
     * NIfTI mask; compared with the mask (nibabel) voxel for voxel.
     */
    static final String PYDICOM_SEG = String.join("\n",
            "import sys, json, glob, numpy as np, pydicom, nibabel as nib",
            "seg = pydicom.dcmread(sys.argv[1])",
            "src = [pydicom.dcmread(f) for f in sorted(glob.glob(sys.argv[2] + '/*'))]",
            "o = np.array(src[0].ImageOrientationPatient, float); n = np.cross(o[:3], o[3:])",
            "src.sort(key=lambda d: float(np.dot(n, np.array(d.ImagePositionPatient, float))))",
            "pos = [np.array(d.ImagePositionPatient, float) for d in src]",
            "mask = np.asanyarray(nib.load(sys.argv[3]).dataobj).astype(np.int64)",
            "values = sorted(int(v) for v in np.unique(mask) if v > 0)",
            "r, c, nf = int(seg.Rows), int(seg.Columns), int(seg.NumberOfFrames)",
            "bits = np.unpackbits(np.frombuffer(seg.PixelData, np.uint8), bitorder='little')[: nf * r * c].reshape(nf, r, c)",
            "vol = np.zeros(mask.shape, np.int64); err = 0.0; derive = True",
            "for f, fr in enumerate(seg.PerFrameFunctionalGroupsSequence):",
            "    s = int(fr.SegmentIdentificationSequence[0].ReferencedSegmentNumber)",
            "    p = np.array(fr.PlanePositionSequence[0].ImagePositionPatient, float)",
            "    d = [float(np.linalg.norm(p - q)) for q in pos]; k = int(np.argmin(d)); err = max(err, d[k])",
            "    ref = fr.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID",
            "    derive = derive and ref == src[k].SOPInstanceUID",
            "    vol[:, :, k][bits[f].T.astype(bool)] = values[s - 1]",
            "sh = seg.SharedFunctionalGroupsSequence[0]",
            "print(json.dumps(dict(sop_class=str(seg.SOPClassUID), frames=nf, voxels=int((vol > 0).sum()),",
            "    mismatches=int((vol != mask).sum()), max_position_error_mm=err,",
            "    segments=[[int(x.SegmentNumber), str(x.SegmentLabel), str(x.SegmentedPropertyTypeCodeSequence[0].CodeValue),",
            "        str(x.SegmentedPropertyCategoryCodeSequence[0].CodeValue)] for x in seg.SegmentSequence],",
            "    same_frame_of_reference=seg.FrameOfReferenceUID == src[0].FrameOfReferenceUID,",
            "    same_study=seg.StudyInstanceUID == src[0].StudyInstanceUID,",
            "    references_source_series=seg.ReferencedSeriesSequence[0].SeriesInstanceUID == src[0].SeriesInstanceUID,",
            "    referenced_instances=len(seg.ReferencedSeriesSequence[0].ReferencedInstanceSequence),",
            "    frames_derive_from_their_slice=bool(derive),",
            "    shared_orientation_matches=bool(np.allclose([float(x) for x in",
            "        sh.PlaneOrientationSequence[0].ImageOrientationPatient], o, atol=1e-6)),",
            "    pixel_spacing_matches=[float(x) for x in sh.PixelMeasuresSequence[0].PixelSpacing]",
            "        == [float(x) for x in src[0].PixelSpacing])))");

    /** dicom3tools' IOD checker: its error and warning lines. */
    static final String DCIODVFY = String.join("\n",
            "import sys, json, subprocess",
            "p = subprocess.run(['dciodvfy', sys.argv[1]], capture_output=True, text=True)",
            "lines = (p.stdout + p.stderr).splitlines()",
            "print(json.dumps(dict(errors=[l for l in lines if l.startswith('Error')],",
            "    warnings=len([l for l in lines if l.startswith('Warning')]))))");
}
