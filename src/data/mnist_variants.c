/* mnist_variants.c - the chapter 02 test-set variants and input stages (see mnist_variants.h). */
#include "data/mnist_variants.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"

const char *variant_name(int variant) {
    static const char *const names[VARIANT_COUNT] = {"clean", "t1", "t2", "t3", "t4"};
    return variant >= 0 && variant < VARIANT_COUNT ? names[variant] : "?";
}

/* ---- per image ---------------------------------------------------------------------------- */

void variant_random_permutation(int *perm, int n, nn_rng *rng) {
    for (int k = 0; k < n; k++) perm[k] = k;
    rng_shuffle(rng, perm, (size_t)n);
}

int variant_is_permutation(const int *perm, int n) {
    if (n < 0) return 0;
    uint8_t *seen = calloc((size_t)n + 1, 1);
    if (!seen) return 0;
    int ok = 1;
    for (int k = 0; k < n && ok; k++) {
        if (perm[k] < 0 || perm[k] >= n || seen[perm[k]]) ok = 0;
        else seen[perm[k]] = 1;
    }
    free(seen);
    return ok;
}

void variant_permute(uint8_t *dst, const uint8_t *src, const int *perm, int n) {
    for (int k = 0; k < n; k++) dst[k] = src[perm[k]];
}

void variant_invert(uint8_t *dst, const uint8_t *src, int n) {
    for (int k = 0; k < n; k++) dst[k] = (uint8_t)(255 - src[k]);
}

void variant_shift(uint8_t *dst, const uint8_t *src, int h, int w, int dy, int dx) {
    memset(dst, 0, (size_t)h * (size_t)w);
    /* Rows y of dst with 0 <= y - dy < h, columns x with 0 <= x - dx < w. */
    int y0 = dy > 0 ? dy : 0, y1 = dy < 0 ? h + dy : h;
    int x0 = dx > 0 ? dx : 0, x1 = dx < 0 ? w + dx : w;
    if (x1 <= x0) return;
    for (int y = y0; y < y1; y++)
        memcpy(dst + (size_t)y * w + x0, src + (size_t)(y - dy) * w + (x0 - dx),
               (size_t)(x1 - x0));
}

void variant_random_shift(nn_rng *rng, int max_shift, int *dy, int *dx) {
    uint64_t span = (uint64_t)(2 * max_shift + 1);
    *dy = (int)rng_below(rng, span) - max_shift;
    *dx = (int)rng_below(rng, span) - max_shift;
}

void variant_sort(uint8_t *dst, const uint8_t *src, int n) {
    int count[256] = {0};
    for (int k = 0; k < n; k++) count[src[k]]++;
    int k = 0;
    for (int v = 255; v >= 0; v--)
        for (int c = 0; c < count[v]; c++) dst[k++] = (uint8_t)v;
}

int variant_centre_of_mass(const uint8_t *src, int h, int w, double *cy, double *cx) {
    double mass = 0, sy = 0, sx = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = src[(size_t)y * w + x];
            mass += v;
            sy += v * y;
            sx += v * x;
        }
    if (mass == 0) {
        *cy = (h - 1) / 2.0;
        *cx = (w - 1) / 2.0;
        return -1;
    }
    *cy = sy / mass;
    *cx = sx / mass;
    return 0;
}

void variant_recentre_shift(const uint8_t *src, int h, int w, double ty, double tx, int *dy,
                            int *dx) {
    double cy, cx;
    if (variant_centre_of_mass(src, h, w, &cy, &cx)) {
        *dy = *dx = 0;
        return;
    }
    *dy = (int)lround(ty - cy);
    *dx = (int)lround(tx - cx);
}

void variant_recentre(uint8_t *dst, const uint8_t *src, int h, int w, double ty, double tx) {
    int dy, dx;
    variant_recentre_shift(src, h, w, ty, tx, &dy, &dx);
    variant_shift(dst, src, h, w, dy, dx);
}

long variant_mass(const uint8_t *src, int n) {
    long s = 0;
    for (int k = 0; k < n; k++) s += src[k];
    return s;
}

/* ---- whole sets ---------------------------------------------------------------------------- */

/* dst: a set shaped like src, labels copied, pixels uninitialised. */
static int alloc_like(const nn_images *src, nn_images *dst, const char *what, nn_err *err) {
    memset(dst, 0, sizeof *dst);
    if (src->c != 1)
        return nn_fail(err, "%s: variants are defined on single-channel images, not %d channels",
                       what, src->c);
    if (src->n < 0 || src->h < 1 || src->w < 1)
        return nn_fail(err, "%s: bad image set shape", what);
    size_t bytes = (size_t)src->n * images_stride(src);
    *dst = (nn_images){.n = src->n, .c = 1, .h = src->h, .w = src->w, .classes = src->classes};
    dst->pixels = malloc(bytes ? bytes : 1);
    dst->labels = malloc(src->n ? (size_t)src->n : 1);
    if (!dst->pixels || !dst->labels) {
        images_free(dst);
        return nn_fail(err, "%s: out of memory for %d images", what, src->n);
    }
    memcpy(dst->labels, src->labels, (size_t)src->n);
    return 0;
}

