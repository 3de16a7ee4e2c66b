/* clip.h - a test clip for the live program: frames with one face each, pasted at a place
 * and size known in advance, so that what the program finds and says can be scored.
 *
 * Every frame is the same background (a smooth ramp of grey with a faint ripple and noise,
 * drawn from the seed) with one 48x48 face scaled up to a square of min_side..max_side pixels
 * (area resampling, resample.h) at a random place; frame i's place and size depend only on
 * the seed and i, so any frame can be made again on its own. */
#ifndef CH06_CLIP_H
#define CH06_CLIP_H

#include <stdint.h>

#include "base/nn_err.h"
#include "resample.h"

typedef struct ch06_clip {
    int width, height, min_side, max_side;
    uint64_t seed;
    uint8_t *background; /* width x height */
} ch06_clip;

/* 0, or -1 when the faces cannot fit (max_side larger than the frame) or out of memory. */
int ch06_clip_init(ch06_clip *c, int width, int height, int min_side, int max_side,
                   uint64_t seed, nn_err *err);
/* Frame i (width x height grey bytes) with face (48x48) in it at *box. */
int ch06_clip_frame(const ch06_clip *c, long i, const uint8_t *face, uint8_t *frame,
                    ch06_box *box, nn_err *err);
void ch06_clip_free(ch06_clip *c);

#endif
