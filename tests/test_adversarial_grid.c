/* test_adversarial_grid.c - the chapter's 10 x 3 grid (original | delta | adversarial) read
 * back from its PNG, the perturbation statistics, and SHA-256 against FIPS 180-4 vectors. */
#include <criterion/criterion.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "attack/adversarial_grid.h"
#include "test_files.h"

#define ROWS 10
#define SIDE 28
#define D (SIDE * SIDE)

/* Ten "digits" (a bright bar whose position depends on the row) and adversarials that add
 * +0.2 at pixel 0, remove 0.1 at pixel 1 and leave the rest. */
static void make_examples(float *orig, float *adv) {
    for (int r = 0; r < ROWS; r++) {
        float *x = orig + r * D;
        for (int i = 0; i < D; i++)
            x[i] = (i / SIDE == 5 + r) ? 1.0f : (i % SIDE == 3 ? 0.5f : 0.0f);
        memcpy(adv + r * D, x, sizeof(float) * D);
        adv[r * D + 0] += 0.2f;
        adv[r * D + (5 + r) * SIDE + 10] -= 0.1f; /* on the bar: 1 -> 0.9 */
    }
}

static const uint8_t *px(const uint8_t *rgb, int width, int x, int y) {
    return rgb + 3 * ((size_t)y * width + x);
}

Test(adversarial_grid, ten_by_three_png_has_the_right_size_and_layout) {
    float *orig = malloc(sizeof(float) * ROWS * D), *adv = malloc(sizeof(float) * ROWS * D);
    make_examples(orig, adv);
    nn_canvas c;
    nn_err err;
    adv_grid_style style = {.scale = 3, .pad = 4};
    cr_assert_eq(adv_grid_build(&c, orig, adv, ROWS, SIDE, SIDE, 0.2f, style, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(c.rows, 10);
    cr_assert_eq(c.cols, 3);
    cr_assert_eq(c.width, 3 * SIDE * 3 + 4 * 4);
    cr_assert_eq(c.height, 10 * SIDE * 3 + 11 * 4);

    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_mkdtemp(dir);
    test_path(path, dir, "grid.png");
    cr_assert_eq(canvas_write_png(&c, path, &err), 0, "%s", err.msg);
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&image, path), "%s", image.message);
    cr_assert_eq((int)image.width, c.width, "PNG width");
    cr_assert_eq((int)image.height, c.height, "PNG height");
    image.format = PNG_FORMAT_RGB;
    uint8_t *rgb = malloc(PNG_IMAGE_SIZE(image));
    cr_assert(png_image_finish_read(&image, NULL, rgb, 0, NULL), "%s", image.message);
    int W = (int)image.width;

    for (int r = 0; r < ROWS; r++) {
        int x0, y0, x1, y1, x2, y2;
        canvas_cell_origin(&c, r, 0, &x0, &y0);
        canvas_cell_origin(&c, r, 1, &x1, &y1);
        canvas_cell_origin(&c, r, 2, &x2, &y2);
        cr_assert_eq(y0, 4 + r * (SIDE * 3 + 4), "row %d starts where a 10-row grid puts it", r);
        /* Column 0: the original in grey; the bar of row r is white, pixel 0 black. */
        const uint8_t *p = px(rgb, W, x0 + 10 * 3, y0 + (5 + r) * 3);
        cr_assert(p[0] == 255 && p[1] == 255 && p[2] == 255, "row %d: original's stroke", r);
        p = px(rgb, W, x0, y0);
        cr_assert(p[0] == 0 && p[1] == 0 && p[2] == 0, "row %d: original's background", r);
        /* Column 1: the delta on the diverging scale: +0.2 (= range) full red, -0.1 half
         * blue, 0 white; every delta pixel is on the blue-white-red line. */
        p = px(rgb, W, x1 + 1, y1 + 1);
        cr_assert(p[0] == 255 && p[1] == 0 && p[2] == 0, "row %d: +range is red", r);
        p = px(rgb, W, x1 + 10 * 3, y1 + (5 + r) * 3);
        cr_assert(abs(p[0] - 128) <= 1 && p[1] == p[0] && p[2] == 255,
                  "row %d: -range/2 is light blue (%d %d %d)", r, p[0], p[1], p[2]);
        p = px(rgb, W, x1 + 20 * 3, y1 + 20 * 3);
        cr_assert(p[0] == 255 && p[1] == 255 && p[2] == 255, "row %d: no change is white", r);
        for (int y = 0; y < SIDE * 3; y++)
            for (int x = 0; x < SIDE * 3; x++) {
                p = px(rgb, W, x1 + x, y1 + y);
                cr_assert(p[0] == 255 || p[2] == 255, "delta pixel off the diverging scale");
                cr_assert(p[1] == (p[0] < p[2] ? p[0] : p[2]));
            }
        /* Column 2: the adversarial in grey: pixel 0 went from 0 to 0.2 (51). */
        p = px(rgb, W, x2, y2);
        cr_assert(p[0] == 51 && p[1] == 51 && p[2] == 51, "row %d: adversarial pixel 0 (%d)", r,
                  p[0]);
        p = px(rgb, W, x2 + 10 * 3, y2 + (5 + r) * 3);
        cr_assert(p[0] == 230 && p[0] == p[1] && p[1] == p[2], "row %d: 0.9 on the stroke", r);
    }
    free(rgb);
    canvas_free(&c);
    test_rmtree(dir);
    free(orig);
    free(adv);
}

