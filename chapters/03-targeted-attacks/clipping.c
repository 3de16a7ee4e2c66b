/* clipping.c - what [0, 1] takes from an FGSM step (see clipping.h). */
#include "clipping.h"

#include <math.h>
#include <stddef.h>

void ch_clip_accumulate(ch_clip_sums *s, const float *x, const float *g, const float *adv, int n,
                        int d, float eps) {
    for (int k = 0; k < n; k++) {
        const float *xk = x + (size_t)k * d, *gk = g + (size_t)k * d, *ak = adv + (size_t)k * d;
        double asked_gain = 0, lost_gain = 0, lost_at0 = 0, asked_l1 = 0, lost_l1 = 0;
        for (int j = 0; j < d; j++) {
            if (gk[j] == 0) continue;
            double w = fabs((double)gk[j]);
            double lost = (double)eps - fabs((double)ak[j] - xk[j]);
            if (lost < 0) lost = 0; /* float rounding of a full step */
            asked_gain += w * eps;
            lost_gain += w * lost;
            if (ak[j] == 0) lost_at0 += w * lost;
            asked_l1 += eps;
            lost_l1 += lost;
        }
        if (!(asked_gain > 0)) continue;
        s->lost_gain += lost_gain / asked_gain;
        s->lost_at0 += lost_at0 / asked_gain;
        s->lost_l1 += lost_l1 / asked_l1;
        s->images++;
    }
}

void ch_fgsm_unclipped(const float *x, const float *g, long count, float eps, float *out) {
    for (long i = 0; i < count; i++)
        out[i] = x[i] - eps * (g[i] > 0 ? 1.0f : g[i] < 0 ? -1.0f : 0.0f);
}
