/* adversarial_grid.h - pictures and statistics of adversarial perturbations.
 *
 * adv_grid_build draws the figure the targeted-attack chapter asks for: one row per
 * example and three columns,
 *     original (grey) | delta = x' - x (blue-white-red, -range blue, 0 white, +range red)
 *     | adversarial x' (grey),
 * on a canvas (canvas.h) that the caller writes as PNG and frees. Cells are h x w images
 * drawn as `scale` x `scale` blocks with `pad` pixels of background between them.
 *
 * adv_delta_* describe *where* a batch of perturbations puts its energy: on the digit's
 * stroke (pixels of the original at least `ink`) or off it, and whether it adds or removes
 * intensity. Sums are accumulated over calls so a whole test set can be described batch by
 * batch; shares are taken at the end. */
#ifndef NN_ADVERSARIAL_GRID_H
#define NN_ADVERSARIAL_GRID_H

#include "render/canvas.h"
#include "base/nn_err.h"

#define ADV_GRID_COLS 3

typedef struct adv_grid_style {
    int scale; /* pixels per image pixel, >= 1 */
    int pad;   /* background pixels between cells, >= 0 */
} adv_grid_style;

/* rows samples of h*w floats each in orig and adv (row r at r*h*w). range > 0 is the
 * |delta| mapped to full blue / full red. The canvas is initialised here. */
int adv_grid_build(nn_canvas *c, const float *orig, const float *adv, int rows, int h, int w,
                   float range, adv_grid_style style, nn_err *err);

/* Largest |adv - orig| over count values (0 if count is 0). */
float adv_max_abs_delta(const float *orig, const float *adv, long count);

/* The q-quantile (0 < q <= 1) of |adv - orig| over count >= 1 values, by nearest rank: the
 * ceil(q count)-th smallest. A grid's colour range: with q = 0.99 a handful of extreme
 * pixels cannot wash out the rest of the scale, as the maximum (q = 1) lets one pixel do;
 * the few beyond it are drawn at full colour. */
int adv_abs_delta_quantile(const float *orig, const float *adv, long count, double q, float *out,
                           nn_err *err);

typedef struct adv_delta_sums {
    double total_sq;      /* sum of delta^2 over every pixel */
    double stroke_sq;     /* ... over pixels where orig >= ink */
    double added_sq;      /* ... over pixels where delta > 0 */
    double pixels;        /* pixels seen */
    double stroke_pixels; /* pixels where orig >= ink */
    long samples;
} adv_delta_sums;

/* Adds n samples of d pixels to s; sample k counts only if include is NULL or include[k]. If
 * mean_delta is not NULL (d floats) the included deltas are added to it (divide by
 * s->samples at the end for the average delta image). */
void adv_delta_accumulate(adv_delta_sums *s, const float *orig, const float *adv, int n, int d,
                          float ink, const int *include, double *mean_delta);

/* Shares in [0, 1]: of the squared L2 mass on the stroke, of the mass that adds intensity,
 * and of the pixels that are stroke (the share of mass a perturbation spread evenly would
 * put on the stroke). 0 when nothing was accumulated. */
double adv_stroke_mass_share(const adv_delta_sums *s);
double adv_added_mass_share(const adv_delta_sums *s);
double adv_stroke_pixel_share(const adv_delta_sums *s);

#endif