int variants_permute_fixed(const nn_images *src, const int *perm, nn_images *dst, nn_err *err) {
    int d = src->h * src->w;
    memset(dst, 0, sizeof *dst);
    if (!variant_is_permutation(perm, d))
        return nn_fail(err, "t1: not a permutation of %d pixel positions", d);
    if (alloc_like(src, dst, "t1", err)) return -1;
    for (int i = 0; i < src->n; i++)
        variant_permute(dst->pixels + (size_t)i * d, src->pixels + (size_t)i * d, perm, d);
    return 0;
}

int variants_permute_each(const nn_images *src, nn_rng *rng, nn_images *dst, int *perms,
                          nn_err *err) {
    int d = src->h * src->w;
    if (alloc_like(src, dst, "t2", err)) return -1;
    int *own = perms ? NULL : malloc(sizeof *own * (size_t)d);
    if (!perms && !own) {
        images_free(dst);
        return nn_fail(err, "t2: out of memory");
    }
    for (int i = 0; i < src->n; i++) {
        int *perm = perms ? perms + (size_t)i * d : own;
        variant_random_permutation(perm, d, rng);
        variant_permute(dst->pixels + (size_t)i * d, src->pixels + (size_t)i * d, perm, d);
    }
    free(own);
    return 0;
}

int variants_invert(const nn_images *src, nn_images *dst, nn_err *err) {
    if (alloc_like(src, dst, "t3", err)) return -1;
    variant_invert(dst->pixels, src->pixels, src->n * src->h * src->w);
    return 0;
}

int variants_shift(const nn_images *src, int max_shift, nn_rng *rng, nn_images *dst, int *shifts,
                   nn_err *err) {
    memset(dst, 0, sizeof *dst);
    if (max_shift < 0) return nn_fail(err, "t4: the largest shift must be >= 0, not %d", max_shift);
    if (alloc_like(src, dst, "t4", err)) return -1;
    int d = src->h * src->w;
    for (int i = 0; i < src->n; i++) {
        int dy, dx;
        variant_random_shift(rng, max_shift, &dy, &dx);
        variant_shift(dst->pixels + (size_t)i * d, src->pixels + (size_t)i * d, src->h, src->w,
                      dy, dx);
        if (shifts) shifts[2 * i] = dy, shifts[2 * i + 1] = dx;
    }
    return 0;
}

int variants_sort(const nn_images *src, nn_images *dst, nn_err *err) {
    if (alloc_like(src, dst, "sort", err)) return -1;
    int d = src->h * src->w;
    for (int i = 0; i < src->n; i++)
        variant_sort(dst->pixels + (size_t)i * d, src->pixels + (size_t)i * d, d);
    return 0;
}

int variants_recentre(const nn_images *src, double ty, double tx, nn_images *dst, nn_err *err) {
    if (alloc_like(src, dst, "recentre", err)) return -1;
    int d = src->h * src->w;
    for (int i = 0; i < src->n; i++)
        variant_recentre(dst->pixels + (size_t)i * d, src->pixels + (size_t)i * d, src->h, src->w,
                         ty, tx);
    return 0;
}

int variants_mean_centre(const nn_images *src, double *ty, double *tx, nn_err *err) {
    if (src->c != 1) return nn_fail(err, "mean centre: single-channel images only");
    double sy = 0, sx = 0;
    long counted = 0;
    int d = src->h * src->w;
    for (int i = 0; i < src->n; i++) {
        double cy, cx;
        if (variant_centre_of_mass(src->pixels + (size_t)i * d, src->h, src->w, &cy, &cx)) continue;
        sy += cy;
        sx += cx;
        counted++;
    }
    if (!counted) return nn_fail(err, "mean centre: every image is blank");
    *ty = sy / counted;
    *tx = sx / counted;
    return 0;
}

/* ---- .npy exchange ------------------------------------------------------------------------- */

int variants_write_npy(const nn_images *set, const char *images_path, const char *labels_path,
                       nn_err *err) {
    if (set->c != 1)
        return nn_fail(err, "%s: only single-channel sets are written as n x h x w", images_path);
    size_t shape[3] = {(size_t)set->n, (size_t)set->h, (size_t)set->w};
    if (npy_write(images_path, NPY_U8, 3, shape, set->pixels, err)) return -1;
    return npy_write(labels_path, NPY_U8, 1, shape, set->labels, err);
}

/* Labels as classes: uint8, int32 or int64 (NumPy's default integer), each in 0..classes-1.
 * Fills a fresh uint8 array; every other dtype and every value out of range is refused. */
