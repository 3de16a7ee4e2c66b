/* weight_norms.h - how much a weight matrix can stretch a vector, and how much it
 * typically does.
 *
 * The chapter's bound on back-propagation multiplies, per layer, the activation's largest
 * slope by the weight matrix's spectral norm ||W||_2 (its largest singular value: the most
 * it can stretch any vector). A random vector is stretched far less: on average by the
 * root mean square singular value, ||W||_F / sqrt(cols) for a rows x cols matrix whose
 * entries have the same variance (E ||W v||^2 = ||W||_F^2 / cols for a random unit v).
 * For a 32 x 32 Glorot matrix the first is about 2, the second about 1. */
#ifndef CH01_WEIGHT_NORMS_H
#define CH01_WEIGHT_NORMS_H

/* The largest singular value of the rows x cols row-major matrix w, by power iteration on
 * w^T w (in double, from a fixed start, so the same matrix gives the same number). */
double spectral_norm(const float *w, int rows, int cols);

/* ||w||_F / sqrt(cols): how much w stretches a random unit vector, in root mean square. */
double rms_gain(const float *w, int rows, int cols);

#endif
