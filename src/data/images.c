/* images.c - what all image sets share: freeing, copying a range, conversion to floats
 * (see images.h). The dataset-specific loaders live in mnist.c and cifar10.c. */
#include "data/images.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

size_t images_stride(const nn_images *im) {
    return (size_t)im->c * (size_t)im->h * (size_t)im->w;
}

void images_free(nn_images *im) {
    if (!im) return;
    free(im->pixels);
    free(im->labels);
    memset(im, 0, sizeof *im);
}

int images_subset(const nn_images *src, size_t first, size_t count, nn_images *dst, nn_err *err) {
    memset(dst, 0, sizeof *dst);
    if (first > (size_t)src->n || count > (size_t)src->n - first)
        return nn_fail(err, "images_subset: range %zu..+%zu outside a set of %d images", first,
                       count, src->n);
    size_t stride = images_stride(src);
    /* malloc(0) may return NULL; an empty subset is still a valid set. */
    uint8_t *pixels = malloc(count * stride + 1), *labels = malloc(count + 1);
    if (!pixels || !labels) {
        free(pixels);
        free(labels);
        return nn_fail(err, "images_subset: out of memory for %zu images", count);
    }
    memcpy(pixels, src->pixels + first * stride, count * stride);
    memcpy(labels, src->labels + first, count);
    *dst = (nn_images){.n = (int)count,
                       .c = src->c,
                       .h = src->h,
                       .w = src->w,
                       .pixels = pixels,
                       .labels = labels,
                       .classes = src->classes};
    return 0;
}

void images_to_float(const nn_images *im, size_t first, size_t count, float *out) {
    assert(first <= (size_t)im->n && count <= (size_t)im->n - first);
    size_t stride = images_stride(im);
    const uint8_t *p = im->pixels + first * stride;
    /* Multiplying by a constant reciprocal would be faster but not exact; x/255.0f is the
     * correctly rounded value, the same as NumPy's x / np.float32(255). */
    for (size_t i = 0; i < count * stride; i++)
        out[i] = (float)p[i] / 255.0f;
}
