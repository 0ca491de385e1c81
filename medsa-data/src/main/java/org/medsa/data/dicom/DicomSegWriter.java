package org.medsa.data.dicom;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.medsa.core.MedsaException;

/**
 * Writes a label volume on a DICOM series' grid as a DICOM Segmentation object (SOP Class
 * 1.2.840.10008.5.1.4.1.1.66.4, PS3.3 A.51), so a result goes back to the archive the scan came
 * from: binary segments (one per label value, in ascending order, numbered from 1), each with a
 * label and SNOMED CT category and type codes; one frame per segment and source slice that holds
 * the segment, placed by a per-frame Plane Position and derived from its source instance (Derivation
 * Image, Common Instance Reference); shared Plane Orientation and Pixel Measures; the source's
 * study, patient and Frame of Reference. Explicit VR Little Endian, pixels packed one bit each.
 */
public final class DicomSegWriter {

    /** Segmentation Storage. */
    public static final String SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4";

    /** The anatomical structures with a SNOMED CT code, by lower-case label name (CID 7166's codes). */
    static final Map<String, String[]> STRUCTURES = Map.ofEntries(
            Map.entry("liver", new String[] {"10200004", "Liver"}),
            Map.entry("spleen", new String[] {"78961009", "Spleen"}),
            Map.entry("kidney", new String[] {"64033007", "Kidney"}),
            Map.entry("pancreas", new String[] {"15776009", "Pancreas"}),
            Map.entry("stomach", new String[] {"69695003", "Stomach"}),
            Map.entry("aorta", new String[] {"15825003", "Aorta"}),
            Map.entry("lung", new String[] {"39607008", "Lung"}),
            Map.entry("heart", new String[] {"80891009", "Heart"}),
            Map.entry("brain", new String[] {"12738006", "Brain"}),
            Map.entry("gallbladder", new String[] {"28231008", "Gallbladder"}),
            Map.entry("prostate", new String[] {"41216001", "Prostate"}),
            Map.entry("urinary bladder", new String[] {"89837001", "Urinary bladder"}),
            Map.entry("spine", new String[] {"421060004", "Vertebral column"}),
            Map.entry("vertebral column", new String[] {"421060004", "Vertebral column"}));

    /**
     * Who the new object is: its series and instance UIDs and its creation time (fresh ones by
     * default; fixed ones make a file reproducible).
     */
    public record Identity(String seriesUid, String instanceUid, LocalDateTime created) {
        /** New UIDs, now. */
        public static Identity fresh() {
            return new Identity(DicomWriter.newUid(), DicomWriter.newUid(), LocalDateTime.now());
        }
    }

    private DicomSegWriter() {}

    /** Writes {@code labels} with fresh UIDs; see {@link #write(Path, DicomSource, int[], Map, Identity)}. */
    public static void write(Path out, DicomSource source, int[] labels, Map<Integer, String> names) {
        write(out, source, labels, names, Identity.fresh());
    }

