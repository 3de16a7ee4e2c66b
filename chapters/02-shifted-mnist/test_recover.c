/* test_recover.c - t1's permutation recovered from image pairs: exact on a known
 * permutation, ambiguous only among identical columns (and then still restoring the images
 * it saw), and refused when the images are not one fixed permutation of each other. The
 * permuted images are made with the library's own t1 transform (variant_permute). */
#include <criterion/criterion.h>
#include <string.h>

#include "data/mnist_variants.h"
#include "recover.h"

#define PIX 64 /* an 8 x 8 image */

/* n images of uniform noise. */
static void noise(nn_rng *rng, uint8_t *images, int n) {
    for (int k = 0; k < n * PIX; k++)
        images[k] = (uint8_t)rng_below(rng, 256);
}

static void permute_all(const uint8_t *src, uint8_t *dst, int n, const int *perm) {
    for (int i = 0; i < n; i++)
        variant_permute(dst + i * PIX, src + i * PIX, perm, PIX);
}

Test(recover, a_known_permutation_exactly_from_three_noisy_images) {
    nn_rng rng;
    rng_seed(&rng, 3);
    uint8_t clean[3 * PIX], permuted[3 * PIX];
    noise(&rng, clean, 3);
    int perm[PIX], got[PIX];
    variant_random_permutation(perm, PIX, &rng);
    permute_all(clean, permuted, 3, perm);
    nn_err err = {{0}};
    cr_assert_eq(recover_permutation(clean, permuted, 3, PIX, got, &err), 0, "%s", err.msg);
    for (int k = 0; k < PIX; k++)
        cr_expect_eq(got[k], perm[k], "position %d", k);
    cr_expect_eq(count_restored(clean, permuted, 3, PIX, got), 3);
}

/* Digits on a blank border: the 28 border positions of an 8 x 8 image are 0 in every image,
 * so their columns are identical and only the 36 inner ones can be told apart. */
Test(recover, blank_positions_are_ambiguous_but_the_images_are_restored) {
    nn_rng rng;
    rng_seed(&rng, 5);
    enum { N = 4 };
    uint8_t clean[N * PIX] = {0}, permuted[N * PIX];
    for (int i = 0; i < N; i++)
        for (int y = 1; y < 7; y++)
            for (int x = 1; x < 7; x++)
                clean[i * PIX + y * 8 + x] = (uint8_t)(1 + rng_below(&rng, 255));
    int perm[PIX], got[PIX];
    variant_random_permutation(perm, PIX, &rng);
    permute_all(clean, permuted, N, perm);
    nn_err err = {{0}};
    cr_assert_eq(recover_permutation(clean, permuted, N, PIX, got, &err), 28, "%s", err.msg);
    cr_expect(variant_is_permutation(got, PIX), "the recovered map is a bijection");
    int exact = 0;
    for (int k = 0; k < PIX; k++) {
        int y = perm[k] / 8, x = perm[k] % 8;
        int inner = y > 0 && y < 7 && x > 0 && x < 7;
        if (inner) cr_expect_eq(got[k], perm[k], "inner position %d", k);
        exact += got[k] == perm[k];
    }
    cr_expect(exact >= 36 && exact < PIX, "36 inner positions exact, not every border one: %d",
              exact);
    cr_expect_eq(count_restored(clean, permuted, N, PIX, got), N);
    /* An image with ink on the border is where an exchange of blank positions shows. */
    uint8_t inked[PIX] = {0}, inked_t1[PIX];
    for (int k = 0; k < PIX; k++)
        inked[k] = (uint8_t)(k + 1);
    variant_permute(inked_t1, inked, perm, PIX);
    cr_expect_eq(count_restored(inked, inked_t1, 1, PIX, got), 0);
}

Test(recover, one_image_of_few_grey_levels_still_restores_itself) {
    nn_rng rng;
    rng_seed(&rng, 9);
    uint8_t clean[PIX], permuted[PIX];
    for (int k = 0; k < PIX; k++)
        clean[k] = (uint8_t)(255 * rng_below(&rng, 2));
    int perm[PIX], got[PIX];
    variant_random_permutation(perm, PIX, &rng);
    variant_permute(permuted, clean, perm, PIX);
    nn_err err = {{0}};
    int shared = recover_permutation(clean, permuted, 1, PIX, got, &err);
    cr_expect_eq(shared, PIX, "two grey levels: every column is shared (%d)", shared);
    cr_expect_eq(count_restored(clean, permuted, 1, PIX, got), 1);
}

Test(recover, refuses_images_that_are_not_one_fixed_permutation) {
    nn_rng rng;
    rng_seed(&rng, 11);
    uint8_t clean[2 * PIX], permuted[2 * PIX];
    noise(&rng, clean, 2);
    int p0[PIX], p1[PIX], got[PIX];
    variant_random_permutation(p0, PIX, &rng);
    variant_random_permutation(p1, PIX, &rng);
    variant_permute(permuted, clean, p0, PIX); /* t2: a permutation per image */
    variant_permute(permuted + PIX, clean + PIX, p1, PIX);
    nn_err err = {{0}};
    cr_expect_eq(recover_permutation(clean, permuted, 2, PIX, got, &err), -1);
    cr_expect(strstr(err.msg, "not the clean ones under one fixed permutation"), "%s", err.msg);
    cr_expect_eq(recover_permutation(clean, permuted, 0, PIX, got, &err), -1);
}