static int read_labels(const npy_array *lb, const char *path, int classes, uint8_t **out,
                       nn_err *err) {
    *out = NULL;
    if (lb->dtype != NPY_U8 && lb->dtype != NPY_I32 && lb->dtype != NPY_I64)
        return nn_fail(err,
                       "%s: labels must be integers (uint8, int32 or int64), this file has %s",
                       path, npy_dtype_name(lb->dtype));
    uint8_t *narrow = malloc(lb->count ? lb->count : 1);
    if (!narrow) return nn_fail(err, "%s: out of memory", path);
    for (size_t i = 0; i < lb->count; i++) {
        int64_t v = lb->dtype == NPY_U8    ? ((const uint8_t *)lb->data)[i]
                    : lb->dtype == NPY_I32 ? ((const int32_t *)lb->data)[i]
                                           : ((const int64_t *)lb->data)[i];
        if (v < 0 || v >= classes) {
            free(narrow);
            return nn_fail(err, "%s: %s label %lld at index %zu is not in 0..%d", path,
                           npy_dtype_name(lb->dtype), (long long)v, i, classes - 1);
        }
        narrow[i] = (uint8_t)v;
    }
    *out = narrow;
    return 0;
}

/* Pixels as grey levels: uint8 as they are, float32/float64 in [0, 1] to the nearest of the
 * 256 levels. Integer types other than uint8 are refused even when their values would fit:
 * an int64 array of 0/1 and one of 0..255 look alike, and guessing the scale is how images
 * silently turn black. */
static int read_pixels(const npy_array *im, const char *path, uint8_t *px, nn_err *err) {
    switch (im->dtype) {
    case NPY_U8:
        memcpy(px, im->data, im->count);
        return 0;
    case NPY_F32:
    case NPY_F64:
        for (size_t k = 0; k < im->count; k++) {
            double x = im->dtype == NPY_F32 ? (double)((const float *)im->data)[k]
                                            : ((const double *)im->data)[k];
            if (!(x >= 0.0 && x <= 1.0)) /* also catches NaN */
                return nn_fail(err, "%s: %s pixel %g at index %zu is outside [0, 1]", path,
                               npy_dtype_name(im->dtype), x, k);
            px[k] = (uint8_t)lrint(x * 255.0);
        }
        return 0;
    default:
        return nn_fail(err,
                       "%s: images of dtype %s are not supported: give uint8 in 0..255 "
                       "(a.astype(np.uint8)) or float32/float64 in [0, 1]",
                       path, npy_dtype_name(im->dtype));
    }
}

int variants_read_npy(const char *images_path, const char *labels_path, int h, int w, int classes,
                      nn_images *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    npy_array im = {0}, lb = {0};
    uint8_t *labels = NULL;
    int rc = -1;
    if (npy_read(images_path, &im, err)) goto done;
    if (npy_read(labels_path, &lb, err)) goto done;
    /* n x h x w as saved from an image array, or n x (h*w) as saved from flat vectors. */
    int shape_ok = (im.ndim == 3 && im.shape[1] == (size_t)h && im.shape[2] == (size_t)w) ||
                   (im.ndim == 2 && im.shape[1] == (size_t)h * (size_t)w);
    if (!shape_ok) {
        char got[NPY_MAX_DIMS * 24 + 4];
        size_t n = 0;
        got[n++] = '(';
        for (int k = 0; k < im.ndim; k++)
            n += (size_t)snprintf(got + n, sizeof got - n, "%s%zu", k ? ", " : "", im.shape[k]);
        snprintf(got + n, sizeof got - n, "%s)", im.ndim == 1 ? "," : "");
        nn_fail(err, "%s: images must have shape (n, %d, %d) or (n, %d), this file has %s",
                images_path, h, w, h * w, got);
        goto done;
    }
    if (im.shape[0] < 1 || im.shape[0] > (size_t)1 << 30) {
        nn_fail(err, "%s: %zu images (want 1 to 2^30)", images_path, im.shape[0]);
        goto done;
    }
    if (lb.ndim != 1 || lb.shape[0] != im.shape[0]) {
        nn_fail(err, "%s: labels must have shape (%zu,), one per image of %s", labels_path,
                im.shape[0], images_path);
        goto done;
    }
    if (read_labels(&lb, labels_path, classes, &labels, err)) goto done;
    *out = (nn_images){.n = (int)im.shape[0], .c = 1, .h = h, .w = w, .classes = classes};
    if (!(out->pixels = malloc(im.count))) {
        nn_fail(err, "%s: out of memory", images_path);
        goto done;
    }
    if (read_pixels(&im, images_path, out->pixels, err)) goto done;
    out->labels = labels;
    labels = NULL;
    rc = 0;
done:
    free(labels);
    npy_free(&im);
    npy_free(&lb);
    if (rc) images_free(out);
    return rc;
}
