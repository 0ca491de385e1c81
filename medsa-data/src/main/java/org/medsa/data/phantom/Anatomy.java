package org.medsa.data.phantom;

import java.util.Random;

/**
 * The organ shapes of one phantom case. Positions and sizes are drawn in normalised coordinates
 * (each axis of the field of view maps to [-1, 1]; x to the patient's right, y anterior, z
 * superior) and evaluated in world millimetres, so soft edges have the same width in mm on every
 * axis.
 */
final class Anatomy {

    private final double edgeMm;
    private final Shape body;
    private final Shape liver;
    private final Shape spleen;
    private final Shape kidneyRight;
    private final Shape kidneyLeft;
    private final Shape spine;

    /**
     * @param halfFov half the field of view per world axis, in mm (normalised 1 = this many mm)
     * @param edgeMm width of the soft edges (the sigmoid's scale), in mm
     */
    Anatomy(Random r, double[] halfFov, double edgeMm) {
        this.edgeMm = edgeMm;
        // draw order is part of the phantom's definition: do not reorder
        body = new Shape(r, halfFov, 0.0, 0.0, 0.0, 0.86, 0.70, 0, 0.03, 0.03, 0.05, 0.15);
        liver = new Shape(r, halfFov, 0.36, 0.12, 0.25, 0.36, 0.36, 0.45, 0.05, 0.10, 0.10, 0.35);
        spleen = new Shape(r, halfFov, -0.46, -0.18, 0.30, 0.15, 0.20, 0.30, 0.04, 0.12, 0.10, 0.35);
        kidneyRight = new Shape(r, halfFov, 0.32, -0.40, -0.20, 0.12, 0.13, 0.32, 0.03, 0.10, 0.08, 0.30);
        kidneyLeft = new Shape(r, halfFov, -0.32, -0.40, -0.15, 0.12, 0.13, 0.32, 0.03, 0.10, 0.08, 0.30);
        spine = new Shape(r, halfFov, 0.0, -0.52, 0.0, 0.10, 0.10, 0, 0.02, 0.08, 0.05, 0.10);
    }

    /** Fills {@code alpha[t.ordinal()]}: the share (0..1) of the voxel at world (x, y, z) mm covered by each tissue. */
    void shares(double x, double y, double z, double[] alpha) {
        double b = body.share(x, y, z, edgeMm);
        alpha[Tissue.AIR.ordinal()] = 1 - b;
        alpha[Tissue.BODY.ordinal()] = b;
        alpha[Tissue.LIVER.ordinal()] = b * liver.share(x, y, z, edgeMm);
        alpha[Tissue.SPLEEN.ordinal()] = b * spleen.share(x, y, z, edgeMm);
        alpha[Tissue.KIDNEY.ordinal()] = b * Math.max(kidneyRight.share(x, y, z, edgeMm), kidneyLeft.share(x, y, z, edgeMm));
        alpha[Tissue.SPINE.ordinal()] = b * spine.share(x, y, z, edgeMm);
    }

    /** A rotated ellipsoid with a wobbly in-plane outline; rz = 0 makes an elliptic cylinder along z. */
    private static final class Shape {
        final double cx, cy, cz, rx, ry, rz, cos, sin, wobble, phaseCos, phaseSin;
        final int lobes;
        final double maxRadius;

        Shape(Random r, double[] half, double cx, double cy, double cz, double rx, double ry, double rz,
                double jitter, double sizeJitter, double wobbleMax, double maxAngle) {
            this.cx = half[0] * (cx + jitter * (2 * r.nextDouble() - 1));
            this.cy = half[1] * (cy + jitter * (2 * r.nextDouble() - 1));
            this.cz = half[2] * (cz + jitter * (2 * r.nextDouble() - 1));
            double scale = 1 + sizeJitter * (2 * r.nextDouble() - 1);
            this.rx = half[0] * rx * scale * (1 + 0.5 * sizeJitter * (2 * r.nextDouble() - 1));
            this.ry = half[1] * ry * scale * (1 + 0.5 * sizeJitter * (2 * r.nextDouble() - 1));
            this.rz = half[2] * rz * scale;
            double angle = maxAngle * (2 * r.nextDouble() - 1);
            this.cos = Math.cos(angle);
            this.sin = Math.sin(angle);
            this.wobble = wobbleMax * r.nextDouble();
            double phase = 2 * Math.PI * r.nextDouble();
            this.phaseCos = Math.cos(phase);
            this.phaseSin = Math.sin(phase);
            this.lobes = 2 + r.nextInt(3);
            this.maxRadius = Math.max(this.rx, Math.max(this.ry, this.rz));
        }

        /** 1 inside, 0 outside, a sigmoid of the (approximate) signed distance in between. */
        double share(double x, double y, double z, double edge) {
            // outside the bounding sphere (plus the sigmoid's tail) the share is 0
            double reach = maxRadius * (1 + wobble) + 30 * edge;
            double dz0 = rz == 0 ? 0 : z - cz;
            double dx = x - cx, dy = y - cy;
            if (dx * dx + dy * dy + dz0 * dz0 > reach * reach) {
                return 0;
            }
            double qx = (cos * dx + sin * dy) / rx;
            double qy = (-sin * dx + cos * dy) / ry;
            double qz = rz == 0 ? 0 : (z - cz) / rz;
            double rho2 = qx * qx + qy * qy;
            // in-plane wobble w = 1 + a sin(lobes * theta + phase), with cos/sin(lobes * theta)
            // from the complex power (qx + i qy)^lobes (no atan2)
            double re = 1, im = 0;
            double rho = Math.sqrt(rho2);
            if (rho > 1e-12) {
                double ux = qx / rho, uy = qy / rho;
                for (int l = 0; l < lobes; l++) {
                    double t = re * ux - im * uy;
                    im = re * uy + im * ux;
                    re = t;
                }
            }
            double w = 1 + wobble * (im * phaseCos + re * phaseSin);
            double g = rho2 / (w * w) + qz * qz; // < 1 inside
            // first-order distance to the surface g = 1: (g - 1) / |grad g|, in mm
            double gx = qx / (rx * w * w), gy = qy / (ry * w * w), gz = rz == 0 ? 0 : qz / rz;
            double grad = 2 * Math.sqrt(gx * gx + gy * gy + gz * gz);
            if (grad < 1e-12) {
                return g < 1 ? 1 : 0;
            }
            double t = (g - 1) / grad / edge;
            if (t > 30) {
                return 0;
            }
            if (t < -30) {
                return 1;
            }
            return 1 / (1 + Math.exp(t));
        }
    }
}
