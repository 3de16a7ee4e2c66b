/* loss.c - softmax cross-entropy and mean squared error (see layers.h).
 *
 * Sums over the batch are accumulated in double: the loss is what gets logged and compared
 * across runs, and a float running sum over a large batch would lose digits. */
#include <math.h>
#include <stddef.h>

#include "nn/layers.h"

float softmax_xent(const float *logits, const uint8_t *labels, int n, int classes,
                   float *d_logits) {
    double total = 0;
    const float inv_n = 1.0f / (float)n;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        const int label = labels[i];
        if (label >= classes) { /* z[label] would be read out of bounds: poison, do not guess */
            total = NAN;
            if (d_logits)
                for (int j = 0; j < classes; j++) d_logits[(size_t)i * classes + j] = NAN;
            continue;
        }
        const float z_label = z[label]; /* read before d (which may alias z) is written */
        float m = z[0];
        for (int j = 1; j < classes; j++) m = z[j] > m ? z[j] : m;
        /* -log softmax(z)_label = log sum_j exp(z_j) - z_label = m + log sum_j exp(z_j - m)
         * - z_label; every exponent is <= 0 and the sum is >= 1, so nothing overflows and
         * the log never sees 0. */
        float s = 0;
        if (d_logits) {
            float *d = d_logits + (size_t)i * classes;
            for (int j = 0; j < classes; j++) {
                d[j] = expf(z[j] - m); /* reads z[j] before overwriting it when aliased */
                s += d[j];
            }
            const float scale = inv_n / s;
            for (int j = 0; j < classes; j++) d[j] *= scale;
            d[label] -= inv_n;
        } else {
            for (int j = 0; j < classes; j++) s += expf(z[j] - m);
        }
        total += (double)m + log((double)s) - (double)z_label;
    }
    return (float)(total / n);
}

int softmax_xent_checked(const float *logits, const uint8_t *labels, int n, int classes,
                         float *d_logits, float *loss, nn_err *err) {
    for (int i = 0; i < n; i++)
        if (labels[i] >= classes)
            return nn_fail(err, "softmax_xent: label %d of sample %d is not below %d classes",
                           labels[i], i, classes);
    *loss = softmax_xent(logits, labels, n, classes, d_logits);
    return 0;
}

float mse_loss(const float *pred, const float *target, int n, int dim, float *d_pred) {
    const size_t len = (size_t)n * dim;
    double total = 0;
    for (size_t i = 0; i < len; i++) {
        double e = (double)pred[i] - target[i];
        total += e * e;
    }
    if (d_pred) {
        const float scale = 2.0f / (float)len;
        for (size_t i = 0; i < len; i++) d_pred[i] = scale * (pred[i] - target[i]);
    }
    return (float)(total / (double)len);
}

float softmax_xent_smooth(const float *logits, const uint8_t *labels, int n, int classes,
                          float eps, float *d_logits) {
    if (eps == 0.0f) return softmax_xent(logits, labels, n, classes, d_logits);
    double total = 0;
    const float inv_n = 1.0f / (float)n, off = eps / (float)classes, on = 1.0f - eps + off;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        const int label = labels[i];
        float m = z[0];
        double z_sum = 0;
        for (int j = 0; j < classes; j++) {
            m = z[j] > m ? z[j] : m;
            z_sum += z[j];
        }
        const double z_label = z[label]; /* read before d (which may alias z) is written */
        double s = 0;
        for (int j = 0; j < classes; j++) s += exp((double)z[j] - m);
        const double lse = (double)m + log(s);
        /* -sum_j t_j (z_j - lse) with t = off everywhere plus (on - off) at the label. */
        total += lse - (double)off * z_sum - (double)(on - off) * z_label;
        if (d_logits) {
            float *d = d_logits + (size_t)i * classes;
            for (int j = 0; j < classes; j++) d[j] = (float)(exp((double)z[j] - lse)) * inv_n;
            for (int j = 0; j < classes; j++) d[j] -= off * inv_n;
            d[label] -= (on - off) * inv_n;
        }
    }
    return (float)(total / n);
}
