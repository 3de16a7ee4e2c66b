/* test_mnist_variants.c - the chapter 02 test-set variants: t1 is one bijection shared by
 * every image, t2 a bijection per image, t3 an involution, t4 a translation that keeps the
 * pixel mass while the digit stays inside; the sort and recentre stages; determinism by
 * seed; and the .npy exchange (shapes, dtypes, every rejected input). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/mnist_variants.h"
#include "data/npy.h"
#include "test_files.h"

#define S 28
#define P (S * S)

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(variants, .init = setup, .fini = teardown);

/* n random 28x28 images (any byte values), labels i % 10. */
static nn_images random_set(int n, uint64_t seed) {
    nn_images im = {.n = n, .c = 1, .h = S, .w = S, .classes = 10};
    im.pixels = malloc((size_t)n * P);
    im.labels = malloc((size_t)n);
    nn_rng r;
    rng_seed(&r, seed);
    for (size_t k = 0; k < (size_t)n * P; k++) im.pixels[k] = (uint8_t)rng_below(&r, 256);
    for (int i = 0; i < n; i++) im.labels[i] = (uint8_t)(i % 10);
    return im;
}

/* n images whose ink lies strictly inside the border of width `margin` (a "digit"). */
static nn_images inside_set(int n, int margin, uint64_t seed) {
    nn_images im = random_set(n, seed);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                if (y < margin || y >= S - margin || x < margin || x >= S - margin)
                    im.pixels[(size_t)i * P + y * S + x] = 0;
    return im;
}

static void assert_labels_copied(const nn_images *a, const nn_images *b) {
    cr_assert_eq(a->n, b->n);
    cr_assert_eq(b->c, 1);
    cr_assert_eq(b->h, S);
    cr_assert_eq(b->w, S);
    cr_assert_eq(memcmp(a->labels, b->labels, (size_t)a->n), 0);
}

Test(variants, names) {
    cr_assert_str_eq(variant_name(VARIANT_CLEAN), "clean");
    cr_assert_str_eq(variant_name(VARIANT_T4), "t4");
    cr_assert_str_eq(variant_name(VARIANT_COUNT), "?");
    cr_assert_str_eq(variant_name(-1), "?");
}

Test(variants, random_permutations_are_bijections_and_follow_the_seed) {
    int a[P], b[P], c[P];
    nn_rng r1, r2, r3;
    rng_seed(&r1, 5), rng_seed(&r2, 5), rng_seed(&r3, 6);
    variant_random_permutation(a, P, &r1);
    variant_random_permutation(b, P, &r2);
    variant_random_permutation(c, P, &r3);
    cr_assert(variant_is_permutation(a, P));
    cr_assert(variant_is_permutation(c, P));
    cr_assert_eq(memcmp(a, b, sizeof a), 0, "same seed, same permutation");
    cr_assert_neq(memcmp(a, c, sizeof a), 0, "another seed, another permutation");
    int fixed = 0;
    for (int k = 0; k < P; k++) fixed += a[k] == k;
    cr_assert_lt(fixed, 10, "a random permutation moves almost every pixel (%d fixed)", fixed);
}

Test(variants, is_permutation_rejects_repeats_and_out_of_range) {
    int p[4] = {0, 1, 2, 3};
    cr_assert(variant_is_permutation(p, 4));
    p[3] = 2;
    cr_assert_not(variant_is_permutation(p, 4));
    p[3] = 4;
    cr_assert_not(variant_is_permutation(p, 4));
    p[3] = -1;
    cr_assert_not(variant_is_permutation(p, 4));
}

