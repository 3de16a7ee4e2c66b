/* target_grid.c - the original-plus-every-target grid (see target_grid.h). */
#include "attack/target_grid.h"

#include <stdlib.h>
#include <string.h>

/* Writes image img (c x h x w) into cell (row, col) with `band` white rows under it; buf holds
 * c x (h + band) x w floats. For the delta view `ref` is the original (else NULL). */
static void put_cell(nn_canvas *cv, int row, int col, const float *img, const float *ref, int c,
                     int h, int w, int band, float range, float *buf) {
    size_t plane = (size_t)(h + band) * w, d = (size_t)h * w;
    /* White band: 1 for images, 0 (white on the diverging scale), or 1 for the RGB delta. */
    float white = ref && c == 1 ? 0.0f : 1.0f;
    for (int k = 0; k < c; k++) {
        float *dst = buf + k * plane;
        const float *src = img + k * d, *orig = ref ? ref + k * d : NULL;
        for (size_t i = 0; i < d; i++) {
            if (!orig)
                dst[i] = src[i];
            else if (c == 1)
                dst[i] = src[i] - orig[i];
            else
                dst[i] = 0.5f + (src[i] - orig[i]) / (2 * range);
        }
        for (size_t i = d; i < plane; i++)
            dst[i] = white;
    }
    if (c == 3)
        canvas_put_rgb(cv, row, col, buf);
    else if (ref)
        canvas_put_diverging(cv, row, col, buf, range);
    else
        canvas_put_gray(cv, row, col, buf);
}

int target_grid_build(nn_canvas *cv, const float *orig, const float *adv, int rows, int classes,
                      int c, int h, int w, target_grid_view view, float range,
                      target_grid_geom geom, nn_err *err) {
    memset(cv, 0, sizeof *cv);
    if (rows < 1 || classes < 1 || h < 1 || w < 1 || geom.band < 0)
        return nn_fail(err, "target grid: bad shape (%d rows, %d classes, %dx%d, band %d)", rows,
                       classes, h, w, geom.band);
    if (c != 1 && c != 3)
        return nn_fail(err, "target grid: images of %d channels (1 or 3 are drawn)", c);
    if (view == TARGET_GRID_DELTA && !(range > 0))
        return nn_fail(err, "target grid: the delta range must be > 0");
    if (canvas_init(cv, rows, classes + 1, h + geom.band, w, geom.scale, geom.pad, err)) return -1;
    size_t d = (size_t)c * h * w;
    float *buf = malloc((size_t)c * (h + geom.band) * w * sizeof *buf);
    if (!buf) {
        canvas_free(cv);
        return nn_fail(err, "target grid: out of memory");
    }
    for (int r = 0; r < rows; r++) {
        const float *x = orig + r * d;
        put_cell(cv, r, 0, x, NULL, c, h, w, geom.band, range, buf);
        for (int j = 0; j < classes; j++) {
            const float *xa = adv + ((size_t)r * classes + j) * d;
            put_cell(cv, r, j + 1, xa, view == TARGET_GRID_DELTA ? x : NULL, c, h, w, geom.band,
                     range, buf);
        }
    }
    free(buf);
    return 0;
}

void target_grid_caption(const nn_canvas *cv, int h, int row, int col, double *x, double *y) {
    int x0, y0;
    canvas_cell_origin(cv, row, col, &x0, &y0);
    int band = cv->cell_h - h;
    *x = x0 + cv->cell_w * cv->scale / 2.0;
    *y = y0 + (h + band / 2.0) * cv->scale;
}
