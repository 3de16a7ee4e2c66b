/* test_augment.c - crop and flip: identities, values preserved as a shifted copy, the shift
 * range actually used, and reproducibility from the generator state. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "data/augment.h"
#include "gradcheck.h"

enum { N = 16, C = 3, H = 7, W = 5, SIZE = C * H * W };

static void fill(float *x, int n) {
    /* Distinct non-zero values, so a shifted copy is recognisable and zeros mean padding. */
    for (int i = 0; i < n * SIZE; i++) x[i] = 1.0f + (float)i;
}

Test(augment, flip_twice_is_identity_and_flip_reverses_rows) {
    float x[SIZE], y[SIZE];
    fill(x, 1);
    memcpy(y, x, sizeof x);
    augment_flip(y, C, H, W);
    for (int ch = 0; ch < C; ch++)
        for (int r = 0; r < H; r++)
            for (int q = 0; q < W; q++)
                cr_assert(y[(ch * H + r) * W + q] == x[(ch * H + r) * W + W - 1 - q]);
    augment_flip(y, C, H, W);
    cr_assert_arr_eq(x, y, sizeof x);
}

Test(augment, crop_with_pad_zero_is_identity) {
    float x[N * SIZE], y[N * SIZE];
    fill(x, N);
    memcpy(y, x, sizeof x);
    nn_rng rng, before;
    rng_seed(&rng, 1);
    before = rng;
    augment_random_crop(y, N, C, H, W, 0, &rng);
    cr_assert_arr_eq(x, y, sizeof x);
    cr_assert_arr_eq(&rng, &before, sizeof rng, "pad 0 draws nothing");
    augment_shift(y, C, H, W, 0, 0);
    cr_assert_arr_eq(x, y, sizeof x);
}

/* Reference shift into a separate array. */
static void shifted(float *out, const float *in, int dy, int dx) {
    for (int ch = 0; ch < C; ch++)
        for (int r = 0; r < H; r++)
            for (int q = 0; q < W; q++) {
                int sr = r + dy, sq = q + dx;
                out[(ch * H + r) * W + q] =
                    sr >= 0 && sr < H && sq >= 0 && sq < W ? in[(ch * H + sr) * W + sq] : 0.0f;
            }
}

Test(augment, in_place_shift_matches_a_copying_shift_in_every_direction) {
    float x[SIZE], y[SIZE], want[SIZE];
    fill(x, 1);
    for (int dy = -H; dy <= H; dy++)
        for (int dx = -W; dx <= W; dx++) {
            memcpy(y, x, sizeof x);
            augment_shift(y, C, H, W, dy, dx);
            shifted(want, x, dy, dx);
            cr_assert_arr_eq(y, want, sizeof y, "shift (%d, %d)", dy, dx);
        }
}

Test(augment, crop_is_a_shifted_copy_within_the_padding) {
    const int pad = 2;
    float x[N * SIZE], y[N * SIZE], want[SIZE];
    fill(x, N);
    memcpy(y, x, sizeof x);
    nn_rng rng;
    rng_seed(&rng, 2);
    augment_random_crop(y, N, C, H, W, pad, &rng);
    int seen[5][5] = {{0}};
    for (int i = 0; i < N; i++) {
        /* Exactly one shift within [-pad, pad]^2 explains sample i. */
        int found = 0;
        for (int dy = -pad; dy <= pad; dy++)
            for (int dx = -pad; dx <= pad; dx++) {
                shifted(want, x + i * SIZE, dy, dx);
                if (memcmp(want, y + i * SIZE, sizeof want) == 0) found++, seen[dy + pad][dx + pad]++;
            }
        cr_assert_eq(found, 1, "sample %d is not a shifted copy", i);
    }
    /* The shifts vary (16 samples over 25 shifts: all equal would be a broken draw). */
    int distinct = 0;
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) distinct += seen[a][b] > 0;
    cr_assert(distinct >= 5, "only %d distinct shifts", distinct);
}

Test(augment, random_flip_flips_about_half_and_reproduces) {
    enum { M = 400 };
    float *x = malloc(sizeof(float) * M * SIZE), *y = malloc(sizeof(float) * M * SIZE);
    float *z = malloc(sizeof(float) * M * SIZE);
    fill(x, M);
    memcpy(y, x, sizeof(float) * M * SIZE);
    memcpy(z, x, sizeof(float) * M * SIZE);
    nn_rng a, b;
    rng_seed(&a, 3), rng_seed(&b, 3);
    augment_random_flip(y, M, C, H, W, &a);
    augment_random_flip(z, M, C, H, W, &b);
    cr_assert_arr_eq(y, z, sizeof(float) * M * SIZE, "same generator state, same result");
    int flipped = 0;
    for (int i = 0; i < M; i++) {
        int same = memcmp(x + i * SIZE, y + i * SIZE, sizeof(float) * SIZE) == 0;
        if (!same) {
            augment_flip(y + i * SIZE, C, H, W);
            cr_assert_arr_eq(x + i * SIZE, y + i * SIZE, sizeof(float) * SIZE);
            flipped++;
        }
    }
    /* Binomial(400, 1/2): mean 200, std 10; 150..250 is 5 standard deviations. */
    cr_assert(flipped > 150 && flipped < 250, "flipped %d of %d", flipped, M);
    free(x), free(y), free(z);
}

Test(augment, same_rng_same_crop_different_rng_different_crop) {
    float x[N * SIZE], y[N * SIZE], z[N * SIZE];
    fill(x, N);
    memcpy(y, x, sizeof x);
    memcpy(z, x, sizeof x);
    nn_rng a, b;
    rng_seed(&a, 4), rng_seed(&b, 4);
    augment_random_crop(y, N, C, H, W, 3, &a);
    augment_random_crop(z, N, C, H, W, 3, &b);
    cr_assert_arr_eq(y, z, sizeof y);
    rng_seed(&b, 5);
    memcpy(z, x, sizeof x);
    augment_random_crop(z, N, C, H, W, 3, &b);
    cr_assert(memcmp(y, z, sizeof y) != 0);
}
