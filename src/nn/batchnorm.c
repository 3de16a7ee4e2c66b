/* batchnorm.c - batch normalisation, forward and backward (see layers.h for the formulas).
 *
 * Channel ch of sample i is the contiguous run x[(i*c + ch)*s ...] of s values; a channel's
 * statistics gather n such runs. Sums are taken in double (a batch of 128 28x28 planes is
 * 100k values; a float running sum would lose the low digits that the variance is made of),
 * in a fixed order, one channel per thread, so results do not depend on the thread count.
 * The variance is computed in two passes (mean first), which stays accurate when the mean is
 * large compared to the spread. */
#include <math.h>

#include "nn/layers.h"
#include "base/parallel.h"

void batchnorm_forward(float *y, float *save_mean, float *save_inv_std, float *run_mean,
                       float *run_var, const float *x, const float *gamma, const float *beta,
                       int n, int c, int s, float momentum, float eps, int training) {
    const double m = (double)n * s;
#pragma omp parallel for schedule(static) if ((long)n * c * s >= NN_PAR_MIN_FLOATS)
    for (int ch = 0; ch < c; ch++) {
        double mean, var;
        if (training) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                const float *xr = x + ((size_t)i * c + ch) * s;
                for (int j = 0; j < s; j++) sum += xr[j];
            }
            mean = sum / m;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                const float *xr = x + ((size_t)i * c + ch) * s;
                for (int j = 0; j < s; j++) ss += (xr[j] - mean) * (xr[j] - mean);
            }
            var = ss / m;
            const double unbiased = m > 1 ? ss / (m - 1) : var;
            run_mean[ch] = (float)((1 - momentum) * run_mean[ch] + momentum * mean);
            run_var[ch] = (float)((1 - momentum) * run_var[ch] + momentum * unbiased);
        } else {
            mean = run_mean[ch];
            var = run_var[ch];
        }
        const float inv_std = (float)(1.0 / sqrt(var + eps));
        save_mean[ch] = (float)mean;
        save_inv_std[ch] = inv_std;
        /* y = a x + b with a = gamma inv_std, b = beta - mean a: one multiply-add per value. */
        const float a = gamma[ch] * inv_std, b = beta[ch] - (float)mean * a;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * s;
            float *yr = y + ((size_t)i * c + ch) * s;
            for (int j = 0; j < s; j++) yr[j] = a * xr[j] + b;
        }
    }
}

void batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                        const float *x, const float *gamma, const float *save_mean,
                        const float *save_inv_std, int n, int c, int s, int training) {
    const double m = (double)n * s;
#pragma omp parallel for schedule(static) if ((long)n * c * s >= NN_PAR_MIN_FLOATS)
    for (int ch = 0; ch < c; ch++) {
        const float mean = save_mean[ch], inv_std = save_inv_std[ch];
        double sum_dy = 0, sum_dy_xhat = 0;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * s, *dyr = dy + ((size_t)i * c + ch) * s;
            for (int j = 0; j < s; j++) {
                sum_dy += dyr[j];
                sum_dy_xhat += (double)dyr[j] * ((xr[j] - mean) * inv_std);
            }
        }
        if (dgamma) dgamma[ch] = (float)sum_dy_xhat;
        if (dbeta) dbeta[ch] = (float)sum_dy;
        if (!dx) continue;
        const float g = gamma[ch] * inv_std;
        /* Training: dx = g (dy - mean(dy) - xhat mean(dy xhat)); the two means carry the
         * dependence of the batch statistics on x. Inference: the statistics are constants. */
        const float mdy = training ? (float)(sum_dy / m) : 0.0f;
        const float mdyx = training ? (float)(sum_dy_xhat / m) : 0.0f;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * s, *dyr = dy + ((size_t)i * c + ch) * s;
            float *dxr = dx + ((size_t)i * c + ch) * s;
            for (int j = 0; j < s; j++) {
                const float xhat = (xr[j] - mean) * inv_std;
                dxr[j] = g * (dyr[j] - mdy - xhat * mdyx);
            }
        }
    }
}
