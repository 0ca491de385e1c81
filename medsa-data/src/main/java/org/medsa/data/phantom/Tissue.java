package org.medsa.data.phantom;

/**
 * The tissues of the phantom, in drawing order (later ones cover earlier ones), with their label
 * values (0 for unlabelled tissue).
 */
public enum Tissue {
    AIR(0, "background"),
    BODY(0, "background"),
    LIVER(1, "liver"),
    SPLEEN(2, "spleen"),
    KIDNEY(3, "kidney"),
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