Test(variants, t1_applies_one_bijection_to_every_image) {
    nn_images src = random_set(20, 1), dst;
    int perm[P];
    nn_rng r;
    rng_seed(&r, 2);
    variant_random_permutation(perm, P, &r);
    nn_err err = {{0}};
    cr_assert_eq(variants_permute_fixed(&src, perm, &dst, &err), 0, "%s", err.msg);
    assert_labels_copied(&src, &dst);
    for (int i = 0; i < src.n; i++)
        for (int k = 0; k < P; k++)
            cr_assert_eq(dst.pixels[(size_t)i * P + k], src.pixels[(size_t)i * P + perm[k]],
                         "image %d position %d", i, k);
    /* Inverting the permutation gives the clean set back: nothing is lost. */
    int inverse[P];
    for (int k = 0; k < P; k++) inverse[perm[k]] = k;
    nn_images back;
    cr_assert_eq(variants_permute_fixed(&dst, inverse, &back, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(back.pixels, src.pixels, (size_t)src.n * P), 0);
    images_free(&back);
    images_free(&dst);
    images_free(&src);
}

Test(variants, t1_refuses_a_non_permutation) {
    nn_images src = random_set(2, 1), dst;
    int perm[P];
    for (int k = 0; k < P; k++) perm[k] = k;
    perm[5] = 6;
    nn_err err = {{0}};
    cr_assert_eq(variants_permute_fixed(&src, perm, &dst, &err), -1);
    assert_msg_has(err.msg, "not a permutation");
    cr_assert_null(dst.pixels);
    images_free(&src);
}

Test(variants, t2_applies_a_different_bijection_to_each_image) {
    int n = 30;
    nn_images src = random_set(n, 3), dst;
    int *perms = malloc(sizeof *perms * (size_t)n * P);
    nn_rng r;
    rng_seed(&r, 4);
    nn_err err = {{0}};
    cr_assert_eq(variants_permute_each(&src, &r, &dst, perms, &err), 0, "%s", err.msg);
    assert_labels_copied(&src, &dst);
    for (int i = 0; i < n; i++) {
        const int *perm = perms + (size_t)i * P;
        cr_assert(variant_is_permutation(perm, P), "image %d", i);
        for (int k = 0; k < P; k++)
            cr_assert_eq(dst.pixels[(size_t)i * P + k], src.pixels[(size_t)i * P + perm[k]]);
        if (i > 0) cr_assert_neq(memcmp(perm, perm - P, sizeof *perm * P), 0, "image %d", i);
        /* The multiset of intensities (the sorted pixels) is all that stays the same. */
        uint8_t a[P], b[P];
        variant_sort(a, src.pixels + (size_t)i * P, P);
        variant_sort(b, dst.pixels + (size_t)i * P, P);
        cr_assert_eq(memcmp(a, b, P), 0);
    }
    /* Same seed, same set; and without the perms output too. */
    nn_images again;
    rng_seed(&r, 4);
    cr_assert_eq(variants_permute_each(&src, &r, &again, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(again.pixels, dst.pixels, (size_t)n * P), 0);
    images_free(&again);
    free(perms);
    images_free(&dst);
    images_free(&src);
}

Test(variants, t3_is_an_involution) {
    uint8_t all[256], inv[256], back[256];
    for (int v = 0; v < 256; v++) all[v] = (uint8_t)v;
    variant_invert(inv, all, 256);
    variant_invert(back, inv, 256);
    for (int v = 0; v < 256; v++) {
        cr_assert_eq(inv[v], 255 - v);
        cr_assert_eq(back[v], v);
    }
    nn_images src = random_set(5, 5), t3, t3t3;
    nn_err err = {{0}};
    cr_assert_eq(variants_invert(&src, &t3, &err), 0, "%s", err.msg);
    cr_assert_eq(variants_invert(&t3, &t3t3, &err), 0, "%s", err.msg);
    assert_labels_copied(&src, &t3);
    cr_assert_eq(memcmp(t3t3.pixels, src.pixels, (size_t)5 * P), 0);
    cr_assert_neq(memcmp(t3.pixels, src.pixels, (size_t)5 * P), 0);
    /* In place works too. */
    variant_invert(all, all, 256);
    cr_assert_eq(memcmp(all, inv, 256), 0);
    images_free(&t3t3);
    images_free(&t3);
    images_free(&src);
}

Test(variants, shift_moves_content_with_zero_fill) {
    uint8_t src[P] = {0}, dst[P];
    src[10 * S + 12] = 200;
    variant_shift(dst, src, S, S, 3, -4);
    for (int k = 0; k < P; k++) cr_assert_eq(dst[k], k == 13 * S + 8 ? 200 : 0, "pixel %d", k);
    /* Everything moved out: blank. */
    variant_shift(dst, src, S, S, 0, 40);
    cr_assert_eq(variant_mass(dst, P), 0);
    variant_shift(dst, src, S, S, -S, 0);
    cr_assert_eq(variant_mass(dst, P), 0);
    /* No shift: a copy. */
    variant_shift(dst, src, S, S, 0, 0);
    cr_assert_eq(memcmp(dst, src, P), 0);
}

Test(variants, t4_keeps_the_pixel_mass_when_the_digit_stays_inside) {
    int n = 400;
    nn_images src = inside_set(n, 4, 7), dst;
    int *shifts = malloc(sizeof *shifts * 2 * (size_t)n);
    nn_rng r;
    rng_seed(&r, 8);
    nn_err err = {{0}};
    cr_assert_eq(variants_shift(&src, 4, &r, &dst, shifts, &err), 0, "%s", err.msg);
    assert_labels_copied(&src, &dst);
    int seen[9][9] = {{0}};
    for (int i = 0; i < n; i++) {
        int dy = shifts[2 * i], dx = shifts[2 * i + 1];
        cr_assert(dy >= -4 && dy <= 4 && dx >= -4 && dx <= 4, "shift (%d, %d)", dy, dx);
        seen[dy + 4][dx + 4] = 1;
        const uint8_t *a = src.pixels + (size_t)i * P, *b = dst.pixels + (size_t)i * P;
        cr_assert_eq(variant_mass(b, P), variant_mass(a, P), "image %d, shift (%d, %d)", i, dy,
                     dx);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int sy = y - dy, sx = x - dx;
                int want = sy >= 0 && sy < S && sx >= 0 && sx < S ? a[sy * S + sx] : 0;
                cr_assert_eq(b[y * S + x], want);
            }
        /* Shifting back restores the image exactly. */
        uint8_t back[P];
        variant_shift(back, b, S, S, -dy, -dx);
        cr_assert_eq(memcmp(back, a, P), 0);
    }
    int covered = 0;
    for (int y = 0; y < 9; y++)
        for (int x = 0; x < 9; x++) covered += seen[y][x];
    cr_assert_eq(covered, 81, "every shift in [-4, 4]^2 occurs in 400 draws (%d did)", covered);
    free(shifts);
    images_free(&dst);
    images_free(&src);
}

Test(variants, t4_loses_mass_when_the_digit_touches_the_border) {
    uint8_t src[P] = {0}, dst[P];
    src[0] = 100;      /* top-left corner */
    src[P / 2] = 50;   /* middle */
    variant_shift(dst, src, S, S, -1, 0);
    cr_assert_eq(variant_mass(dst, P), 50);
}

Test(variants, t4_follows_the_seed) {
    nn_images src = random_set(10, 9), a, b;
    nn_rng r1, r2;
    rng_seed(&r1, 10), rng_seed(&r2, 10);
    nn_err err = {{0}};
    cr_assert_eq(variants_shift(&src, 4, &r1, &a, NULL, &err), 0);
    cr_assert_eq(variants_shift(&src, 4, &r2, &b, NULL, &err), 0);
    cr_assert_eq(memcmp(a.pixels, b.pixels, (size_t)10 * P), 0);
    cr_assert_eq(variants_shift(&src, -1, &r1, &a, NULL, &err), -1);
    assert_msg_has(err.msg, "shift");
    images_free(&b);
    images_free(&src);
}

Test(variants, sort_gives_decreasing_values_and_ignores_positions) {
    nn_images src = random_set(3, 11), t1, sorted, sorted_t1;
    int perm[P];
    nn_rng r;
    rng_seed(&r, 12);
    variant_random_permutation(perm, P, &r);
    nn_err err = {{0}};
    cr_assert_eq(variants_permute_fixed(&src, perm, &t1, &err), 0);
    cr_assert_eq(variants_sort(&src, &sorted, &err), 0);
    cr_assert_eq(variants_sort(&t1, &sorted_t1, &err), 0);
    cr_assert_eq(memcmp(sorted.pixels, sorted_t1.pixels, (size_t)3 * P), 0);
    for (int i = 0; i < 3; i++) {
        const uint8_t *s = sorted.pixels + (size_t)i * P;
        for (int k = 1; k < P; k++) cr_assert_geq(s[k - 1], s[k]);
        cr_assert_eq(variant_mass(s, P), variant_mass(src.pixels + (size_t)i * P, P));
    }
    images_free(&sorted_t1);
    images_free(&sorted);
    images_free(&t1);
    images_free(&src);
}

Test(variants, centre_of_mass_and_recentring) {
    uint8_t img[P] = {0}, out[P];
    double cy, cx;
    cr_assert_eq(variant_centre_of_mass(img, S, S, &cy, &cx), -1, "blank image");
    cr_assert_float_eq(cy, 13.5, 1e-12);
    img[5 * S + 7] = 10;
    img[5 * S + 9] = 10;
    cr_assert_eq(variant_centre_of_mass(img, S, S, &cy, &cx), 0);
    cr_assert_float_eq(cy, 5.0, 1e-12);
    cr_assert_float_eq(cx, 8.0, 1e-12);
    variant_recentre(out, img, S, S, 14.0, 14.0);
    cr_assert_eq(out[14 * S + 13], 10);
    cr_assert_eq(out[14 * S + 15], 10);
    cr_assert_eq(variant_mass(out, P), 20);
    /* A blank image stays blank (no shift). */
    int dy, dx;
    uint8_t blank[P] = {0};
    variant_recentre_shift(blank, S, S, 14, 14, &dy, &dx);
    cr_assert(dy == 0 && dx == 0);
}

Test(variants, recentring_undoes_t4_while_the_digit_stays_inside) {
    int n = 50;
    nn_images src = inside_set(n, 6, 13), t4, a, b;
    nn_rng r;
    rng_seed(&r, 14);
    nn_err err = {{0}};
    double ty, tx;
    cr_assert_eq(variants_mean_centre(&src, &ty, &tx, &err), 0, "%s", err.msg);
    cr_assert_eq(variants_shift(&src, 4, &r, &t4, NULL, &err), 0);
    cr_assert_eq(variants_recentre(&src, ty, tx, &a, &err), 0);
    cr_assert_eq(variants_recentre(&t4, ty, tx, &b, &err), 0);
    /* Integer shifts move the centre of mass by exactly the shift, so both land on the
     * same integer offset (margin 6 >= 4 + the recentring move of at most 2 here). */
    cr_assert_eq(memcmp(a.pixels, b.pixels, (size_t)n * P), 0);
    images_free(&b);
    images_free(&a);
    images_free(&t4);
    images_free(&src);
}

Test(variants, mean_centre_of_blank_images_fails) {
    nn_images im = {.n = 2, .c = 1, .h = S, .w = S, .classes = 10};
    im.pixels = calloc(2, P);
    im.labels = calloc(2, 1);
    double ty, tx;
    nn_err err = {{0}};
    cr_assert_eq(variants_mean_centre(&im, &ty, &tx, &err), -1);
    assert_msg_has(err.msg, "blank");
    images_free(&im);
}

Test(variants, multi_channel_sets_are_refused) {
    nn_images im = {.n = 1, .c = 3, .h = S, .w = S, .classes = 10};
    im.pixels = calloc(3, P);
    im.labels = calloc(1, 1);
    nn_images dst;
    nn_err err = {{0}};
    cr_assert_eq(variants_invert(&im, &dst, &err), -1);
    assert_msg_has(err.msg, "single-channel");
    images_free(&im);
}

/* ---- .npy ------------------------------------------------------------------------------ */

Test(variants, npy_files_have_numpy_shapes_and_round_trip) {
    nn_images src = random_set(7, 15), back;
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "t_images.npy");
    test_path(labels, dir, "t_labels.npy");
    nn_err err = {{0}};
    cr_assert_eq(variants_write_npy(&src, images, labels, &err), 0, "%s", err.msg);
    npy_array a = {0}, l = {0};
    cr_assert_eq(npy_read(images, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(npy_read(labels, &l, &err), 0, "%s", err.msg);
    cr_assert_eq(a.dtype, NPY_U8);
    cr_assert_eq(a.ndim, 3);
    cr_assert(a.shape[0] == 7 && a.shape[1] == S && a.shape[2] == S);
    cr_assert_eq(l.dtype, NPY_U8);
    cr_assert_eq(l.ndim, 1);
    cr_assert_eq(l.shape[0], 7);
    cr_assert_eq(memcmp(a.data, src.pixels, (size_t)7 * P), 0);
    cr_assert_eq(memcmp(l.data, src.labels, 7), 0);
    npy_free(&a);
    npy_free(&l);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), 0, "%s", err.msg);
    cr_assert(back.n == 7 && back.c == 1 && back.h == S && back.w == S && back.classes == 10);
    cr_assert_eq(memcmp(back.pixels, src.pixels, (size_t)7 * P), 0);
    cr_assert_eq(memcmp(back.labels, src.labels, 7), 0);
    images_free(&back);
    images_free(&src);
}

