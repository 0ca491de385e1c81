package org.medsa.core.geometry;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.medsa.core.MedsaException;

/**
 * How a checkpoint family expects its images (docs/geometry.md): the resize rule and the
 * intensity normalisation. It is a property of the weights, recorded in the model config ({@code
 * input_profile}) and therefore in every adapter file and training run; mixing profiles silently is
 * the likeliest cause of a bad Dice, so loading adapters under another profile is refused.
 */
public enum InputProfile {

    /**
     * SAM (the default): the longest side resized to the input size, the other rounded half up;
     * pixel mean/std of the model config on a 0–255 scale; zeros padded at the bottom and right
     * after normalising. SAM, its checkpoints and MedSAM's successors were trained this way.
     */
    SAM("sam", true),

    /** MedSAM's {@code medsam_vit_b.pth}: stretched to size×size, min–max to [0, 1] per image. */
    MEDSAM("medsam", false),

    /** The official Med-SA scripts: stretched to size×size and divided by 255 (no mean/std). */
    MSA_COMPAT("msa-compat", false),

    /**
     * SAM 2's frame loader (and MedSAM2's): stretched to size×size with Pillow's bicubic filter,
     * divided by 255, then ImageNet's mean and std; masks return to the slice in one bilinear step.
     */
    SAM2("sam2", false);

    private final String id;
    private final boolean keepsAspect;

    InputProfile(String id, boolean keepsAspect) {
        this.id = id;
        this.keepsAspect = keepsAspect;
    }

    /** The name used in configs, adapter files and on the command line. */
    public String id() {
        return id;
    }

    /** True if the image keeps its aspect ratio (and is padded), false if it is stretched to a square. */
    public boolean keepsAspect() {
        return keepsAspect;
    }

    /**
     * A profile of SAM (1) models by name (case-insensitive): {@code sam}, {@code medsam} or
     * {@code msa-compat}. SAM 2's frame transform belongs to SAM 2 models, which always use it.
     *
     * @throws MedsaException listing the known names
     */
    public static InputProfile parse(String name) {
        for (InputProfile p : values()) {
            if (p != SAM2 && p.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        String hint = SAM2.id.equals(name) ? " — sam2 is SAM 2's own transform, used by SAM 2 models only" : "";
        throw new MedsaException("unknown input profile '" + name + "' (use one of "
                + Arrays.stream(values()).filter(p -> p != SAM2).map(InputProfile::id).collect(Collectors.joining(", ")) + ")"
                + hint);
    }

    @Override
    public String toString() {
        return id;
    }
}
