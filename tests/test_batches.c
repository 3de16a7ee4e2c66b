/* test_batches.c - mini-batches cover every sample once per epoch, in file or shuffled
 * order, with floats scaled to [0, 1] and labels following their images. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "data/batches.h"

/* 10 images of 1x2x2 whose pixels encode their index (i*4 + k) and label i % 3. */
static nn_images make_set(void) {
    nn_images im = {.n = 10, .c = 1, .h = 2, .w = 2, .classes = 3};
    im.pixels = malloc(40);
    im.labels = malloc(10);
    for (int i = 0; i < 10; i++) {
        for (int k = 0; k < 4; k++) im.pixels[i * 4 + k] = (uint8_t)(i * 4 + k);
        im.labels[i] = (uint8_t)(i % 3);
    }
    return im;
}

Test(batches, file_order_with_a_short_last_batch) {
    nn_images im = make_set();
    nn_batches b;
    nn_err err;
    cr_assert_eq(batches_init(&b, &im, 4, &err), 0, "%s", err.msg);
    cr_assert_eq(batches_per_epoch(&b), 3);
    int sizes[3], n, k = 0;
    while ((n = batches_next(&b)) > 0) {
        for (int j = 0; j < n; j++) {
            int i = k * 4 + j;
            cr_assert_float_eq(b.x[j * 4 + 1], (float)(i * 4 + 1) / 255.0f, 1e-7);
            cr_assert_eq(b.y[j], i % 3);
        }
        sizes[k++] = n;
    }
    cr_assert_eq(k, 3);
    cr_assert_eq(sizes[0], 4);
    cr_assert_eq(sizes[2], 2, "no sample is dropped");
    batches_rewind(&b);
    cr_assert_eq(batches_next(&b), 4, "rewind starts a new epoch");
    batches_free(&b);
    images_free(&im);
}

static void epoch_order(nn_batches *b, uint64_t seed, int *order) {
    nn_rng r;
    rng_seed(&r, seed);
    batches_shuffle(b, &r);
    int n, k = 0;
    while ((n = batches_next(b)) > 0)
        for (int j = 0; j < n; j++) order[k++] = (int)(b->x[j * 4] * 255.0f + 0.5f) / 4;
    cr_assert_eq(k, 10);
}

Test(batches, shuffled_epochs_are_permutations_reproduced_by_the_seed) {
    nn_images im = make_set();
    nn_batches b;
    cr_assert_eq(batches_init(&b, &im, 3, NULL), 0);
    int a[10], a2[10], c[10], seen[10] = {0};
    epoch_order(&b, 1, a);
    epoch_order(&b, 1, a2);
    epoch_order(&b, 2, c);
    for (int i = 0; i < 10; i++) seen[a[i]]++;
    for (int i = 0; i < 10; i++) cr_assert_eq(seen[i], 1, "image %d seen %d times", i, seen[i]);
    cr_assert_eq(memcmp(a, a2, sizeof a), 0, "same seed, same order");
    cr_assert_neq(memcmp(a, c, sizeof a), 0, "another seed, another order");
    batches_free(&b);
    images_free(&im);
}

Test(batches, bad_sizes_are_refused) {
    nn_images im = make_set();
    nn_batches b;
    nn_err err = {{0}};
    cr_assert_eq(batches_init(&b, &im, 0, &err), -1);
    cr_assert(strstr(err.msg, "batch size") != NULL, "%s", err.msg);
    nn_images empty = {.c = 1, .h = 2, .w = 2};
    cr_assert_eq(batches_init(&b, &empty, 4, &err), -1);
    images_free(&im);
}