    /**
     * Writes a SEG.
     *
     * @param labels label values on the source grid: i = column, j = row, k = slice in the
     *     source's order, i fastest
     * @param names segment labels by label value ("Segment N" for values without one)
     * @throws MedsaException if the labels do not fit the source grid, hold no segment, or a value is outside 0..65535
     */
    public static void write(Path out, DicomSource source, int[] labels, Map<Integer, String> names, Identity id) {
        int cols = source.columns();
        int rows = source.rows();
        int slices = source.slices().size();
        int plane = rows * cols;
        if (labels.length != plane * slices) {
            throw new MedsaException(out + ": " + labels.length + " labels do not lie on the DICOM series' grid of " + cols
                    + "x" + rows + "x" + slices + " voxels");
        }
        TreeSet<Integer> values = new TreeSet<>();
        for (int v : labels) {
            if (v < 0 || v > 65535) {
                throw new MedsaException(out + ": label value " + v + " is outside 0..65535");
            }
            if (v > 0) {
                values.add(v);
            }
        }
        if (values.isEmpty()) {
            throw new MedsaException(out + ": the mask is empty; a DICOM SEG needs at least one segmented voxel");
        }
        // frames: per segment, every slice holding it, in slice order
        List<int[]> frames = new ArrayList<>(); // {segment number, label value, slice}
        int number = 0;
        for (int value : values) {
            number++;
            for (int k = 0; k < slices; k++) {
                for (int p = 0; p < plane; p++) {
                    if (labels[k * plane + p] == value) {
                        frames.add(new int[] {number, value, k});
                        break;
                    }
                }
            }
        }
        byte[] pixels = new byte[(int) ((((long) frames.size() * plane + 7) / 8 + 1) / 2 * 2)];
        long bit = 0;
        for (int[] f : frames) {
            int offset = f[2] * plane;
            for (int p = 0; p < plane; p++, bit++) {
                if (labels[offset + p] == f[1]) {
                    pixels[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
                }
            }
        }
        String date = id.created().format(DateTimeFormatter.ofPattern("yyyyMMdd", Locale.ROOT));
        String time = id.created().format(DateTimeFormatter.ofPattern("HHmmss", Locale.ROOT));
        String frameOfReference = source.frameOfReferenceUid().isEmpty() ? DicomWriter.newUid() : source.frameOfReferenceUid();
        String dimensionOrganization = derivedUid(id.instanceUid());
        DicomWriter.Dataset ds = new DicomWriter.Dataset()
                .text(0x00080005, "CS", "ISO_IR 192")
                .text(0x00080008, "CS", "DERIVED", "PRIMARY")
                .text(0x00080012, "DA", date)
                .text(0x00080013, "TM", time)
                .text(0x00080016, "UI", SEGMENTATION_STORAGE)
                .text(0x00080018, "UI", id.instanceUid())
                .text(0x00080021, "DA", date)
                .text(0x00080023, "DA", date)
                .text(0x00080031, "TM", time)
                .text(0x00080033, "TM", time)
                .text(0x00080060, "CS", "SEG")
                .text(0x00080070, "LO", "Med-SA for Java")
                .text(0x0008103E, "LO", "Med-SA segmentation")
                .text(0x00081090, "LO", "medsa")
                .text(0x00181000, "LO", "0")
                .text(0x00181020, "LO", "0.1.0")
                .text(0x0020000D, "UI", source.studyUid())
                .text(0x0020000E, "UI", id.seriesUid())
                .text(0x00200011, "IS", "300")
                .text(0x00200013, "IS", "1")
                .text(0x00200052, "UI", frameOfReference)
                .text(0x00201040, "LO", "")
                .us(0x00280002, 1)
                .text(0x00280004, "CS", "MONOCHROME2")
                .text(0x00280008, "IS", Integer.toString(frames.size()))
                .us(0x00280010, rows)
                .us(0x00280011, cols)
                .us(0x00280100, 1)
                .us(0x00280101, 1)
                .us(0x00280102, 0)
                .us(0x00280103, 0)
                .text(0x00282110, "CS", "00")
                .text(0x00620001, "CS", "BINARY")
                .text(0x00700080, "CS", "SEGMENTATION")
                .text(0x00700081, "LO", "Med-SA segmentation")
                .text(0x00700084, "PN", "")
                .bytes(0x7FE00010, "OB", pixels);
        // patient and study attributes of the source, unchanged (type 2: present, maybe empty)
        String[][] copied = {{"00100010", "PN"}, {"00100020", "LO"}, {"00100030", "DA"}, {"00100040", "CS"}, {"00080020", "DA"},
            {"00080030", "TM"}, {"00080050", "SH"}, {"00080090", "PN"}, {"00200010", "SH"}, {"00081030", "LO"}};
        for (String[] c : copied) {
            int tag = Integer.parseUnsignedInt(c[0], 16);
            String v = source.patientStudy().get(tag);
            if (v != null || tag != 0x00081030) {
                ds.text(tag, c[1], v == null ? "" : v);
            }
        }
        ds.sequence(0x00081115, new DicomWriter.Dataset()
                .sequence(0x0008114A, referencedInstances(source))
                .text(0x0020000E, "UI", source.seriesUid()));
        ds.sequence(0x00620002, segments(values, names));
        ds.sequence(0x00209221, new DicomWriter.Dataset().text(0x00209164, "UI", dimensionOrganization));
        ds.sequence(0x00209222, List.of(
                new DicomWriter.Dataset().text(0x00209164, "UI", dimensionOrganization).at(0x00209165, 0x0062000B)
                        .at(0x00209167, 0x0062000A).text(0x00209421, "LO", "ReferencedSegmentNumber"),
                new DicomWriter.Dataset().text(0x00209164, "UI", dimensionOrganization).at(0x00209165, 0x00200032)
                        .at(0x00209167, 0x00209113).text(0x00209421, "LO", "ImagePositionPatient")));
        double[] o = source.orientation();
        ds.sequence(0x52009229, new DicomWriter.Dataset()
                .sequence(0x00209116, new DicomWriter.Dataset().decimals(0x00200037, o))
                .sequence(0x00289110, new DicomWriter.Dataset().decimals(0x00180050, source.sliceSpacing())
                        .decimals(0x00180088, source.sliceSpacing()).decimals(0x00280030, source.pixelSpacing())));
        List<DicomWriter.Dataset> perFrame = new ArrayList<>();
        for (int[] f : frames) {
            DicomSource.Slice s = source.slices().get(f[2]);
            DicomWriter.Dataset sourceImage = new DicomWriter.Dataset().text(0x00081150, "UI", s.sopClassUid())
                    .text(0x00081155, "UI", s.sopInstanceUid())
                    .sequence(0x0040A170, code("121322", "DCM", "Source image for image processing operation"));
            if (s.frame() > 0) {
                sourceImage.text(0x00081160, "IS", Integer.toString(s.frame()));
            }
            perFrame.add(new DicomWriter.Dataset()
                    .sequence(0x00089124, new DicomWriter.Dataset().sequence(0x00082112, sourceImage)
                            .sequence(0x00089215, code("113076", "DCM", "Segmentation")))
                    .sequence(0x00209111, new DicomWriter.Dataset().ul(0x00209157, f[0], f[2] + 1))
                    .sequence(0x00209113, new DicomWriter.Dataset().decimals(0x00200032, s.position()))
                    .sequence(0x0062000A, new DicomWriter.Dataset().us(0x0062000B, f[0])));
        }
        ds.sequence(0x52009230, perFrame);
        DicomWriter.write(out, ds, SEGMENTATION_STORAGE, id.instanceUid());
    }

    private static List<DicomWriter.Dataset> referencedInstances(DicomSource source) {
        List<DicomWriter.Dataset> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (DicomSource.Slice s : source.slices()) {
            if (!seen.contains(s.sopInstanceUid())) {
                seen.add(s.sopInstanceUid());
                out.add(new DicomWriter.Dataset().text(0x00081150, "UI", s.sopClassUid()).text(0x00081155, "UI",
                        s.sopInstanceUid()));
            }
        }
        return out;
    }

    private static List<DicomWriter.Dataset> segments(TreeSet<Integer> values, Map<Integer, String> names) {
        List<DicomWriter.Dataset> out = new ArrayList<>();
        int number = 0;
        for (int value : values) {
            number++;
            String name = names.getOrDefault(value, "Segment " + value);
            String label = name.length() > 64 ? name.substring(0, 64) : name;
            String[] structure = STRUCTURES.get(name.strip().toLowerCase(Locale.ROOT));
            DicomWriter.Dataset category = structure != null ? code("123037004", "SCT", "Anatomical Structure")
                    : code("85756007", "SCT", "Tissue");
            DicomWriter.Dataset type = structure != null ? code(structure[0], "SCT", structure[1])
                    : code("85756007", "SCT", "Tissue");
            out.add(new DicomWriter.Dataset()
                    .sequence(0x00620003, category)
                    .us(0x00620004, number)
                    .text(0x00620005, "LO", label)
                    .text(0x00620006, "ST", "label value " + value)
                    .text(0x00620008, "CS", "SEMIAUTOMATIC")
                    .text(0x00620009, "LO", "Med-SA for Java")
                    .sequence(0x0062000F, type));
        }
        return out;
    }

    private static DicomWriter.Dataset code(String value, String scheme, String meaning) {
        return new DicomWriter.Dataset().text(0x00080100, "SH", value).text(0x00080102, "SH", scheme)
                .text(0x00080104, "LO", meaning);
    }

    /** A UID derived from another (same root, one more component), for the dimension organization. */
    private static String derivedUid(String uid) {
        String d = uid + ".1";
        return d.length() <= 64 ? d : DicomWriter.newUid();
    }
}
