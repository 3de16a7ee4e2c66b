/* augment.c - random crop (as a zero-filled shift) and horizontal flip (see augment.h).
 *
 * The in-place shift: out[r][q] = in[r + dy][q + dx]. Reading position (r + dy, q + dx) for
 * output (r, q): when the source lies after the destination in row-major order (dy > 0, or
 * dy == 0 and dx > 0) walking forwards reads every source before it is overwritten; when it
 * lies before, walking backwards does. Nothing else is needed: no scratch, no copy. */
#include "data/augment.h"

#include <string.h>

void augment_shift(float *x, int c, int h, int w, int dy, int dx) {
    if (dy == 0 && dx == 0) return;
    const int forward = dy > 0 || (dy == 0 && dx > 0);
    for (int ch = 0; ch < c; ch++) {
        float *p = x + (size_t)ch * h * w;
        for (int i = 0; i < h; i++) {
            const int r = forward ? i : h - 1 - i, sr = r + dy;
            float *row = p + (size_t)r * w;
            if (sr < 0 || sr >= h) {
                memset(row, 0, (size_t)w * sizeof *row);
                continue;
            }
            const float *src = p + (size_t)sr * w;
            for (int j = 0; j < w; j++) {
                const int q = forward ? j : w - 1 - j, sq = q + dx;
                row[q] = sq >= 0 && sq < w ? src[sq] : 0.0f;
            }
        }
    }
}

void augment_flip(float *x, int c, int h, int w) {
    for (size_t r = 0; r < (size_t)c * h; r++) {
        float *row = x + r * w;
        for (int a = 0, b = w - 1; a < b; a++, b--) {
            float t = row[a];
            row[a] = row[b];
            row[b] = t;
        }
    }
}

void augment_random_crop(float *x, int n, int c, int h, int w, int pad, nn_rng *rng) {
    if (pad <= 0) return;
    const size_t size = (size_t)c * h * w;
    for (int i = 0; i < n; i++) {
        const int dy = (int)rng_below(rng, 2 * (uint64_t)pad + 1) - pad;
        const int dx = (int)rng_below(rng, 2 * (uint64_t)pad + 1) - pad;
        augment_shift(x + i * size, c, h, w, dy, dx);
    }
}

void augment_random_flip(float *x, int n, int c, int h, int w, nn_rng *rng) {
    const size_t size = (size_t)c * h * w;
    for (int i = 0; i < n; i++)
        if (rng_next(rng) >> 63) augment_flip(x + i * size, c, h, w);
}
