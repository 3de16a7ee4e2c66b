/* clipping.h - how much of a one-step FGSM perturbation the pixel range [0, 1] takes away.
 *
 * Targeted FGSM asks every pixel with a nonzero gradient to move by eps against the sign of
 * the target's loss gradient g. A pixel already at 0 that is asked to go darker (most of an
 * MNIST digit's black background) or one at 1 asked to go brighter cannot move, and one
 * closer than eps to the border moves only that far. Measured per image:
 *   lost_gain  the share of the step's first-order effect eps sum |g_i| (the fall of the
 *              target's loss that a linear model would predict) that clipping removes:
 *              sum |g_i| (eps - |delta_i|) / (eps sum |g_i|);
 *   lost_at0   the part of lost_gain lost at 0 (pixels asked to go below black);
 *   lost_l1    the share of the asked-for movement eps * #{g_i != 0} not made.
 * The sums keep the mean of each share over the images (an image with g = 0 everywhere asks
 * for nothing and is not counted). */
#ifndef CH03_CLIPPING_H
#define CH03_CLIPPING_H

typedef struct ch_clip_sums {
    double lost_gain, lost_at0, lost_l1; /* sums of the per-image shares */
    long images;
} ch_clip_sums;

/* n images of d pixels: originals x, the gradients g whose signs the step followed, and the
 * clipped adversarials adv (clip(x - eps sign g) for targeted FGSM). */
void ch_clip_accumulate(ch_clip_sums *s, const float *x, const float *g, const float *adv, int n,
                        int d, float eps);

/* The step without clipping, x - eps sign g: not an image (pixels leave [0, 1]), only the
 * control that says what the clipping cost. */
void ch_fgsm_unclipped(const float *x, const float *g, long count, float eps, float *out);

#endif
