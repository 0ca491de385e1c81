package org.medsa.train.prompts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import org.medsa.core.MedsaException;

/**
 * Device-side building blocks of the prompt samplers. Every method takes a scratch manager
 * ({@code scope}) and returns arrays attached to it; inputs must already belong to that scope
 * (DJL attaches the result of {@code a.op(b)} to the manager of {@code a}).
 *
 * <p>Masks here are float32 (B, H, W) arrays of 0/1; "regions" are masks too.
 */
final class MaskOps {

    private MaskOps() {}

    /** (B, H, W) of a mask tensor shaped (B, H, W) or (B, 1, H, W). */
    static long[] batchHeightWidth(NDArray array, String name) {
        Shape shape = array.getShape();
        if (shape.dimension() == 3) {
            return new long[] {shape.get(0), shape.get(1), shape.get(2)};
        }
        if (shape.dimension() == 4 && shape.get(1) == 1) {
            return new long[] {shape.get(0), shape.get(2), shape.get(3)};
        }
        throw new MedsaException(
                name + " must be (B, H, W) or (B, 1, H, W), got " + shape);
    }

    /** Foreground (value > 0.5, or true) as float32 0/1 of shape (B, H, W), in {@code scope}. */
    static NDArray foreground(NDArray masks, NDManager scope) {
        long[] bhw = batchHeightWidth(masks, "masks");
        if (bhw[0] < 1 || bhw[1] < 1 || bhw[2] < 1) {
            throw new MedsaException("masks must not be empty, got " + masks.getShape());
        }
        NDArray binary =
                masks.getDataType() == DataType.BOOLEAN
                        ? masks.toType(DataType.FLOAT32, true)
                        : masks.gt(0.5f);
        // The first op's result belongs to the caller's manager: move it into the scope at once.
        binary.attach(scope);
        return binary.toType(DataType.FLOAT32, false).reshape(bhw[0], bhw[1], bhw[2]);
    }

    /** A float32 copy of a caller's array, owned by {@code scope}. */
    static NDArray local(NDArray array, NDManager scope) {
        NDArray copy = array.toType(DataType.FLOAT32, true);
        copy.attach(scope);
        return copy;
    }

    /** {@code condition ? whenTrue : whenFalse} for a float 0/1 condition; broadcasts; finite values. */
    static NDArray choose(NDArray condition, NDArray whenTrue, NDArray whenFalse) {
        return whenTrue.sub(whenFalse).mul(condition).add(whenFalse);
    }

    /** 1 where {@code array > threshold}, else 0, as float32. */
    static NDArray above(NDArray array, float threshold) {
        return array.gt(threshold).toType(DataType.FLOAT32, false);
    }

    /** Column index of every pixel, shape (1, 1, W). */
    static NDArray columns(NDManager scope, long width) {
        return scope.arange(0f, (float) width, 1f).reshape(1, 1, width);
    }

    /** Row index of every pixel, shape (1, H, 1). */
    static NDArray rows(NDManager scope, long height) {
        return scope.arange(0f, (float) height, 1f).reshape(1, height, 1);
    }

    /** Steps to the nearest pixel beyond the left/right image edge: min(x + 1, W − x), (1, 1, W). */
    static NDArray horizontalBorderDistance(NDManager scope, long width) {
        NDArray x = columns(scope, width);
        return x.add(1f).minimum(x.neg().add((float) width));
    }

    /** Steps to the nearest pixel beyond the top/bottom image edge: min(y + 1, H − y), (1, H, 1). */
    static NDArray verticalBorderDistance(NDManager scope, long height) {
        NDArray y = rows(scope, height);
        return y.add(1f).minimum(y.neg().add((float) height));
    }

    /**
     * Tight inclusive boxes (B, 4) = (x0, y0, x1, y1) of a 0/1 mask; an empty mask gets the full
     * image box (0, 0, W − 1, H − 1).
     */
    static NDArray tightBoxes(NDArray fg, NDManager scope) {
        long batch = fg.getShape().get(0);
        long height = fg.getShape().get(1);
        long width = fg.getShape().get(2);
        float far = height + width + 1f;
        NDArray columnUsed = fg.max(new int[] {1}); // (B, W)
        NDArray rowUsed = fg.max(new int[] {2}); // (B, H)
        NDArray x = scope.arange(0f, (float) width, 1f).reshape(1, width);
        NDArray y = scope.arange(0f, (float) height, 1f).reshape(1, height);
        // Unused columns are pushed beyond the image for the min and to −1 for the max.
        NDArray x0 = x.add(columnUsed.neg().add(1f).mul(far)).min(new int[] {1});
        NDArray x1 = x.add(1f).mul(columnUsed).sub(1f).max(new int[] {1});
        NDArray y0 = y.add(rowUsed.neg().add(1f).mul(far)).min(new int[] {1});
        NDArray y1 = y.add(1f).mul(rowUsed).sub(1f).max(new int[] {1});
        NDArray boxes = NDArrays.stack(new NDList(x0, y0, x1, y1), 1);
        NDArray fullImage =
                scope.create(new float[] {0f, 0f, width - 1f, height - 1f}, new Shape(1, 4));
        return choose(nonEmpty(fg).reshape(batch, 1), boxes, fullImage);
    }