Test(variants, float32_images_are_read_as_grey_levels) {
    nn_images src = random_set(3, 16), back;
    float *f = malloc(sizeof *f * 3 * P);
    for (int k = 0; k < 3 * P; k++) f[k] = src.pixels[k] / 255.0f;
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "f_images.npy");
    test_path(labels, dir, "f_labels.npy");
    nn_err err = {{0}};
    size_t shape[3] = {3, S, S};
    cr_assert_eq(npy_write(images, NPY_F32, 3, shape, f, &err), 0, "%s", err.msg);
    cr_assert_eq(npy_write(labels, NPY_U8, 1, shape, src.labels, &err), 0, "%s", err.msg);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(back.pixels, src.pixels, (size_t)3 * P), 0, "x/255 comes back exactly");
    images_free(&back);
    /* Out of [0, 1], and NaN, are refused with the index. */
    f[5] = 1.5f;
    cr_assert_eq(npy_write(images, NPY_F32, 3, shape, f, &err), 0);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), -1);
    assert_msg_has(err.msg, "outside [0, 1]");
    assert_msg_has(err.msg, "index 5");
    f[5] = NAN;
    cr_assert_eq(npy_write(images, NPY_F32, 3, shape, f, &err), 0);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), -1);
    assert_msg_has(err.msg, "outside [0, 1]");
    cr_assert_null(back.pixels);
    free(f);
    images_free(&src);
}

