package org.medsa.data.phantom;

/**
 * The tissues of the phantom, in drawing order (later ones cover earlier ones), with their label
 * values (0 for unlabelled tissue).
 */
public enum Tissue {
    /** Outside the body (unlabelled). */
    AIR(0, "background"),
    /** The body around the organs (unlabelled). */
    BODY(0, "background"),
    /** Liver, label 1. */
    LIVER(1, "liver"),
    /** Spleen, label 2. */
    SPLEEN(2, "spleen"),
    /** Both kidneys, label 3. */
    KIDNEY(3, "kidney"),
    /** Spine, label 4. */
    SPINE(4, "spine");

    private final int label;
    private final String labelName;

    Tissue(int label, String labelName) {
        this.label = label;
        this.labelName = labelName;
    }

    /** Label value in the label map (0 = background). */
    public int label() {
        return label;
    }

    /** Name in dataset.json. */
    public String labelName() {
        return labelName;
    }
}
