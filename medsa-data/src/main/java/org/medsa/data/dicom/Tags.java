package org.medsa.data.dicom;

import java.util.Map;

/** The attributes this reader uses, and their value representations (needed for implicit-VR files). */
public final class Tags {

    private Tags() {}

    public static final int TRANSFER_SYNTAX_UID = 0x00020010;
    public static final int SOP_CLASS_UID = 0x00080016;
    public static final int MODALITY = 0x00080060;
    public static final int SERIES_DESCRIPTION = 0x0008103E;
    public static final int SLICE_THICKNESS = 0x00180050;
    public static final int SPACING_BETWEEN_SLICES = 0x00180088;
    public static final int SERIES_INSTANCE_UID = 0x0020000E;
    public static final int INSTANCE_NUMBER = 0x00200013;
    public static final int IMAGE_POSITION_PATIENT = 0x00200032;
    public static final int IMAGE_ORIENTATION_PATIENT = 0x00200037;
    public static final int PLANE_POSITION_SEQUENCE = 0x00209113;
    public static final int PLANE_ORIENTATION_SEQUENCE = 0x00209116;
    public static final int SAMPLES_PER_PIXEL = 0x00280002;
    public static final int PHOTOMETRIC_INTERPRETATION = 0x00280004;
    public static final int PLANAR_CONFIGURATION = 0x00280006;
    public static final int NUMBER_OF_FRAMES = 0x00280008;
    public static final int ROWS = 0x00280010;
    public static final int COLUMNS = 0x00280011;
    public static final int PIXEL_SPACING = 0x00280030;
    public static final int BITS_ALLOCATED = 0x00280100;
    public static final int BITS_STORED = 0x00280101;
    public static final int HIGH_BIT = 0x00280102;
    public static final int PIXEL_REPRESENTATION = 0x00280103;
    public static final int RESCALE_INTERCEPT = 0x00281052;
    public static final int RESCALE_SLOPE = 0x00281053;
    public static final int PIXEL_MEASURES_SEQUENCE = 0x00289110;
    public static final int PIXEL_VALUE_TRANSFORMATION_SEQUENCE = 0x00289145;
    public static final int GRID_FRAME_OFFSET_VECTOR = 0x3004000C;
    public static final int SHARED_FUNCTIONAL_GROUPS = 0x52009229;
    public static final int PER_FRAME_FUNCTIONAL_GROUPS = 0x52009230;
    public static final int PIXEL_DATA = 0x7FE00010;
    public static final int ITEM = 0xFFFEE000;
    public static final int ITEM_DELIMITATION = 0xFFFEE00D;
    public static final int SEQUENCE_DELIMITATION = 0xFFFEE0DD;

    private static final Map<Integer, String> VR = Map.ofEntries(
            Map.entry(TRANSFER_SYNTAX_UID, "UI"), Map.entry(SOP_CLASS_UID, "UI"), Map.entry(MODALITY, "CS"),
            Map.entry(SERIES_DESCRIPTION, "LO"), Map.entry(SLICE_THICKNESS, "DS"), Map.entry(SPACING_BETWEEN_SLICES, "DS"),
            Map.entry(SERIES_INSTANCE_UID, "UI"), Map.entry(INSTANCE_NUMBER, "IS"), Map.entry(IMAGE_POSITION_PATIENT, "DS"),
            Map.entry(IMAGE_ORIENTATION_PATIENT, "DS"), Map.entry(PLANE_POSITION_SEQUENCE, "SQ"),
            Map.entry(PLANE_ORIENTATION_SEQUENCE, "SQ"), Map.entry(SAMPLES_PER_PIXEL, "US"),
            Map.entry(PHOTOMETRIC_INTERPRETATION, "CS"), Map.entry(PLANAR_CONFIGURATION, "US"), Map.entry(NUMBER_OF_FRAMES, "IS"),
            Map.entry(ROWS, "US"), Map.entry(COLUMNS, "US"), Map.entry(PIXEL_SPACING, "DS"), Map.entry(BITS_ALLOCATED, "US"),
            Map.entry(BITS_STORED, "US"), Map.entry(HIGH_BIT, "US"), Map.entry(PIXEL_REPRESENTATION, "US"),
            Map.entry(RESCALE_INTERCEPT, "DS"), Map.entry(RESCALE_SLOPE, "DS"), Map.entry(PIXEL_MEASURES_SEQUENCE, "SQ"),
            Map.entry(PIXEL_VALUE_TRANSFORMATION_SEQUENCE, "SQ"), Map.entry(GRID_FRAME_OFFSET_VECTOR, "DS"),
            Map.entry(SHARED_FUNCTIONAL_GROUPS, "SQ"), Map.entry(PER_FRAME_FUNCTIONAL_GROUPS, "SQ"), Map.entry(PIXEL_DATA, "OW"));

    /** The value representation of a tag this reader knows, else "UN". */
    public static String vr(int tag) {
        return VR.getOrDefault(tag, "UN");
    }
}