/* Writes an images/labels pair with the given shapes (uint8, zero pixels, labels 1). */
static void write_pair(const char *images, const char *labels, int ndim, const size_t *shape,
                       size_t nlabels) {
    size_t count = 1;
    for (int k = 0; k < ndim; k++) count *= shape[k];
    uint8_t *px = calloc(count ? count : 1, 1), *lb = malloc(nlabels ? nlabels : 1);
    memset(lb, 1, nlabels);
    nn_err err = {{0}};
    cr_assert_eq(npy_write(images, NPY_U8, ndim, shape, px, &err), 0, "%s", err.msg);
    cr_assert_eq(npy_write(labels, NPY_U8, 1, &nlabels, lb, &err), 0, "%s", err.msg);
    free(px);
    free(lb);
}

static void expect_refusal(const char *images, const char *labels, const char *fragment) {
    nn_images out;
    nn_err err = {{0}};
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &out, &err), -1, "accepted");
    assert_msg_has(err.msg, fragment);
    cr_assert_null(out.pixels);
    cr_assert_null(out.labels);
}

Test(variants, npy_pairs_with_wrong_shapes_are_refused) {
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "i.npy");
    test_path(labels, dir, "l.npy");
    size_t flat[2] = {4, P - 1};
    write_pair(images, labels, 2, flat, 4);
    expect_refusal(images, labels, "shape (n, 28, 28) or (n, 784), this file has (4, 783)");
    size_t narrow[3] = {4, S, S - 1};
    write_pair(images, labels, 3, narrow, 4);
    expect_refusal(images, labels, "this file has (4, 28, 27)");
    size_t channel[4] = {4, S, S, 1};
    write_pair(images, labels, 4, channel, 4);
    expect_refusal(images, labels, "this file has (4, 28, 28, 1)");
    size_t vector[1] = {P};
    write_pair(images, labels, 1, vector, 4);
    expect_refusal(images, labels, "this file has (784,)");
    size_t ok[3] = {4, S, S};
    write_pair(images, labels, 3, ok, 3);
    expect_refusal(images, labels, "one per image");
    size_t none[3] = {0, S, S};
    write_pair(images, labels, 3, none, 0);
    expect_refusal(images, labels, "0 images");
    expect_refusal(images, "/nonexistent/l.npy", "/nonexistent/l.npy");
}

