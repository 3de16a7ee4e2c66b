/* quiz_losses.c - question 3's four losses and their gradients (see quiz_losses.h). */
#include "quiz_losses.h"

#include <math.h>
#include <string.h>

quiz_loss_spec quiz_loss_spec_of(quiz_loss which) {
    switch (which) {
    case QUIZ_A:
        return (quiz_loss_spec){1, 0, +1};
    case QUIZ_B:
        return (quiz_loss_spec){0, 1, +1};
    case QUIZ_C:
        return (quiz_loss_spec){1, 0, -1};
    default:
        return (quiz_loss_spec){0, 1, -1};
    }
}

const char *quiz_loss_name(quiz_loss which) {
    static const char *names[] = {"A", "B", "C", "D"};
    return which >= QUIZ_A && which <= QUIZ_D ? names[which] : "?";
}

double quiz_loss_value(const quiz_variant *v, const quiz_pair *pair, const float *x, int d,
                       const float *z, int classes, float *dx, float *dz, double *distance,
                       double *prediction) {
    if (classes < 1 || classes > 256) return NAN;
    quiz_loss_spec s = quiz_loss_spec_of(v->loss);
    const double sw = s.sign * v->weight;
    const float *ref = s.ref_is_cat ? pair->x_cat : pair->x_iguana;
    int label = s.label_is_cat ? pair->cat : pair->iguana;
    double dist = 0;
    for (int i = 0; i < d; i++) {
        double e = (double)x[i] - ref[i];
        dist += e * e;
        if (dx) dx[i] = (float)(2 * e);
    }
    /* yhat and e = yhat - y, in double. */
    double yhat[256], e[256], pred = 0;
    if (v->out == QUIZ_LOGITS) {
        for (int j = 0; j < classes; j++)
            yhat[j] = z[j];
    } else {
        double top = z[0], sum = 0;
        for (int j = 1; j < classes; j++)
            if (z[j] > top) top = z[j];
        for (int j = 0; j < classes; j++)
            sum += yhat[j] = exp(z[j] - top);
        for (int j = 0; j < classes; j++)
            yhat[j] /= sum;
        if (v->out == QUIZ_XENT) pred = top + log(sum) - z[label]; /* -log softmax(z)_label */
    }
    for (int j = 0; j < classes; j++) {
        e[j] = yhat[j] - (j == label);
        if (v->out != QUIZ_XENT) pred += e[j] * e[j];
    }
    if (dz) {
        if (v->out == QUIZ_SOFTMAX) {
            /* d/dz_j of sum_i e_i^2 = sum_i 2 e_i p_i (delta_ij - p_j) = 2 p_j (e_j - <p, e>) */
            double pe = 0;
            for (int j = 0; j < classes; j++)
                pe += yhat[j] * e[j];
            for (int j = 0; j < classes; j++)
                dz[j] = (float)(2 * sw * yhat[j] * (e[j] - pe));
        } else if (v->out == QUIZ_LOGITS) {
            for (int j = 0; j < classes; j++)
                dz[j] = (float)(2 * sw * e[j]);
        } else {
            for (int j = 0; j < classes; j++)
                dz[j] = (float)(sw * e[j]); /* softmax(z) - y */
        }
    }
    if (distance) *distance = dist;
    if (prediction) *prediction = pred;
    return dist + sw * pred;
}

double quiz_loss_gradient(nn_model *m, const quiz_variant *v, const quiz_pair *pair, const float *x,
                          float *grad, const float **logits) {
    int k = nn_output_size(m), d = nn_input_size(m);
    if (k > 256 || pair->cat < 0 || pair->cat >= k || pair->iguana < 0 || pair->iguana >= k)
        return NAN;
    nn_set_input_grad(m, 1);
    const float *z = nn_forward(m, x, 1, 0);
    if (!z) return NAN;
    float *dz = nn_output_grad_buffer(m);
    double loss = quiz_loss_value(v, pair, x, d, z, k, grad, dz, NULL, NULL);
    if (logits) *logits = z;
    if (nn_backward(m, dz, 1)) return NAN;
    const float *through_net = nn_input_grad(m);
    for (int i = 0; i < d; i++)
        grad[i] += through_net[i];
    return loss;
}
