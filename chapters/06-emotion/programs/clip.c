/* clip.c - frames with a face at a known place (see clip.h). */
#include "clip.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "../classify.h"

int ch06_clip_init(ch06_clip *c, int width, int height, int min_side, int max_side,
                   uint64_t seed, nn_err *err) {
    memset(c, 0, sizeof *c);
    if (min_side < 1 || min_side > max_side || max_side > width || max_side > height)
        return nn_fail(err, "clip: faces of %d..%d pixels do not fit %dx%d frames", min_side,
                       max_side, width, height);
    c->width = width, c->height = height, c->min_side = min_side, c->max_side = max_side;
    c->seed = seed;
    if (!(c->background = malloc((size_t)width * height)))
        return nn_fail(err, "clip: out of memory");
    nn_rng rng;
    rng_seed(&rng, seed);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            double v = 70 + 80.0 * x / width + 40.0 * y / height +
                       10 * sin(x / 31.0) * cos(y / 17.0) + 8 * (rng_uniform(&rng) - 0.5);
            c->background[(size_t)y * width + x] = (uint8_t)lround(v);
        }
    return 0;
}

int ch06_clip_frame(const ch06_clip *c, long i, const uint8_t *face, uint8_t *frame,
                    ch06_box *box, nn_err *err) {
    nn_rng base, rng;
    rng_seed(&base, c->seed);
    rng = rng_split(&base, (uint64_t)i + 1); /* stream 0 is not used by frames */
    int side = c->min_side + (int)rng_below(&rng, (uint64_t)(c->max_side - c->min_side + 1));
    *box = (ch06_box){(int)rng_below(&rng, (uint64_t)(c->width - side + 1)),
                      (int)rng_below(&rng, (uint64_t)(c->height - side + 1)), side, side};
    uint8_t *big = malloc((size_t)side * side);
    if (!big) return nn_fail(err, "clip: out of memory");
    int rc = ch06_resample(face, CH06_SIDE, CH06_SIDE, (ch06_box){0, 0, CH06_SIDE, CH06_SIDE}, big,
                           side, side, err);
    if (!rc) {
        memcpy(frame, c->background, (size_t)c->width * c->height);
        for (int y = 0; y < side; y++)
            memcpy(frame + (size_t)(box->y + y) * c->width + box->x, big + (size_t)y * side,
                   (size_t)side);
    }
    free(big);
    return rc;
}

void ch06_clip_free(ch06_clip *c) {
    free(c->background);
    c->background = NULL;
}
