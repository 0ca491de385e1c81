package org.medsa.core.modeling;

import ai.djl.Device;
import org.medsa.core.geometry.InputGeometry;

/**
 * A model that segments images from prompts: SAM ({@link Sam}, and Med-SA built on it) or SAM 2
 * ({@link org.medsa.core.modeling.sam2.Sam2Model}). The tools that segment (the volume segmenter,
 * the server, the batch job) take one and pick the family's way of using it: SAM decodes each
 * slice on its own, SAM 2 tracks through a volume with its memory.
 */
public interface PromptableModel {

    /** The model's input geometry: every image it sees goes through it. */
    InputGeometry geometry();

    /** The device its weights live on. */
    Device device();

    /** Side of the square model input. */
    int imageSize();

    /** The family and configuration, for messages ("SAM vit_b", "SAM 2 medsam2"). */
    String describe();
}
