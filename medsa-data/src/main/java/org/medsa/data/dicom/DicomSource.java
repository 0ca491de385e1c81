package org.medsa.data.dicom;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a result derived from a DICOM series must carry back to the archive (a DICOM SEG, {@link
 * DicomSegWriter}): the study, series and frame of reference it belongs to, the patient and study
 * attributes copied unchanged, and for every slice of the volume (in the volume's k order) the
 * instance (and frame) it came from and its position.
 *
 * @param studyUid Study Instance UID
 * @param seriesUid Series Instance UID of the source series
 * @param frameOfReferenceUid Frame of Reference UID ("" when the source has none)
 * @param patientStudy patient and study attributes by tag, as text (absent ones are left out)
 * @param slices per volume slice k: the source instance and its Image Position (Patient)
 * @param orientation Image Orientation (Patient): row then column direction cosines
 * @param pixelSpacing Pixel Spacing: between rows, between columns (mm)
 * @param sliceSpacing the distance between slice centres along the normal (mm)
 * @param rows rows of a slice
 * @param columns columns of a slice
 */
public record DicomSource(String studyUid, String seriesUid, String frameOfReferenceUid, Map<Integer, String> patientStudy,
        List<Slice> slices, double[] orientation, double[] pixelSpacing, double sliceSpacing, int rows, int columns) {

    /** The patient and study attributes a derived object copies (General Study and Patient modules). */
    static final int[] COPIED = {0x00100010, 0x00100020, 0x00100030, 0x00100040, 0x00080020, 0x00080030, 0x00080050,
        0x00080090, 0x00200010, 0x00081030};

    /**
     * One slice's source.
     *
     * @param sopClassUid the source instance's SOP Class UID
     * @param sopInstanceUid its SOP Instance UID
     * @param frame the 1-based frame number in a multi-frame instance, 0 for single-frame instances
     * @param position Image Position (Patient) of the slice (LPS, mm)
     */
    public record Slice(String sopClassUid, String sopInstanceUid, int frame, double[] position) {}

    /** The copied attributes of a source image. */
    static Map<Integer, String> patientStudy(DicomDataset ds) {
        Map<Integer, String> m = new LinkedHashMap<>();
        for (int tag : COPIED) {
            String v = ds.string(tag);
            if (v != null) {
                m.put(tag, v);
            }
        }
        return m;
    }
}