    /** 1 for a mask with at least one foreground pixel, else 0; shape (B). */
    static NDArray nonEmpty(NDArray fg) {
        // DJL-PyTorch reduces max over one axis only; a sum works over both.
        return above(fg.sum(new int[] {1, 2}), 0.5f);
    }

    /** Number of pixels of each region, shape (B, 1, 1). */
    static NDArray area(NDArray region) {
        return region.sum(new int[] {1, 2}, true);
    }

    /**
     * Pixels whose (2m + 1)² neighbourhood lies entirely inside the region, where pixels beyond
     * the image count as outside: a morphological erosion done as a max-pool of the complement.
     */
    static NDArray erode(NDArray region, int margin, NDManager scope) {
        if (margin == 0) {
            return region;
        }
        Shape shape = region.getShape();
        long batch = shape.get(0);
        long height = shape.get(1);
        long width = shape.get(2);
        int kernel = 2 * margin + 1;
        NDArray outside = region.neg().add(1f).reshape(batch, 1, height, width);
        NDArray nearOutside =
                Pool.maxPool2d(
                                outside,
                                new Shape(kernel, kernel),
                                new Shape(1, 1),
                                new Shape(margin, margin),
                                false)
                        .reshape(batch, height, width);
        // Max-pool pads with −inf, so the image edge is not seen as outside: add it explicitly.
        NDArray awayFromEdge =
                above(
                        horizontalBorderDistance(scope, width)
                                .minimum(verticalBorderDistance(scope, height)),
                        margin);
        return region.mul(nearOutside.neg().add(1f)).mul(awayFromEdge);
    }

    /**
     * Exact squared Euclidean distance from every region pixel to the nearest pixel outside the
     * region, pixels beyond the image counting as outside; 0 outside the region. Separable: first
     * the 1-D distance g along each column by doubling (log₂ H passes of shifted minima), then
     * min over x′ of g(x′, y)² + (x − x′)², looping over |x − x′| only while it can still improve
     * some pixel (one scalar read back gives that bound). Cost: about log₂ H + (largest distance)
     * passes of element-wise ops over (B, H, W).
     */
    static NDArray squaredDistanceToOutside(NDArray region, NDManager scope) {
        Shape shape = region.getShape();
        long batch = shape.get(0);
        long height = shape.get(1);
        long width = shape.get(2);
        float far = height + width + 2f;

        NDArray columnDistance = region.mul(verticalBorderDistance(scope, height));
        for (long step = 1; step < height; step *= 2) {
            NDArray fromAbove = shifted(columnDistance, 1, step, far, scope);
            NDArray fromBelow = shifted(columnDistance, 1, -step, far, scope);
            // min(a + s, b + s) = min(a, b) + s: one allocation fewer per pass.
            NDArray nearer = fromAbove.minimum(fromBelow).addi((float) step);
            NDArray next = columnDistance.minimum(nearer);
            closeAll(fromAbove, fromBelow, nearer, columnDistance);
            columnDistance = next;
        }

        NDArray columnSquared = columnDistance.square();
        columnDistance.close();
        NDArray squared = columnSquared.minimum(horizontalBorderDistance(scope, width).square());
        float worst;
        try (NDArray max = squared.max()) {
            worst = max.getFloat();
        }
        // Offsets with dx² ≥ every current value cannot improve anything.
        long reach = 0;
        while (reach + 1 < width && (float) ((reach + 1) * (reach + 1)) < worst) {
            reach++;
        }
        if (reach > 0) {
            // Pad once so that every shift is a view.
            NDArray filler = scope.full(new Shape(batch, height, reach), far * far);
            NDArray padded = NDArrays.concat(new NDList(filler, columnSquared, filler), 2);
            filler.close();
            for (long dx = 1; dx <= reach; dx++) {
                NDArray fromLeft = padded.get(":, :, {}:{}", reach - dx, reach - dx + width);
                NDArray fromRight = padded.get(":, :, {}:{}", reach + dx, reach + dx + width);
                NDArray nearer = fromLeft.minimum(fromRight).addi((float) (dx * dx));
                NDArray next = squared.minimum(nearer);
                closeAll(fromLeft, fromRight, nearer, squared);
                squared = next;
            }
            padded.close();
        }
        columnSquared.close();
        return squared;
    }

    /**
     * The array moved by {@code offset} along {@code axis} (1 or 2): element i of the result is
     * element i − offset of the input; positions with no source get {@code fill}.
     */
    static NDArray shifted(NDArray array, int axis, long offset, float fill, NDManager scope) {
        Shape shape = array.getShape();
        long length = shape.get(axis);
        long magnitude = Math.min(Math.abs(offset), length);
        long[] fillShape = shape.getShape().clone();
        fillShape[axis] = magnitude;
        String prefix = axis == 1 ? ":, " : ":, :, ";
        NDArray filler = scope.full(new Shape(fillShape), fill);
        if (magnitude == length) {
            return filler;
        }
        NDArray kept;
        NDArray result;
        if (offset > 0) {
            kept = array.get(new NDIndex(prefix + "0:{}", length - magnitude));
            result = NDArrays.concat(new NDList(filler, kept), axis);
        } else {
            kept = array.get(new NDIndex(prefix + "{}:", magnitude));
            result = NDArrays.concat(new NDList(kept, filler), axis);
        }
        closeAll(filler, kept);
        return result;
    }

