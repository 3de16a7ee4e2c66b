/* aquarium.h - a synthetic aquarium: grey images of N "fish" on a noisy background, N known.
 *
 * Chapter 07 asks whether counting fish is better learnt end to end (image -> count) or
 * through a detector (image -> where the fish are -> count). Real aquarium footage with
 * counts is not at hand, so this module draws it, with the two kinds of labels the two
 * approaches need: the count of every image (its label) and where every fish is.
 *
 *     nn_aquarium_config cfg = aquarium_defaults();
 *     nn_aquarium aq;
 *     if (aquarium_generate(&cfg, 1000, &rng, &aq, &err)) ...
 *     aq.images: 1000 images of 1 x 32 x 32 bytes, aq.images.labels[i] = fish in image i
 *     aq.fish[aq.first[i] .. aq.first[i + 1]): image i's fish (centre, shape, contrast)
 *     aquarium_patches(&aq, 0, 1000, 4, 4, &patches, &err): per-location training data
 *     aquarium_free(&aq);
 *
 * An image: a background level drawn per image, a linear lighting gradient across it,
 * N ~ uniform{0 .. max_fish} fish, each an elongated Gaussian blob (standard deviation
 * `length` along a random body direction, `width` across) added with a random contrast,
 * then Gaussian pixel noise; values are clamped to [0, 1] and stored as bytes (round(255 v)),
 * like the other image sets. Pixel (r, c) covers [r, r+1) x [c, c+1); its value is taken
 * at its centre (r + 0.5, c + 0.5). Fish centres lie at least `margin` pixels inside the
 * image and at least `min_distance` from each other (rejection sampling, restarting the
 * image when a fish does not fit), so fish do not occlude each other, as the question
 * assumes.
 *
 * Every draw comes from the caller's generator, in a fixed order per image: the same seed
 * gives the same images, bit for bit. */
#ifndef NN_AQUARIUM_H
#define NN_AQUARIUM_H

#include <stdint.h>

#include "base/nn_err.h"
#include "base/rng.h"
#include "data/images.h"

typedef struct nn_aquarium_config {
    int size;                           /* image side in pixels (square images), >= 8 */
    int max_fish;                       /* counts are uniform in 0 .. max_fish (<= 254) */
    float min_distance;                 /* between fish centres, pixels (> 0) */
    float margin;                       /* centres at least this far from every border */
    float length_lo, length_hi;         /* standard deviation along the body, pixels */
    float width_ratio;                  /* across the body: width = width_ratio * length */
    float contrast_lo, contrast_hi;     /* brightness a fish adds at its centre */
    float background_lo, background_hi; /* per-image background level */
    float gradient;                     /* lighting: +-gradient change across the image, per axis */
    float noise;                        /* standard deviation of the pixel noise */
} nn_aquarium_config;

/* 32 x 32 images, 0 to 9 fish 6 px apart, 2 px from the border, bodies of 1.4 to 2.0 px
 * (standard deviation) at half that width, contrast 0.35 to 0.6 on a background of 0.15 to
 * 0.35 with a lighting gradient of +-0.1 and noise of 0.05. */
nn_aquarium_config aquarium_defaults(void);

/* Checks a configuration: sizes positive, ranges ordered, the margin leaving room. */
int aquarium_config_check(const nn_aquarium_config *cfg, nn_err *err);

typedef struct nn_fish {
    float y, x;          /* centre, pixels from the top-left corner */
    float angle;         /* body direction, radians in [0, pi) */
    float length, width; /* standard deviations along and across the body */
    float contrast;
} nn_fish;

typedef struct nn_aquarium {
    nn_aquarium_config cfg;
    nn_images images; /* n images 1 x size x size; labels: the fish count (classes max_fish+1) */
    nn_fish *fish;    /* every image's fish, image by image */
    int *first;       /* n + 1 offsets: image i's fish are fish[first[i] .. first[i + 1]) */
} nn_aquarium;

/* Draws n >= 1 images. Fails on a bad configuration, when max_fish fish cannot be placed
 * min_distance apart (after many restarts), or without memory. */
int aquarium_generate(const nn_aquarium_config *cfg, int n, nn_rng *rng, nn_aquarium *out,
                      nn_err *err);
/* Frees and zeroes; safe on a zeroed or freed aquarium. */
void aquarium_free(nn_aquarium *aq);

/* Side of the grid of cell x cell cells over an image (size / cell, rounded down: the last
 * partial row and column of pixels belong to no cell). */
int aquarium_grid(const nn_aquarium *aq, int cell);

/* The per-location labels of image i: for each cell of the grid (row-major), the number of
 * fish whose centre lies in it (0 or 1 when min_distance > cell * sqrt(2)). */
void aquarium_cell_counts(const nn_aquarium *aq, int i, int cell, uint8_t *out);

/* Training data for a detector: for images first .. first+count-1, every cell's patch of
 * side cell + 2 * context pixels centred on the cell (pixels outside the image are 0), image
 * by image and cell by cell (row-major), labelled 1 if a fish centre lies in the cell, else
 * 0 (classes 2). Needs min_distance > cell * sqrt(2), so that no cell holds two fish and
 * counting cells counts fish. */
int aquarium_patches(const nn_aquarium *aq, int first, int count, int cell, int context,
                     nn_images *out, nn_err *err);

#endif
