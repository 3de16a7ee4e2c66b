/* test_target_grid.c - the original-plus-every-target grid: its size, which image lands in
 * which cell, the white caption band, the delta views (grey and RGB), caption positions, and
 * refusals. Pixels are read back from the canvas (the PNG writer has its own tests). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "attack/target_grid.h"

#define SIDE 4
#define D (SIDE * SIDE)

static const uint8_t *px(const nn_canvas *cv, int x, int y) {
    return cv->rgb + 3 * ((size_t)y * cv->width + x);
}

/* Row r's original is the flat grey (r + 1) / 10; its adversarial for target j is the flat
 * grey (r + 1) / 10 + (j + 1) / 50, so every cell has its own value. */
static float orig_value(int r) {
    return (r + 1) / 10.0f;
}
static float adv_value(int r, int j) {
    return orig_value(r) + (j + 1) / 50.0f;
}

static void fill(float *orig, float *adv, int rows, int classes, int c) {
    for (int r = 0; r < rows; r++) {
        for (int i = 0; i < c * D; i++)
            orig[r * c * D + i] = orig_value(r);
        for (int j = 0; j < classes; j++)
            for (int i = 0; i < c * D; i++)
                adv[((size_t)r * classes + j) * c * D + i] = adv_value(r, j);
    }
}

static uint8_t byte(float v) {
    return (uint8_t)(v * 255.0f + 0.5f);
}

Test(target_grid, rows_of_the_original_then_one_column_per_target) {
    enum { ROWS = 5, CLASSES = 10 };
    float *orig = malloc(sizeof(float) * ROWS * D),
          *adv = malloc(sizeof(float) * ROWS * CLASSES * D);
    fill(orig, adv, ROWS, CLASSES, 1);
    nn_canvas cv;
    nn_err err;
    target_grid_geom geom = {.scale = 2, .pad = 3, .band = 2};
    cr_assert_eq(target_grid_build(&cv, orig, adv, ROWS, CLASSES, 1, SIDE, SIDE, TARGET_GRID_IMAGES,
                                   0, geom, &err),
                 0, "%s", err.msg);
    cr_assert_eq(cv.rows, 5);
    cr_assert_eq(cv.cols, 11, "the original and ten targets");
    cr_assert_eq(cv.cell_h, SIDE + 2, "each cell carries its caption band");
    cr_assert_eq(cv.width, 11 * SIDE * 2 + 12 * 3);
    cr_assert_eq(cv.height, 5 * (SIDE + 2) * 2 + 6 * 3);
    for (int r = 0; r < ROWS; r++)
        for (int col = 0; col <= CLASSES; col++) {
            int x0, y0;
            canvas_cell_origin(&cv, r, col, &x0, &y0);
            uint8_t want = byte(col == 0 ? orig_value(r) : adv_value(r, col - 1));
            for (int y = 0; y < SIDE * 2; y++)
                for (int x = 0; x < SIDE * 2; x++) {
                    const uint8_t *p = px(&cv, x0 + x, y0 + y);
                    cr_assert(p[0] == want && p[1] == want && p[2] == want,
                              "row %d col %d: pixel (%d, %d) is %d, want %d", r, col, x, y, p[0],
                              want);
                }
            for (int y = SIDE * 2; y < (SIDE + 2) * 2; y++) {
                const uint8_t *p = px(&cv, x0 + 1, y0 + y);
                cr_assert(p[0] == 255 && p[1] == 255 && p[2] == 255,
                          "row %d col %d: the caption band is white", r, col);
            }
            double cx, cy;
            target_grid_caption(&cv, SIDE, r, col, &cx, &cy);
            cr_assert_float_eq(cx, x0 + SIDE, 1e-9, "caption centred under the image");
            cr_assert_float_eq(cy, y0 + (SIDE + 1) * 2, 1e-9, "caption in the middle of the band");
        }
    canvas_free(&cv);
    free(orig);
    free(adv);
}

