/* quiz_losses.h - the four candidate losses of the quiz's question 3, with their gradients.
 *
 * "Find an image that is a cat but that the classifier labels iguana. Which loss is valid
 * to minimise?"
 *     A  ||x - x_cat||^2    + ||yhat - y_iguana||^2
 *     B  ||x - x_iguana||^2 + ||yhat - y_cat||^2
 *     C  ||x - x_cat||^2    - ||yhat - y_iguana||^2
 *     D  ||x - x_iguana||^2 - ||yhat - y_cat||^2
 * x the image being optimised, x_cat / x_iguana two given images, y one-hot labels, yhat the
 * network's prediction: softmax(z) of its logits z, as in the question (QUIZ_SOFTMAX), or
 * the logits themselves (QUIZ_LOGITS), to show what changes when yhat is unbounded. A third
 * prediction term, the cross-entropy -log softmax(z)_label (QUIZ_XENT), keeps A's structure
 * but not its saturation: ||softmax(z) - y||^2 is flat where the network is sure of another
 * class, the cross-entropy is not (its logit gradient is softmax(z) - y).
 *
 * Each loss is  ||x - x_ref||^2 + sign w ||yhat - onehot(label)||^2; quiz_loss_spec says which
 * reference, label and sign. The question has w = 1; a larger w weights the prediction
 * against the distance, as practical attacks do (Szegedy et al. 2014's and Carlini &
 * Wagner's constant c). quiz_loss_value returns the loss and its two gradients: with
 * respect to x through the distance term (dx = 2 (x - x_ref)), and with respect to the logits
 * z (dz; for softmax the Jacobian's transpose applied to 2 sign w (yhat - y):
 * dz_j = 2 sign w p_j (e_j - sum_i p_i e_i), e = p - y). The network's part of dL/dx is then
 * nn_backward(model, dz) and nn_input_grad; quiz_loss_gradient does the whole chain.
 * Sums and gradients are formed in double, then rounded to float. */
#ifndef QUIZ_LOSSES_H
#define QUIZ_LOSSES_H

#include "nn/model.h"

typedef enum quiz_loss { QUIZ_A, QUIZ_B, QUIZ_C, QUIZ_D } quiz_loss;
/* The prediction term: ||yhat - y||^2 with yhat = softmax(z) (the question's) or yhat = z,
 * or the cross-entropy -log softmax(z)_label that practical attacks use instead. */
typedef enum quiz_output { QUIZ_SOFTMAX, QUIZ_LOGITS, QUIZ_XENT } quiz_output;

/* A loss as run: which of the four, what yhat is, and the weight w of the prediction term. */
typedef struct quiz_variant {
    quiz_loss loss;
    quiz_output out;
    double weight;
} quiz_variant;

typedef struct quiz_pair {
    const float *x_cat, *x_iguana; /* d floats each */
    int cat, iguana;               /* their classes */
} quiz_pair;

typedef struct quiz_loss_spec {
    int ref_is_cat;   /* the distance term's image: x_cat (1) or x_iguana (0) */
    int label_is_cat; /* the prediction term's label: cat (1) or iguana (0) */
    int sign;         /* +1 or -1 on the prediction term */
} quiz_loss_spec;

quiz_loss_spec quiz_loss_spec_of(quiz_loss which);
/* "A", "B", "C", "D". */
const char *quiz_loss_name(quiz_loss which);

/* The loss at image x (d floats) with logits z (classes floats). dx (d) and dz (classes) may
 * be NULL. The two parts are returned in *distance and *prediction when not NULL
 * (loss = distance + sign * weight * prediction). NAN for more than 256 classes. */
double quiz_loss_value(const quiz_variant *v, const quiz_pair *pair, const float *x, int d,
                       const float *z, int classes, float *dx, float *dz, double *distance,
                       double *prediction);

/* The loss of one image x through model m (inference mode) and its full gradient dL/dx in
 * grad (nn_input_size floats); the model's input gradient is turned on. Returns the loss,
 * NAN on misuse (a class out of range, more than 256 classes). *logits (may be NULL) points
 * to the model's logits of x, valid until its next forward. */
double quiz_loss_gradient(nn_model *m, const quiz_variant *v, const quiz_pair *pair, const float *x,
                          float *grad, const float **logits);

#endif