Test(adversarial_grid, bad_arguments_are_refused) {
    float x[D] = {0};
    nn_canvas c;
    nn_err err;
    adv_grid_style style = {.scale = 3, .pad = 4};
    cr_assert_eq(adv_grid_build(&c, x, x, 0, SIDE, SIDE, 0.1f, style, &err), -1);
    cr_assert_eq(adv_grid_build(&c, x, x, 1, SIDE, SIDE, 0.0f, style, &err), -1);
    cr_assert(strstr(err.msg, "range") != NULL, "%s", err.msg);
}

Test(adversarial_grid, max_abs_delta) {
    float a[4] = {0, 0.5f, 1, 0.25f}, b[4] = {0.1f, 0.2f, 1, 0.25f};
    cr_assert_float_eq(adv_max_abs_delta(a, b, 4), 0.3f, 1e-6);
    cr_assert_eq(adv_max_abs_delta(a, b, 0), 0.0f);
}

Test(adversarial_grid, delta_quantile_by_nearest_rank_ignores_a_lone_extreme_pixel) {
    /* |delta| = 0.01, 0.02, ..., 1.00 in a shuffled order, plus signs. */
    float orig[100], adv[100];
    for (int i = 0; i < 100; i++) {
        int v = (i * 37) % 100 + 1; /* 37 is coprime with 100: a permutation of 1..100 */
        orig[i] = 0.5f;
        adv[i] = 0.5f + (i % 2 ? 1 : -1) * 0.005f * v;
    }
    float q;
    nn_err err;
    cr_assert_eq(adv_abs_delta_quantile(orig, adv, 100, 0.99, &q, &err), 0, "%s", err.msg);
    cr_assert_float_eq(q, 0.495f, 1e-6, "the 99th of 100 values");
    cr_assert_eq(adv_abs_delta_quantile(orig, adv, 100, 1.0, &q, &err), 0);
    cr_assert_float_eq(q, 0.5f, 1e-6, "q = 1 is the maximum");
    cr_assert_eq(adv_abs_delta_quantile(orig, adv, 100, 0.5, &q, &err), 0);
    cr_assert_float_eq(q, 0.25f, 1e-6, "the 50th of 100 values");
    /* The smallest value (pixel 0: 0.005) becomes an extreme 1.0: the maximum doubles, the
     * 99th percentile moves by one rank only (to 0.5, the old maximum). */
    adv[0] = 1.0f, orig[0] = 0;
    cr_assert_eq(adv_abs_delta_quantile(orig, adv, 100, 0.99, &q, &err), 0);
    cr_assert_float_eq(q, 0.5f, 1e-6);
    cr_assert_float_eq(adv_max_abs_delta(orig, adv, 100), 1.0f, 1e-6);
    cr_assert_eq(adv_abs_delta_quantile(orig, adv, 0, 0.99, &q, &err), -1);
    cr_assert_eq(adv_abs_delta_quantile(orig, adv, 100, 0, &q, &err), -1);
}

Test(adversarial_grid, delta_statistics_split_the_mass_by_stroke_and_sign) {
    /* Two samples of 4 pixels; stroke = original >= 0.5. */
    float orig[8] = {1, 0.6f, 0, 0, /* */ 0, 0, 0, 0.9f};
    float adv[8] = {0.8f, 0.6f, 0.1f, 0, /* */ 0.3f, 0, 0, 0.9f};
    int include[2] = {1, 1};
    adv_delta_sums s = {0};
    double mean[4] = {0};
    adv_delta_accumulate(&s, orig, adv, 2, 4, 0.5f, include, mean);
    /* deltas: -0.2 (stroke), +0.1, +0.3 */
    cr_assert_float_eq(s.total_sq, 0.04 + 0.01 + 0.09, 1e-6);
    cr_assert_float_eq(adv_stroke_mass_share(&s), 0.04 / 0.14, 1e-6);
    cr_assert_float_eq(adv_added_mass_share(&s), 0.10 / 0.14, 1e-6);
    cr_assert_float_eq(adv_stroke_pixel_share(&s), 3.0 / 8, 1e-12);
    cr_assert_eq(s.samples, 2);
    cr_assert_float_eq(mean[0], -0.2 + 0.3, 1e-6);
    cr_assert_float_eq(mean[2], 0.1, 1e-6);
    /* Excluded samples count for nothing. */
    adv_delta_sums t = {0};
    include[0] = 0;
    adv_delta_accumulate(&t, orig, adv, 2, 4, 0.5f, include, NULL);
    cr_assert_eq(t.samples, 1);
    cr_assert_float_eq(adv_stroke_mass_share(&t), 0.0, 1e-12);
    cr_assert_float_eq(adv_added_mass_share(&t), 1.0, 1e-12);
    adv_delta_sums empty = {0};
    cr_assert_eq(adv_stroke_mass_share(&empty), 0.0);
    cr_assert_eq(adv_stroke_pixel_share(&empty), 0.0);
}
