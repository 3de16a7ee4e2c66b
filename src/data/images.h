/* images.h - labelled image sets (MNIST, CIFAR-10) loaded into memory as bytes.
 *
 * Every chapter trains on one of a few small image datasets. They are kept as the original
 * 8-bit pixels (a 60,000-image MNIST set is 47 MB as bytes, four times that as floats) and
 * converted to floats one mini-batch at a time with images_to_float.
 *
 * Layout: pixels are NCHW, i.e. image i, channel k, row y, column x is at
 *     pixels[((i * c + k) * h + y) * w + x]
 * MNIST has c = 1, h = w = 28; CIFAR-10 has c = 3 (R, G, B planes, as in its files), h = w = 32.
 * Labels are 0 .. classes-1, checked at load time so that no later code needs to.
 *
 * Loaders:
 *   mnist_load          the IDX pair (idx3 images, idx1 labels), gzipped or not.
 *   mnist_load_split    DATA_DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
 *   cifar10_load        one or more CIFAR-10 binary batches (1 label byte + 3072 pixel bytes
 *                       per record), gzipped or not, concatenated in the order given.
 *   cifar10_load_split  DATA_DIR/cifar-10/data_batch_{1..5}.bin[.gz] or test_batch.bin[.gz]
 * Every malformed file (wrong magic, dimension count, sizes that disagree with the file's
 * length or with each other, labels out of range) fails with a one-line error naming the
 * file. Sizes claimed by a header are checked against the bytes actually present before
 * anything is allocated from them. */
#ifndef NN_IMAGES_H
#define NN_IMAGES_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"

typedef struct nn_images {
    int n, c, h, w;
    uint8_t *pixels; /* n*c*h*w bytes, NCHW */
    uint8_t *labels; /* n bytes, each < classes */
    int classes;
} nn_images;

int mnist_load(const char *images_path, const char *labels_path, nn_images *out, nn_err *err);
/* split is "train" or "test". */
int mnist_load_split(const char *data_dir, const char *split, nn_images *out, nn_err *err);

int cifar10_load(const char *const *paths, int npaths, nn_images *out, nn_err *err);
/* split is "train" (the five data batches, in order) or "test". */
int cifar10_load_split(const char *data_dir, const char *split, nn_images *out, nn_err *err);
/* "airplane", "automobile", ... for labels 0..9; "?" for anything else. */
const char *cifar10_class_name(int label);

/* Frees the buffers and zeroes the struct; safe on a zeroed or already freed set. */
void images_free(nn_images *im);

/* dst becomes an independent copy of images first .. first+count-1 of src. */
int images_subset(const nn_images *src, size_t first, size_t count, nn_images *dst, nn_err *err);

/* Writes count*c*h*w floats, pixel/255 in [0, 1], for images first .. first+count-1 in the
 * same NCHW layout. The range must lie inside the set (a programming error otherwise). */
void images_to_float(const nn_images *im, size_t first, size_t count, float *out);

/* Bytes per image (c*h*w). */
size_t images_stride(const nn_images *im);

#endif
