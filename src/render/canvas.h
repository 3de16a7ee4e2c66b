/* canvas.h - grids of small images, written as PNG (libpng): digits, perturbations, samples.
 *
 * A canvas is rows x cols cells of cell_h x cell_w pixels, each pixel drawn as a
 * scale x scale block (so a 28x28 digit stays legible), separated by `pad` pixels of a light
 * grey background. Cells are filled from float images:
 *   - canvas_put_gray: values in [0, 1] as grey levels (0 black, 1 white; clamped);
 *   - canvas_put_rgb: three [0, 1] planes (CHW, as CIFAR-10 is stored);
 *   - canvas_put_diverging: signed values on a blue-white-red scale, -range blue, 0 white,
 *     +range red (clamped), the usual way to show a perturbation delta; the caller states
 *     the range in the figure's caption.
 * Pixels are stored as 8-bit RGB; canvas_write_png writes them with libpng. */
#ifndef NN_CANVAS_H
#define NN_CANVAS_H

#include <stdint.h>

#include "base/nn_err.h"

typedef struct nn_canvas {
    int rows, cols, cell_h, cell_w, scale, pad;
    int width, height; /* in pixels */
    uint8_t *rgb;      /* height * width * 3 */
} nn_canvas;

int canvas_init(nn_canvas *c, int rows, int cols, int cell_h, int cell_w, int scale, int pad,
                nn_err *err);
void canvas_free(nn_canvas *c);

void canvas_put_gray(nn_canvas *c, int row, int col, const float *img);
void canvas_put_rgb(nn_canvas *c, int row, int col, const float *chw);
void canvas_put_diverging(nn_canvas *c, int row, int col, const float *img, float range);

/* Top-left pixel of a cell (for tests and annotations). */
void canvas_cell_origin(const nn_canvas *c, int row, int col, int *x, int *y);

/* Writes the canvas as an 8-bit RGB PNG; atomically (temporary file, then rename). */
int canvas_write_png(const nn_canvas *c, const char *path, nn_err *err);

#endif
