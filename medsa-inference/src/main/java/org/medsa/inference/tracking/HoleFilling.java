package org.medsa.inference.tracking;

/**
 * SAM 2's post-processing of low-res mask logits ({@code fill_holes_in_mask_scores}): every
 * 8-connected region of background pixels (logit ≤ 0) of at most {@code maxArea} pixels becomes
 * foreground with logit 0.1. The official code does this in a CUDA extension and skips it without
 * one; it is done here on the host, on the low-res masks only.
 */
final class HoleFilling {

    private HoleFilling() {}

    /** Fills the small background regions of {@code logits} (h × w, row-major) in place; true if any changed. */
    static boolean fill(float[] logits, int h, int w, int maxArea) {
        int n = h * w;
        int[] label = new int[n];
        int[] stack = new int[n];
        int[] members = new int[n];
        boolean changed = false;
        int next = 0;
        for (int start = 0; start < n; start++) {
            if (!(logits[start] <= 0) || label[start] != 0) {
                continue;
            }
            next++;
            int top = 0;
            int size = 0;
            stack[top++] = start;
            label[start] = next;
            while (top > 0) {
                int p = stack[--top];
                members[size++] = p;
                int r = p / w;
                int c = p % w;
                for (int dr = -1; dr <= 1; dr++) {
                    for (int dc = -1; dc <= 1; dc++) {
                        int rr = r + dr;
                        int cc = c + dc;
                        if ((dr != 0 || dc != 0) && rr >= 0 && rr < h && cc >= 0 && cc < w) {
                            int q = rr * w + cc;
                            if (label[q] == 0 && logits[q] <= 0) {
                                label[q] = next;
                                stack[top++] = q;
                            }
                        }
                    }
                }
            }
            if (size <= maxArea) {
                for (int i = 0; i < size; i++) {
                    logits[members[i]] = 0.1f;
                }
                changed = true;
            }
        }
        return changed;
    }
}
