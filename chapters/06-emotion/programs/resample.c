/* resample.c - area-averaging resampling of a grey rectangle (see resample.h). */
#include "resample.h"

#include <stdlib.h>

static int clamp(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* How the n_out output pixels of one axis read the input: output j covers [j s, (j + 1) s)
 * of the box (s = box size / n_out) and takes from input k (box coordinates) the weight
 * |[k, k + 1) inside that span| / s. At most `taps` inputs each, from first[j] on; unused
 * taps weigh 0. */
typedef struct axis_weights {
    int taps;
    int *first;
    double *w; /* n_out x taps */
} axis_weights;

static int axis_weights_init(axis_weights *a, int box_size, int n_out) {
    double step = (double)box_size / n_out;
    a->taps = (int)step + 2;
    a->first = malloc(sizeof(int) * (size_t)n_out);
    a->w = calloc((size_t)n_out * a->taps, sizeof(double));
    if (!a->first || !a->w) return -1;
    for (int j = 0; j < n_out; j++) {
        /* j * box_size is exact, so the last span ends exactly at box_size */
        double lo = (double)j * box_size / n_out, hi = (double)(j + 1) * box_size / n_out;
        a->first[j] = (int)lo;
        for (int t = 0; t < a->taps; t++) {
            int k = a->first[j] + t;
            double from = lo > k ? lo : k, to = hi < k + 1 ? hi : k + 1;
            if (to > from) a->w[(size_t)j * a->taps + t] = (to - from) / (hi - lo);
        }
    }
    return 0;
}

static void axis_weights_free(axis_weights *a) {
    free(a->first);
    free(a->w);
}

int ch06_resample(const uint8_t *src, int sw, int sh, ch06_box box, uint8_t *dst, int dw, int dh,
                  nn_err *err) {
    if (sw < 1 || sh < 1 || box.w < 1 || box.h < 1 || dw < 1 || dh < 1)
        return nn_fail(err, "resample: %dx%d of a %dx%d image to %dx%d: sizes must be positive",
                       box.w, box.h, sw, sh, dw, dh);
    axis_weights across = {0}, down = {0};
    double *rows = malloc(sizeof(double) * (size_t)box.h * dw);
    int rc = 0;
    if (!rows || axis_weights_init(&across, box.w, dw) || axis_weights_init(&down, box.h, dh)) {
        rc = nn_fail(err, "resample: out of memory");
        goto done;
    }
    /* First along rows: every row of the box (clamped into the image) to dw columns. */
    for (int r = 0; r < box.h; r++) {
        const uint8_t *line = src + (size_t)clamp(box.y + r, 0, sh - 1) * sw;
        for (int j = 0; j < dw; j++) {
            const double *w = across.w + (size_t)j * across.taps;
            double sum = 0;
            for (int t = 0; t < across.taps; t++)
                if (w[t] > 0) sum += w[t] * line[clamp(box.x + across.first[j] + t, 0, sw - 1)];
            rows[(size_t)r * dw + j] = sum;
        }
    }
    /* Then down the columns of that, rounding once at the end. */
    for (int i = 0; i < dh; i++) {
        const double *w = down.w + (size_t)i * down.taps;
        for (int j = 0; j < dw; j++) {
            double sum = 0;
            for (int t = 0; t < down.taps; t++)
                if (w[t] > 0) sum += w[t] * rows[(size_t)(down.first[i] + t) * dw + j];
            sum += 0.5;
            dst[(size_t)i * dw + j] = (uint8_t)(sum >= 255 ? 255 : sum);
        }
    }
done:
    free(rows);
    axis_weights_free(&across);
    axis_weights_free(&down);
    return rc;
}

double ch06_box_iou(ch06_box a, ch06_box b) {
    if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0) return 0;
    int x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
    int x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
    double inter = x1 > x0 && y1 > y0 ? (double)(x1 - x0) * (y1 - y0) : 0;
    return inter / ((double)a.w * a.h + (double)b.w * b.h - inter);
}
