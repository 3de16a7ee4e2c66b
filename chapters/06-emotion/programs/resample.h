/* resample.h - a rectangle of a grey image scaled to another size by area averaging: how
 * the live program turns a detected face box into the 48x48 face the classifier reads, and
 * how the test clip pastes a 48x48 face into a frame at a larger size.
 *
 * Each output pixel is the mean of the source area it covers, each source pixel weighted by
 * the fraction of it inside that area (so a box k times the output size averages k x k
 * blocks, and an output k times the box repeats each pixel k x k times). Source pixels
 * outside the image repeat the nearest edge pixel, so a box that sticks out of the frame (a
 * face at the border) still gives a full face. Results are rounded to the nearest grey level:
 * averaging equal pixels gives that pixel exactly. */
#ifndef CH06_RESAMPLE_H
#define CH06_RESAMPLE_H

#include <stdint.h>

#include "base/nn_err.h"

/* A rectangle in pixels: left, top, width, height. */
typedef struct ch06_box {
    int x, y, w, h;
} ch06_box;

/* dst (dw x dh) = the area [box.x, box.x + box.w) x [box.y, box.y + box.h) of src (sw x sh)
 * scaled to dw x dh. 0, or -1 if a size is not positive or out of memory. */
int ch06_resample(const uint8_t *src, int sw, int sh, ch06_box box, uint8_t *dst, int dw, int dh,
                  nn_err *err);

/* The intersection over union of two boxes (0 when either is empty). */
double ch06_box_iou(ch06_box a, ch06_box b);

#endif
