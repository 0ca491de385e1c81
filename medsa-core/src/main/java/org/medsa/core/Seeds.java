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

    /** The 32 bits DJL's engine generator takes, folded from all 64. */
    public static int fold(long seed) {
        return (int) (seed ^ (seed >>> 32));
    }

    /**
     * Seeds the engine's generator (adapter initialisation, the samplers that draw on the device)
     * from a 64-bit seed.
     */
    public static void seedEngine(long seed) {
        Engine.getInstance().setRandomSeed(fold(seed));
    }
}