Test(target_grid, delta_view_shows_adv_minus_orig_on_the_diverging_scale) {
    enum { ROWS = 2, CLASSES = 3 };
    float orig[ROWS * D], adv[ROWS * CLASSES * D];
    fill(orig, adv, ROWS, CLASSES, 1);
    adv[(1 * CLASSES + 2) * D + 5] = orig_value(1) - 0.06f; /* one pixel goes down */
    nn_canvas cv;
    target_grid_geom geom = {.scale = 1, .pad = 1, .band = 1};
    cr_assert_eq(target_grid_build(&cv, orig, adv, ROWS, CLASSES, 1, SIDE, SIDE, TARGET_GRID_DELTA,
                                   0.06f, geom, NULL),
                 0);
    int x0, y0;
    canvas_cell_origin(&cv, 1, 0, &x0, &y0);
    const uint8_t *p = px(&cv, x0, y0);
    cr_assert(p[0] == byte(0.2f) && p[1] == p[0], "column 0 keeps the original in grey");
    canvas_cell_origin(&cv, 1, 3, &x0, &y0); /* target 2: delta +0.06 = +range: full red */
    p = px(&cv, x0, y0);
    cr_assert(p[0] == 255 && p[1] == 0 && p[2] == 0, "+range is red (%d %d %d)", p[0], p[1], p[2]);
    p = px(&cv, x0 + 1, y0 + 1); /* pixel 5 = (1, 1): -range, full blue */
    cr_assert(p[0] == 0 && p[1] == 0 && p[2] == 255, "-range is blue (%d %d %d)", p[0], p[1], p[2]);
    p = px(&cv, x0, y0 + SIDE); /* the band: no change, white */
    cr_assert(p[0] == 255 && p[1] == 255 && p[2] == 255);
    canvas_cell_origin(&cv, 0, 1, &x0, &y0); /* target 0: +0.02 = a third of the range */
    p = px(&cv, x0, y0);
    cr_assert(p[0] == 255 && abs(p[1] - byte(2 / 3.0f)) <= 1 && p[1] == p[2], "light red");
    canvas_free(&cv);
}

Test(target_grid, rgb_images_and_their_delta_around_mid_grey) {
    enum { ROWS = 1, CLASSES = 2, C = 3 };
    float orig[C * D], adv[CLASSES * C * D];
    fill(orig, adv, ROWS, CLASSES, C);
    for (int i = 0; i < D; i++) /* a red original: planes R, G, B */
        orig[i] = 1, orig[D + i] = 0, orig[2 * D + i] = 0;
    for (int i = 0; i < C * D; i++)
        adv[i] = adv[C * D + i] = orig[i]; /* both targets start unchanged */
    adv[C * D + 2 * D] = 0.1f;             /* target 1: blue + 0.1 at pixel 0 */
    nn_canvas cv;
    target_grid_geom geom = {.scale = 1, .pad = 0, .band = 2};
    cr_assert_eq(target_grid_build(&cv, orig, adv, ROWS, CLASSES, C, SIDE, SIDE, TARGET_GRID_IMAGES,
                                   0, geom, NULL),
                 0);
    const uint8_t *p = px(&cv, 0, 0);
    cr_assert(p[0] == 255 && p[1] == 0 && p[2] == 0, "the original is red");
    p = px(&cv, 0, SIDE + 1);
    cr_assert(p[0] == 255 && p[1] == 255 && p[2] == 255, "white band under an RGB cell");
    canvas_free(&cv);
    cr_assert_eq(target_grid_build(&cv, orig, adv, ROWS, CLASSES, C, SIDE, SIDE, TARGET_GRID_DELTA,
                                   0.1f, geom, NULL),
                 0);
    int x0, y0;
    canvas_cell_origin(&cv, 0, 1, &x0, &y0);
    p = px(&cv, x0 + 1, y0);
    cr_assert(p[0] == 128 && p[1] == 128 && p[2] == 128, "no change is mid-grey");
    canvas_cell_origin(&cv, 0, 2, &x0, &y0);
    p = px(&cv, x0, y0);
    cr_assert(p[0] == 128 && p[1] == 128 && p[2] == 255, "+range in blue is full blue");
    canvas_free(&cv);
}

Test(target_grid, bad_arguments_are_refused) {
    float x[D] = {0};
    nn_canvas cv;
    nn_err err;
    target_grid_geom geom = {.scale = 1, .pad = 1, .band = 1};
    cr_assert_eq(
        target_grid_build(&cv, x, x, 0, 1, 1, SIDE, SIDE, TARGET_GRID_IMAGES, 0, geom, &err), -1);
    cr_assert_eq(
        target_grid_build(&cv, x, x, 1, 1, 2, SIDE, SIDE, TARGET_GRID_IMAGES, 0, geom, &err), -1);
    cr_assert(strstr(err.msg, "channels"), "%s", err.msg);
    cr_assert_eq(
        target_grid_build(&cv, x, x, 1, 1, 1, SIDE, SIDE, TARGET_GRID_DELTA, 0, geom, &err), -1);
    cr_assert(strstr(err.msg, "range"), "%s", err.msg);
    cr_assert_null(cv.rgb, "nothing allocated on failure");
}