    static void closeAll(NDArray... arrays) {
        for (NDArray array : arrays) {
            array.close();
        }
    }

    /**
     * {@code k} flat pixel indices per sample (B, k), int64, uniform over the pixels where
     * {@code region} (B, N) is 1 and without replacement: every region pixel gets a random key,
     * the others −1, and the top k keys win. A sample with c &lt; k region pixels repeats its c
     * picks cyclically; a sample with none gets arbitrary pixels (callers avoid that).
     */
    static NDArray pickUniform(NDArray region, int k, NDManager scope) {
        Shape shape = region.getShape();
        long pixels = shape.get(1);
        int kept = (int) Math.min(k, pixels);
        NDArray keys =
                scope.randomUniform(0f, 1f, shape).mul(region).add(region).subi(1f);
        NDList top = keys.topK(kept, 1, true, true);
        NDArray order = top.get(1);
        // Slots beyond a sample's c region pixels hold −1 keys: point them back at slot (j mod c).
        NDArray available = region.sum(new int[] {1}, true).clip(1f, (float) kept);
        NDArray slots =
                scope.arange(0f, (float) k, 1f)
                        .reshape(1, k)
                        .mod(available)
                        .toType(DataType.INT64, false);
        return order.gather(slots, 1);
    }

    /**
     * The interior-most pixel of each region (B, H, W) as a click (B, 1, 2) (x, y): the argmax of
     * the Euclidean distance to the outside, ties broken uniformly at random.
     */
    static NDArray interiorMostPoints(NDArray region, NDManager scope) {
        Shape shape = region.getShape();
        long batch = shape.get(0);
        long height = shape.get(1);
        long width = shape.get(2);
        // Work on the union of the regions' boxes grown by one pixel: every pixel beyond it is
        // outside every region and no nearer than the grown ring (or the image edge), so the
        // distances inside are unchanged. Reads back the four corners.
        float[] union;
        try (NDArray box = tightBoxes(above(region.sum(new int[] {0}, true), 0.5f), scope)) {
            union = box.toFloatArray();
        }
        long x0 = Math.max(0, (long) union[0] - 1);
        long y0 = Math.max(0, (long) union[1] - 1);
        long x1 = Math.min(width - 1, (long) union[2] + 1);
        long y1 = Math.min(height - 1, (long) union[3] + 1);
        NDArray crop = region.get(":, {}:{}, {}:{}", y0, y1 + 1, x0, x1 + 1);
        Shape cropShape = crop.getShape();
        NDArray squared = squaredDistanceToOutside(crop, scope);
        // Squared distances are integers, so noise below 1 only reorders equal values.
        NDArray keys =
                scope.randomUniform(0f, 0.5f, cropShape)
                        .add(squared)
                        .mul(crop)
                        .add(crop)
                        .subi(1f);
        long cropHeight = cropShape.get(1);
        long cropWidth = cropShape.get(2);
        NDArray best = keys.reshape(batch, cropHeight * cropWidth).argMax(1).reshape(batch, 1);
        NDArray offset = scope.create(new float[] {x0, y0}, new Shape(1, 1, 2));
        return indicesToPoints(best, cropHeight, cropWidth, scope).add(offset);
    }

    /**
     * Flat pixel indices (B, k) int64 (in {@code scope}) to (x, y) = (column, row) clicks
     * (B, k, 2), float32. The row is looked up rather than divided out, which stays exact for
     * images above 2²⁴ pixels where a float32 division would not.
     */
    static NDArray indicesToPoints(NDArray flatIndex, long height, long width, NDManager scope) {
        NDArray column = flatIndex.mod(width).toType(DataType.FLOAT32, false);
        NDArray rowOfPixel =
                scope.arange(0f, (float) height, 1f).reshape(height, 1).repeat(1, width).reshape(-1);
        NDArray row = rowOfPixel.take(scope, flatIndex);
        return NDArrays.stack(new NDList(column, row), 2);
    }

    /** Scratch manager on the masks' device, freed when the sampler returns. */
    static NDManager scopeFor(NDArray masks) {
        return masks.getManager().newSubManager(masks.getDevice());
    }

    /** Moves the returned arrays out of the scratch manager to the caller's. */
    static PromptBatch handOver(PromptBatch prompts, NDManager owner) {
        for (NDArray array : new NDArray[] {prompts.points(), prompts.labels(), prompts.boxes()}) {
            if (array != null) {
                array.attach(owner);
            }
        }
        return prompts;
    }

    static void requireAtLeastOne(int value, String name) {
        if (value < 1) {
            throw new MedsaException(name + " must be >= 1, got " + value);
        }
    }
}