Test(variants, npy_labels_out_of_range_or_not_uint8_are_refused) {
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "i.npy");
    test_path(labels, dir, "l.npy");
    size_t ok[3] = {2, S, S};
    write_pair(images, labels, 3, ok, 2);
    uint8_t bad[2] = {3, 10};
    size_t two = 2;
    nn_err err = {{0}};
    cr_assert_eq(npy_write(labels, NPY_U8, 1, &two, bad, &err), 0);
    expect_refusal(images, labels, "label 10 at index 1");
    /* float32 labels: a dtype npy reads, but not labels. */
    float fl[2] = {1, 2};
    cr_assert_eq(npy_write(labels, NPY_F32, 1, &two, fl, &err), 0);
    expect_refusal(images, labels, "labels must be integers");
    /* int64 labels (NumPy's default integer) out of range are refused by value. */
    int64_t wide[2] = {3, -1};
    cr_assert_eq(npy_write(labels, NPY_I64, 1, &two, wide, &err), 0);
    expect_refusal(images, labels, "label -1 at index 1 is not in 0..9");
}

Test(variants, npy_int64_labels_are_read_as_classes) {
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "i.npy");
    test_path(labels, dir, "l.npy");
    size_t shape[3] = {2, S, S};
    write_pair(images, labels, 3, shape, 2);
    int64_t wide[2] = {7, 0};
    size_t two = 2;
    nn_err err = {{0}};
    cr_assert_eq(npy_write(labels, NPY_I64, 1, &two, wide, &err), 0, "%s", err.msg);
    nn_images set;
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &set, &err), 0, "%s", err.msg);
    cr_assert_eq(set.labels[0], 7);
    cr_assert_eq(set.labels[1], 0);
    images_free(&set);
}

