/* recover.h - t1's pixel permutation recovered from the test files alone.
 *
 * The fixes of t1 that work best (the first layer's columns permuted; retraining on
 * permuted training images) need the permutation itself, which a user who was handed only
 * the changed test files does not have. But t1 holds the test digits of MNIST, whose clean
 * versions are public: image i of t1 is clean image i with its pixels moved, the same way
 * for every image. Read down the images, one pixel position is a column of n values; the
 * column at t1's position k is the column at clean position perm[k]. Matching the columns
 * of the two files therefore gives the permutation back, exactly where a column is unique,
 * and up to an exchange of positions that are identical in all n images (in practice:
 * pixels that are 0 in every one of them) elsewhere. Such an exchange changes nothing for
 * those n images, and for other images only where one of those pixels carries ink. */
#ifndef CH02_RECOVER_H
#define CH02_RECOVER_H

#include <stdint.h>

#include "base/nn_err.h"

/* From n image pairs (clean[i] and permuted[i], `pixels` bytes each, image after image),
 * finds perm with permuted[i][k] = clean[i][perm[k]] for every i and k: the columns of both
 * sets are sorted and matched in order, so identical columns are matched in position order.
 * Returns the number of positions whose column is shared with another position (where the
 * match is one of several equally good ones), or -1 with err set when no such perm exists
 * (the permuted images are not the clean ones under one fixed permutation), n < 1, or
 * memory runs out. */
int recover_permutation(const uint8_t *clean, const uint8_t *permuted, int n, int pixels, int *perm,
                        nn_err *err);

/* How many of the n pairs perm maps exactly: permuted[i][k] == clean[i][perm[k]] for all k. */
int count_restored(const uint8_t *clean, const uint8_t *permuted, int n, int pixels,
                   const int *perm);

#endif
