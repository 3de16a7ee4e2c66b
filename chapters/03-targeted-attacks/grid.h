/* grid.h - which attacked 2s the chapter's 10 x 3 grids show.
 *
 * The assignment asks for a 10 x 3 picture (original, perturbation, adversarial) of ten
 * successful 2 -> 6 attacks. The rows are the first ten attacked 2s, in the order of the
 * test file, that *every* pictured method (targeted FGSM and PGD at the chapter's eps, and
 * Carlini-Wagner) turned into a 6: so each grid shows ten successes, and the three grids show
 * the same ten images. This is a selection of easier 2s (FGSM fails on most); the success
 * rates over every 2 are the chapter's tables, not the pictures. */
#ifndef CH03_GRID_H
#define CH03_GRID_H

#include "base/nn_err.h"

#define GRID_ROWS 10
#define GRID_METHODS 3 /* FGSM and PGD at EPS_CHAPTER, Carlini-Wagner: the grids' order */

typedef struct ch_grid {
    int d;                    /* pixels per image */
    int rows;                 /* rows taken so far, <= GRID_ROWS */
    int sample[GRID_ROWS];    /* their test indices */
    float *x;                 /* GRID_ROWS originals */
    float *adv[GRID_METHODS]; /* GRID_ROWS adversarials per method */
} ch_grid;

int ch_grid_init(ch_grid *g, int d, nn_err *err);
void ch_grid_free(ch_grid *g);

/* Takes, in order, the samples of a batch of n that every method turned into the target
 * (success[m][k] nonzero for every m), until the grid is full: sample[k] is the test index,
 * x + k d the original, adv[m] + k d method m's adversarial. Returns how many it took. */
int ch_grid_take(ch_grid *g, int n, const int *sample, const float *x,
                 const float *const adv[GRID_METHODS], const int *const success[GRID_METHODS]);

#endif