/* Writes the labels 0..n-1 mod 10 of the given dtype. */
static void write_labels(const char *labels, npy_dtype dtype, size_t n) {
    nn_err err = {{0}};
    void *data = malloc(n * npy_dtype_size(dtype));
    for (size_t i = 0; i < n; i++) {
        if (dtype == NPY_U8) ((uint8_t *)data)[i] = (uint8_t)(i % 10);
        else if (dtype == NPY_I32) ((int32_t *)data)[i] = (int32_t)(i % 10);
        else if (dtype == NPY_I64) ((int64_t *)data)[i] = (int64_t)(i % 10);
        else if (dtype == NPY_F32) ((float *)data)[i] = (float)(i % 10);
        else ((double *)data)[i] = (double)(i % 10);
    }
    cr_assert_eq(npy_write(labels, dtype, 1, &n, data, &err), 0, "%s", err.msg);
    free(data);
}

/* NumPy's default integer is int64: np.array(images) of Python ints, or images.astype(int),
 * must not come back as float32 bits (black images); it is refused, naming the dtype, and
 * so is int32. */
Test(variants, npy_integer_images_other_than_uint8_are_refused_by_dtype) {
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "i.npy");
    test_path(labels, dir, "l.npy");
    write_labels(labels, NPY_U8, 2);
    size_t shape[3] = {2, S, S};
    nn_err err = {{0}};
    int64_t *wide = calloc(2 * P, sizeof *wide);
    for (int k = 0; k < 2 * P; k++) wide[k] = k % 256;
    cr_assert_eq(npy_write(images, NPY_I64, 3, shape, wide, &err), 0, "%s", err.msg);
    expect_refusal(images, labels, "i.npy: images of dtype int64 are not supported");
    int32_t *mid = calloc(2 * P, sizeof *mid);
    cr_assert_eq(npy_write(images, NPY_I32, 3, shape, mid, &err), 0, "%s", err.msg);
    expect_refusal(images, labels, "images of dtype int32 are not supported");
    free(wide);
    free(mid);
}

/* A dtype the reader does not know at all (float16) is refused by the .npy layer, by name. */
Test(variants, npy_images_of_an_unknown_dtype_are_refused_by_name) {
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "i.npy");
    test_path(labels, dir, "l.npy");
    write_labels(labels, NPY_U8, 1);
    static const char dict[] = "{'descr': '<f2', 'fortran_order': False, 'shape': (1, 784), }";
    unsigned char buf[128 + 2 * P];
    memcpy(buf, "\x93NUMPY\x01\x00\x76\x00", 10);
    memset(buf + 10, ' ', 118);
    memcpy(buf + 10, dict, sizeof dict - 1);
    buf[127] = '\n';
    memset(buf + 128, 0, 2 * P);
    test_write(images, buf, sizeof buf);
    expect_refusal(images, labels, "unsupported .npy dtype '<f2' (float16)");
}

