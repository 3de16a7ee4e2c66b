/* batches.c - mini-batch iteration over an image set (see batches.h). */
#include "data/batches.h"

#include <stdlib.h>
#include <string.h>

int batches_init(nn_batches *b, const nn_images *data, int batch_size, nn_err *err) {
    memset(b, 0, sizeof *b);
    if (batch_size < 1) return nn_fail(err, "batch size must be at least 1, not %d", batch_size);
    if (data->n < 1) return nn_fail(err, "cannot make batches of an empty image set");
    size_t stride = images_stride(data);
    b->data = data;
    b->batch_size = batch_size;
    b->order = malloc(sizeof *b->order * (size_t)data->n);
    b->x = malloc(sizeof *b->x * stride * (size_t)batch_size);
    b->y = malloc((size_t)batch_size);
    if (!b->order || !b->x || !b->y) {
        batches_free(b);
        return nn_fail(err, "out of memory for batches of %d images", batch_size);
    }
    batches_rewind(b);
    return 0;
}

void batches_rewind(nn_batches *b) {
    for (int i = 0; i < b->data->n; i++) b->order[i] = i;
    b->position = 0;
}

void batches_shuffle(nn_batches *b, nn_rng *rng) {
    batches_rewind(b);
    rng_shuffle(rng, b->order, (size_t)b->data->n);
}

int batches_next(nn_batches *b) {
    int left = b->data->n - b->position;
    int n = left < b->batch_size ? left : b->batch_size;
    size_t stride = images_stride(b->data);
    for (int k = 0; k < n; k++) {
        int i = b->order[b->position + k];
        images_to_float(b->data, (size_t)i, 1, b->x + (size_t)k * stride);
        b->y[k] = b->data->labels[i];
    }
    b->first = b->position;
    b->position += n;
    b->count = n;
    return n;
}

int batches_per_epoch(const nn_batches *b) {
    return (b->data->n + b->batch_size - 1) / b->batch_size;
}

void batches_free(nn_batches *b) {
    free(b->order);
    free(b->x);
    free(b->y);
    memset(b, 0, sizeof *b);
}
