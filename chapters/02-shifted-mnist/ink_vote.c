/* ink_vote.c - a majority vote per bin of total ink (see ink_vote.h). */
#include "ink_vote.h"

#include <stdlib.h>
#include <string.h>

#include "data/mnist_variants.h"

static int by_value(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The bin of ink x: how many of the bins - 1 edges are <= x. */
static int bin_of(const long *edges, int bins, long x) {
    int lo = 0, hi = bins - 1; /* answer in [0, bins - 1] */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (edges[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double ink_vote_accuracy(const nn_images *train, const nn_images *test, int bins, nn_err *err) {
    if (bins < 1 || train->n < 1) {
        nn_fail(err, "ink vote: %d bins over %d training images", bins, train->n);
        return -1;
    }
    const int pixels = train->c * train->h * train->w, classes = train->classes;
    long *ink = malloc(sizeof *ink * (size_t)train->n),
         *sorted = malloc(sizeof *sorted * (size_t)train->n);
    long *edges = malloc(sizeof *edges * (size_t)bins);
    long *votes = calloc((size_t)bins * classes, sizeof *votes);
    int *winner = malloc(sizeof *winner * (size_t)bins);
    double accuracy = -1;
    if (!ink || !sorted || !edges || !votes || !winner) {
        nn_fail(err, "ink vote: out of memory for %d images", train->n);
        goto done;
    }
    for (int i = 0; i < train->n; i++)
        ink[i] = variant_mass(train->pixels + (size_t)i * pixels, pixels);
    memcpy(sorted, ink, sizeof *ink * (size_t)train->n);
    qsort(sorted, (size_t)train->n, sizeof *sorted, by_value);
    for (int b = 1; b < bins; b++)
        edges[b - 1] = sorted[(size_t)b * train->n / bins];
    for (int i = 0; i < train->n; i++)
        votes[(size_t)bin_of(edges, bins, ink[i]) * classes + train->labels[i]]++;
    for (int b = 0; b < bins; b++) {
        winner[b] = 0;
        for (int c = 1; c < classes; c++)
            if (votes[(size_t)b * classes + c] > votes[(size_t)b * classes + winner[b]])
                winner[b] = c;
    }
    long right = 0;
    for (int i = 0; i < test->n; i++) {
        long x = variant_mass(test->pixels + (size_t)i * pixels, pixels);
        right += winner[bin_of(edges, bins, x)] == test->labels[i];
    }
    accuracy = test->n ? (double)right / test->n : 0;
done:
    free(ink);
    free(sorted);
    free(edges);
    free(votes);
    free(winner);
    return accuracy;
}
