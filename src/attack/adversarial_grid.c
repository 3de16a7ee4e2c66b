/* adversarial_grid.c - grids and statistics of adversarial perturbations (see the header). */
#include "attack/adversarial_grid.h"

#include <math.h>
#include <stdlib.h>

int adv_grid_build(nn_canvas *c, const float *orig, const float *adv, int rows, int h, int w,
                   float range, adv_grid_style style, nn_err *err) {
    if (rows < 1 || h < 1 || w < 1) return nn_fail(err, "adversarial grid: empty (%d rows)", rows);
    if (!(range > 0)) return nn_fail(err, "adversarial grid: the delta range must be > 0");
    if (canvas_init(c, rows, ADV_GRID_COLS, h, w, style.scale, style.pad, err)) return -1;
    size_t d = (size_t)h * w;
    float *delta = malloc(d * sizeof *delta);
    if (!delta) {
        canvas_free(c);
        return nn_fail(err, "adversarial grid: out of memory");
    }
    for (int r = 0; r < rows; r++) {
        const float *x = orig + r * d, *xa = adv + r * d;
        for (size_t i = 0; i < d; i++)
            delta[i] = xa[i] - x[i];
        canvas_put_gray(c, r, 0, x);
        canvas_put_diverging(c, r, 1, delta, range);
        canvas_put_gray(c, r, 2, xa);
    }
    free(delta);
    return 0;
}

float adv_max_abs_delta(const float *orig, const float *adv, long count) {
    float m = 0;
    for (long i = 0; i < count; i++) {
        float a = fabsf(adv[i] - orig[i]);
        if (a > m) m = a;
    }
    return m;
}

static int compare_floats(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int adv_abs_delta_quantile(const float *orig, const float *adv, long count, double q, float *out,
                           nn_err *err) {
    if (count < 1 || !(q > 0 && q <= 1))
        return nn_fail(err, "delta quantile: needs count >= 1 and 0 < q <= 1 (count %ld, q %g)",
                       count, q);
    float *a = malloc((size_t)count * sizeof *a);
    if (!a) return nn_fail(err, "delta quantile: out of memory for %ld values", count);
    for (long i = 0; i < count; i++)
        a[i] = fabsf(adv[i] - orig[i]);
    qsort(a, (size_t)count, sizeof *a, compare_floats);
    long rank = (long)ceil(q * (double)count); /* 1-based, in [1, count] */
    if (rank < 1) rank = 1;
    if (rank > count) rank = count;
    *out = a[rank - 1];
    free(a);
    return 0;
}

void adv_delta_accumulate(adv_delta_sums *s, const float *orig, const float *adv, int n, int d,
                          float ink, const int *include, double *mean_delta) {
    for (int k = 0; k < n; k++) {
        if (include && !include[k]) continue;
        const float *x = orig + (size_t)k * d, *xa = adv + (size_t)k * d;
        for (int j = 0; j < d; j++) {
            double delta = (double)xa[j] - x[j], sq = delta * delta;
            int stroke = x[j] >= ink;
            s->total_sq += sq;
            s->stroke_sq += stroke ? sq : 0;
            s->added_sq += delta > 0 ? sq : 0;
            s->stroke_pixels += stroke;
            if (mean_delta) mean_delta[j] += delta;
        }
        s->pixels += d;
        s->samples++;
    }
}

double adv_stroke_mass_share(const adv_delta_sums *s) {
    return s->total_sq > 0 ? s->stroke_sq / s->total_sq : 0;
}

double adv_added_mass_share(const adv_delta_sums *s) {
    return s->total_sq > 0 ? s->added_sq / s->total_sq : 0;
}

double adv_stroke_pixel_share(const adv_delta_sums *s) {
    return s->pixels > 0 ? s->stroke_pixels / s->pixels : 0;
}
