/* test_ink_vote.c - the majority vote per bin of total ink: perfect where the label is a
 * function of the ink, the majority class with one bin, blind to a pixel permutation, and
 * refusing a bad bin count. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "data/mnist_variants.h"
#include "ink_vote.h"

#define SIDE8 8
#define PIX (SIDE8 * SIDE8)

/* n images; image i has label labels[i] and 4 * label + 1 + (i % 3) white pixels, so the
 * ink grows with the label and images of one label differ a little. */
static nn_images make_set(const uint8_t *labels, int n) {
    nn_images s = {.n = n, .c = 1, .h = SIDE8, .w = SIDE8, .classes = 10};
    s.pixels = calloc((size_t)n * PIX, 1);
    s.labels = malloc((size_t)n);
    for (int i = 0; i < n; i++) {
        s.labels[i] = labels[i];
        int white = 4 * labels[i] + 1 + i % 3;
        for (int k = 0; k < white; k++)
            s.pixels[(size_t)i * PIX + k] = 255;
    }
    return s;
}

static void free_set(nn_images *s) {
    free(s->pixels);
    free(s->labels);
}

Test(ink_vote, perfect_where_the_ink_decides_the_label) {
    uint8_t labels[200];
    for (int i = 0; i < 200; i++)
        labels[i] = (uint8_t)(i / 20); /* 20 of each, in order of ink */
    nn_images train = make_set(labels, 200), test = make_set(labels, 200);
    nn_err err = {{0}};
    cr_expect_float_eq(ink_vote_accuracy(&train, &test, 10, &err), 1.0, 1e-12, "%s", err.msg);
    free_set(&train);
    free_set(&test);
}

Test(ink_vote, one_bin_votes_for_the_majority_class) {
    uint8_t train_labels[10] = {3, 3, 3, 3, 1, 2, 5, 7, 0, 9};
    uint8_t test_labels[8] = {3, 1, 3, 2, 0, 0, 0, 0};
    nn_images train = make_set(train_labels, 10), test = make_set(test_labels, 8);
    nn_err err = {{0}};
    cr_expect_float_eq(ink_vote_accuracy(&train, &test, 1, &err), 2.0 / 8, 1e-12);
    free_set(&train);
    free_set(&test);
}

Test(ink_vote, blind_to_a_permutation_of_the_test_pixels) {
    uint8_t labels[60];
    for (int i = 0; i < 60; i++)
        labels[i] = (uint8_t)((i * 7) % 10);
    nn_images train = make_set(labels, 60), test = make_set(labels, 60);
    nn_err err = {{0}};
    double before = ink_vote_accuracy(&train, &test, 6, &err);
    nn_rng rng;
    rng_seed(&rng, 4);
    uint8_t moved[PIX];
    for (int i = 0; i < test.n; i++) {
        int perm[PIX];
        variant_random_permutation(perm, PIX, &rng);
        variant_permute(moved, test.pixels + (size_t)i * PIX, perm, PIX);
        memcpy(test.pixels + (size_t)i * PIX, moved, PIX);
    }
    cr_expect_float_eq(ink_vote_accuracy(&train, &test, 6, &err), before, 1e-12);
    free_set(&train);
    free_set(&test);
}

Test(ink_vote, refuses_no_bins) {
    uint8_t labels[4] = {1, 2, 3, 4};
    nn_images train = make_set(labels, 4);
    nn_err err = {{0}};
    cr_expect_eq(ink_vote_accuracy(&train, &train, 0, &err), -1);
    cr_expect(strstr(err.msg, "0 bins"), "%s", err.msg);
    free_set(&train);
}