Test(variants, float64_images_in_0_1_are_read_as_grey_levels_and_others_refused) {
    nn_images src = random_set(3, 17), back;
    double *d = malloc(sizeof *d * 3 * P);
    for (int k = 0; k < 3 * P; k++) d[k] = src.pixels[k] / 255.0;
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "d_images.npy");
    test_path(labels, dir, "d_labels.npy");
    nn_err err = {{0}};
    size_t shape[3] = {3, S, S};
    cr_assert_eq(npy_write(images, NPY_F64, 3, shape, d, &err), 0, "%s", err.msg);
    write_labels(labels, NPY_I64, 3);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(back.pixels, src.pixels, (size_t)3 * P), 0, "x/255 comes back exactly");
    images_free(&back);
    /* 0..255 stored as float64 (a forgotten /255) is out of range, not clipped. */
    d[7] = 255.0;
    cr_assert_eq(npy_write(images, NPY_F64, 3, shape, d, &err), 0);
    expect_refusal(images, labels, "float64 pixel 255 at index 7 is outside [0, 1]");
    d[7] = -1e-9;
    cr_assert_eq(npy_write(images, NPY_F64, 3, shape, d, &err), 0);
    expect_refusal(images, labels, "index 7 is outside [0, 1]");
    d[7] = NAN;
    cr_assert_eq(npy_write(images, NPY_F64, 3, shape, d, &err), 0);
    expect_refusal(images, labels, "outside [0, 1]");
    free(d);
    images_free(&src);
}

/* N x 784, as saved from flattened vectors (e.g. sklearn's fetch_openml("mnist_784")). */
Test(variants, flat_n_by_784_images_are_read_like_n_by_28_by_28) {
    nn_images src = random_set(5, 18), back;
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "flat_images.npy");
    test_path(labels, dir, "flat_labels.npy");
    nn_err err = {{0}};
    size_t shape[2] = {5, P};
    cr_assert_eq(npy_write(images, NPY_U8, 2, shape, src.pixels, &err), 0, "%s", err.msg);
    write_labels(labels, NPY_U8, 5);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), 0, "%s", err.msg);
    cr_assert(back.n == 5 && back.c == 1 && back.h == S && back.w == S);
    cr_assert_eq(memcmp(back.pixels, src.pixels, (size_t)5 * P), 0);
    images_free(&back);
    /* float32 flat too */
    float *f = malloc(sizeof *f * 5 * P);
    for (int k = 0; k < 5 * P; k++) f[k] = src.pixels[k] / 255.0f;
    cr_assert_eq(npy_write(images, NPY_F32, 2, shape, f, &err), 0, "%s", err.msg);
    cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &back, &err), 0, "%s", err.msg);
    cr_assert_eq(memcmp(back.pixels, src.pixels, (size_t)5 * P), 0);
    images_free(&back);
    free(f);
    images_free(&src);
}

Test(variants, labels_of_every_integer_dtype_are_read_and_checked) {
    char images[TEST_PATH_MAX], labels[TEST_PATH_MAX];
    test_path(images, dir, "i.npy");
    test_path(labels, dir, "l.npy");
    size_t shape[3] = {12, S, S};
    write_pair(images, labels, 3, shape, 12);
    const npy_dtype ints[] = {NPY_U8, NPY_I32, NPY_I64};
    for (int t = 0; t < 3; t++) {
        write_labels(labels, ints[t], 12);
        nn_images set;
        nn_err err = {{0}};
        cr_assert_eq(variants_read_npy(images, labels, S, S, 10, &set, &err), 0, "%s: %s",
                     npy_dtype_name(ints[t]), err.msg);
        for (int i = 0; i < 12; i++) cr_assert_eq(set.labels[i], i % 10);
        images_free(&set);
    }
    /* int32 out of range, both ends. */
    int32_t bad[2] = {10, 0};
    size_t two = 2;
    nn_err err = {{0}};
    size_t two_images[3] = {2, S, S};
    write_pair(images, labels, 3, two_images, 2);
    cr_assert_eq(npy_write(labels, NPY_I32, 1, &two, bad, &err), 0);
    expect_refusal(images, labels, "int32 label 10 at index 0 is not in 0..9");
    bad[0] = INT32_MIN;
    cr_assert_eq(npy_write(labels, NPY_I32, 1, &two, bad, &err), 0);
    expect_refusal(images, labels, "label -2147483648 at index 0");
    /* Real-valued labels are refused by dtype, whatever their values. */
    write_labels(labels, NPY_F64, 2);
    expect_refusal(images, labels, "labels must be integers (uint8, int32 or int64), this file has float64");
    /* Labels must be one per image, as a vector. */
    size_t col[2] = {2, 1};
    uint8_t one[2] = {1, 2};
    cr_assert_eq(npy_write(labels, NPY_U8, 2, col, one, &err), 0);
    expect_refusal(images, labels, "labels must have shape (2,)");
}
