package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;

/**
 * What the decoder knows about the prompt, for blocks that condition on it (Med-SA's
 * Hyper-Prompting Adapter): the sparse prompt tokens (B, T, C) and which of them are real prompts
 * (B, T) as 1/0, so SAM's padding point (label −1) can be left out.
 */
public record PromptContext(NDArray sparse, NDArray validTokens) {}
