package org.medsa.core;

import ai.djl.engine.Engine;

/**
 * Every derived random seed of the library: a run is reproducible because each sample, step,
 * prompt round and phantom case draws from a seed mixed from (seed, index, ...) here, never from
 * shared generator state. The mixes are splitmix64's finaliser over a weighted sum of the parts;
 * their constants are fixed forever, since recorded runs, the shipped demo model and the phantom
 * datasets depend on them.
 */
public final class Seeds {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long SECOND = 0xC2B2AE3D27D4EB4FL;
    private static final long THIRD = 0x165667B19E3779F9L;
    private static final long PAIR_OFFSET = 0x632BE59BD9B4E019L;

    private Seeds() {}

    /** Splitmix64's finaliser: every input bit affects every output bit. */
    public static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A seed for item {@code b} of the stream seeded {@code a} (training steps, samples, prompt rounds). */
    public static long mix(long a, long b) {
        return finalise(a * GOLDEN + b + PAIR_OFFSET);
    }

    /**
     * A seed from three parts and a salt that tells the users of the same parts apart (dataset
     * augmentation: seed, epoch, index, salt 0; phantom cases: seed, case, stream, {@link
     * #PHANTOM_SALT}).
     */
    public static long mix(long a, long b, long c, long salt) {
        return finalise(a * GOLDEN + b * SECOND + c * THIRD + salt);
    }

    /** The salt of phantom generation's seeds. */
    public static final long PHANTOM_SALT = 0x27D4EB2F165667C5L;

    /** The seed of training step {@code step} of a run seeded {@code seed}. */
    public static long step(long seed, int step) {
        return seed * 1_000_003L + (long) step * 1_009;
    }

    /** The seed of the data order of {@code epoch} (-1: the validation subset's choice). */
    public static long epochOrder(long seed, int epoch) {
        return seed * 31 + epoch * 1_000_033L + 7;
    }

    /** The seed of the prompts of one image: a volume's slice, or a 2D image with slice 0. */
    public static long image(long seed, String id, int slice) {
        return seed * 1_000_003L + id.hashCode() * 31L + slice;
    }

    /** The stream of validation samples of a run seeded {@code seed} (item: the sample's index). */
    public static long validation(long seed) {
        return seed * 7919 + 13;
    }

    /** The 32 bits DJL's engine generator takes, folded from all 64. */
    public static int fold(long seed) {
        return (int) (seed ^ (seed >>> 32));
    }

    /**
     * Seeds the engine's generator (the samplers that draw on the device) from a derived 64-bit
     * seed.
     */
    public static void seedEngine(long seed) {
        Engine.getInstance().setRandomSeed(fold(seed));
    }

    /**
     * Seeds the engine's generator with a run's own seed (the adapters' or a model's initial
     * weights): its low 32 bits, as every run has been seeded.
     */
    public static void seedEngineForRun(long runSeed) {
        Engine.getInstance().setRandomSeed((int) runSeed);
    }
}
