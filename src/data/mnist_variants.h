/* mnist_variants.h - changed test sets: pixel permutations, inversion, translation, and the
 * canonical forms (sorted intensities, centre-of-mass centring) that undo some of them.
 *
 * Chapter 02 asks what a network trained on MNIST does when the test images change. The
 * four changes ("variants") are defined here, on 8-bit images, so that the chapter's program
 * and the tests share one definition:
 *
 *   t1  one fixed permutation of the pixel positions, the same for every image
 *   t2  an independent random permutation for every image
 *   t3  inverted intensities, x -> 255 - x (on [0, 1]: x -> 1 - x); an involution
 *   t4  a translation by a random (dy, dx), each in [-max_shift, max_shift], zero fill
 *
 * and two parameter-free input stages a model may put in front of its first layer:
 *
 *   sort      the pixels in decreasing order: what is left of an image once the positions are
 *             scrambled (the multiset of intensities, i.e. its full-resolution histogram)
 *   recentre  translates the image so that its centre of mass lands as near as an integer
 *             shift allows to a target point (how MNIST itself was centred)
 *
 * Conventions: an image is h*w bytes, row-major; a permutation `perm` of n positions means
 *     dst[k] = src[perm[k]]
 * (output position k takes input position perm[k]). A shift (dy, dx) moves content down by
 * dy rows and right by dx columns: dst[y][x] = src[y - dy][x - dx], 0 where that is outside.
 * All randomness comes from the nn_rng passed in, drawn in image order, so a seed fixes every
 * variant. Per-image kernels neither allocate nor fail; set-level functions allocate the
 * result (free with images_free) and copy the labels. */
#ifndef NN_MNIST_VARIANTS_H
#define NN_MNIST_VARIANTS_H

#include <stdint.h>

#include "data/images.h"
#include "base/nn_err.h"
#include "base/rng.h"

typedef enum nn_variant {
    VARIANT_CLEAN,
    VARIANT_T1, /* fixed permutation */
    VARIANT_T2, /* per-image permutation */
    VARIANT_T3, /* inversion */
    VARIANT_T4, /* random translation */
    VARIANT_COUNT
} nn_variant;

/* "clean", "t1", "t2", "t3", "t4"; "?" otherwise. */
const char *variant_name(int variant);

/* ---- per image ---------------------------------------------------------------------------- */

/* perm becomes a uniformly random permutation of 0 .. n-1 (Fisher-Yates from rng). */
void variant_random_permutation(int *perm, int n, nn_rng *rng);
/* 1 if perm holds each of 0 .. n-1 exactly once, else 0. */
int variant_is_permutation(const int *perm, int n);
/* dst[k] = src[perm[k]] for k < n. dst and src must not overlap. */
void variant_permute(uint8_t *dst, const uint8_t *src, const int *perm, int n);
/* dst[k] = 255 - src[k]; dst may equal src. */
void variant_invert(uint8_t *dst, const uint8_t *src, int n);
/* dst = src moved by (dy, dx) with zero fill (see above). Any shift is allowed (a shift of
 * the whole size or more gives a blank image). dst and src must not overlap. */
void variant_shift(uint8_t *dst, const uint8_t *src, int h, int w, int dy, int dx);
/* A random shift: dy and dx uniform in [-max_shift, max_shift], dy drawn first. */
void variant_random_shift(nn_rng *rng, int max_shift, int *dy, int *dx);
/* dst = the n values of src in decreasing order (a counting sort: O(n + 256)). dst may
 * equal src. */
void variant_sort(uint8_t *dst, const uint8_t *src, int n);
/* Centre of mass (row, column) of the intensities; returns 0, or -1 for a blank image (and
 * then leaves *cy, *cx at the image centre). */
int variant_centre_of_mass(const uint8_t *src, int h, int w, double *cy, double *cx);
/* The integer shift that brings the centre of mass nearest to (ty, tx): dy = round(ty - cy),
 * likewise dx; (0, 0) for a blank image. */
void variant_recentre_shift(const uint8_t *src, int h, int w, double ty, double tx, int *dy,
                            int *dx);
/* dst = src shifted by variant_recentre_shift. dst and src must not overlap. */
void variant_recentre(uint8_t *dst, const uint8_t *src, int h, int w, double ty, double tx);
/* Sum of the intensities (the "ink"). */
long variant_mass(const uint8_t *src, int n);

/* ---- whole sets ---------------------------------------------------------------------------- */
/* Each makes dst (allocated here; images_free it) from src, one image at a time. Single
 * channel sets only (c == 1): the variants are defined on grey-level images. */

/* t1: every image permuted by the same perm (h*w entries; checked to be a permutation). */
int variants_permute_fixed(const nn_images *src, const int *perm, nn_images *dst, nn_err *err);
/* t2: every image permuted by a fresh random permutation drawn from rng. If perms is not
 * NULL it receives them (n * h*w ints, image i's at perms + i*h*w). */
int variants_permute_each(const nn_images *src, nn_rng *rng, nn_images *dst, int *perms,
                          nn_err *err);
/* t3: every image inverted. */
int variants_invert(const nn_images *src, nn_images *dst, nn_err *err);
/* t4: every image shifted by a fresh random shift in [-max_shift, max_shift]^2 drawn from
 * rng. If shifts is not NULL it receives them (2n ints: dy, dx of image i at 2i, 2i+1). */
int variants_shift(const nn_images *src, int max_shift, nn_rng *rng, nn_images *dst, int *shifts,
                   nn_err *err);
/* The input stages, over a set. */
int variants_sort(const nn_images *src, nn_images *dst, nn_err *err);
int variants_recentre(const nn_images *src, double ty, double tx, nn_images *dst, nn_err *err);
/* Mean centre of mass over the non-blank images of a set (the target for recentring). */
int variants_mean_centre(const nn_images *src, double *ty, double *tx, nn_err *err);

/* ---- .npy exchange ------------------------------------------------------------------------- */

/* Writes a single-channel set as images_path (uint8, shape n x h x w, values 0..255) and
 * labels_path (uint8, shape n). */
int variants_write_npy(const nn_images *set, const char *images_path, const char *labels_path,
                       nn_err *err);
/* Reads an (images, labels) pair written by variants_write_npy or by NumPy, as a NumPy user
 * hands it over: images of shape n x h x w or n x (h*w), either uint8 (0..255) or
 * float32/float64 in [0, 1] (converted to the nearest of the 256 grey levels); labels of
 * shape n, uint8, int32 or int64 (NumPy's default integer), each in 0..classes-1. Anything
 * else -- another dtype (int64 images included: their scale is ambiguous), a value out of
 * range or NaN, a shape or count that does not match -- fails with a one-line message naming
 * the file and the dtype or the problem; nothing is ever reinterpreted. */
int variants_read_npy(const char *images_path, const char *labels_path, int h, int w, int classes,
                      nn_images *out, nn_err *err);

#endif
