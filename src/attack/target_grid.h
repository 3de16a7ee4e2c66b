/* target_grid.h - the picture of a targeted attack towards every class.
 *
 * One row per source image; column 0 is the original, column 1 + j the adversarial made for
 * target class j (so the row of a '3' has the original '3' in column 0 and again in column
 * 4, where the target is its own class). Under every cell is a white band of `band` image
 * rows where a figure writes a caption (the target and the probability reached): the
 * chapter's gnuplot script lays text over the PNG at the positions target_grid_caption gives.
 *
 *     nn_canvas cv;
 *     target_grid_build(&cv, orig, adv, 5, 10, 1, 28, 28, TARGET_GRID_IMAGES, 0, geom, &err);
 *     canvas_write_png(&cv, "grid.png", &err);  canvas_free(&cv);
 *
 * Views:
 *   TARGET_GRID_IMAGES   the images themselves (grey for 1 channel, RGB for 3);
 *   TARGET_GRID_DELTA    the perturbations adv - orig of the target columns, against the
 *                        original in column 0: for 1 channel on canvas.h's blue-white-red
 *                        scale (-range blue, 0 white, +range red), for 3 channels as the RGB
 *                        image 0.5 + delta / (2 range) per channel (mid-grey: no change).
 * Inputs: orig holds rows images, adv rows * classes images (row r, target j at
 * r * classes + j), each c * h * w floats in NCHW order, values in [0, 1]. */
#ifndef NN_TARGET_GRID_H
#define NN_TARGET_GRID_H

#include "base/nn_err.h"
#include "render/canvas.h"

typedef enum target_grid_view { TARGET_GRID_IMAGES, TARGET_GRID_DELTA } target_grid_view;

typedef struct target_grid_geom {
    int scale; /* canvas pixels per image pixel, >= 1 */
    int pad;   /* background pixels between cells, >= 0 */
    int band;  /* white image rows under each image for a caption, >= 0 */
} target_grid_geom;

/* Builds the canvas (initialised here; the caller frees it). c is 1 or 3; range > 0 for the
 * delta view (ignored for images). */
int target_grid_build(nn_canvas *cv, const float *orig, const float *adv, int rows, int classes,
                      int c, int h, int w, target_grid_view view, float range,
                      target_grid_geom geom, nn_err *err);

/* Where the caption of cell (row, col) goes: the centre of its band, in canvas pixels from
 * the top-left corner. */
void target_grid_caption(const nn_canvas *cv, int h, int row, int col, double *x, double *y);

#endif
