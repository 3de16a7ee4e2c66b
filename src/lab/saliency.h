/* saliency.h - dL/dx: how a classifier's loss on one image changes with each of its pixels.
 *
 * The gradient of the loss with respect to the input, a "saliency map" (Simonyan et al.
 * 2014), is what every gradient-based attack follows. Chapter 07 uses it to answer what
 * dL/dx means: it checks the analytic gradient against central differences, and checks that
 * a step of size t against it changes the loss by -t ||dL/dx||^2 to first order.
 *
 *     nn_set_input_grad(m, 1);                     (the functions here turn it on)
 *     double loss;
 *     saliency_gradient(m, x, label, grad, &loss);                grad: dL/dx of one image
 *     long kinks;
 *     double fd = saliency_finite_difference(m, x, label, pixel, 1e-2f, work, &kinks);
 *     saliency_step_losses(m, x, label, grad, ts, nt, after, work);   L(x - t grad) per t
 *
 * The loss is one image's softmax cross-entropy for `label`, computed in double from the
 * model's float logits as log(1 + sum_{j != label} exp(z_j - z_label)); its gradient with
 * respect to the logits, softmax(z) - onehot(label), is formed in double too, with the
 * label's entry written as -sum_{j != label} p_j. In float, p_label - 1 would cancel to
 * nothing for a confident prediction (p_label = 1 - 1e-7 rounds to 1), and so would the
 * loss itself: both would be meaningless to compare with finite differences.
 *
 * Every function runs the model in inference mode on one sample (the model's max batch may be
 * anything >= 1), so dropout and batch norm behave as at test time; parameters are never
 * changed, but the gradient block is overwritten. `work` is caller memory of
 * nn_input_size(m) floats; nothing else is allocated (except for counting kinks, below). Errors are
 * programming errors (an unbuilt model, a label out of range): the functions return -1 / NAN then.
 */
#ifndef NN_SALIENCY_H
#define NN_SALIENCY_H

#include "nn/model.h"

/* The loss of image x (nn_input_size(m) floats) for `label`; NAN on misuse. */
double saliency_loss(nn_model *m, const float *x, int label);

/* grad = dL/dx of image x for `label`; *loss (may be NULL) = the loss at x. 0 or -1. */
int saliency_gradient(nn_model *m, const float *x, int label, float *grad, double *loss);

/* (L(x + h e_pixel) - L(x - h e_pixel)) / 2h; NAN on misuse or without memory.
 * kinks (may be NULL) receives the number of ReLU units whose state (output > 0 or not)
 * differs between the two points: where it is not 0, the loss has a kink between them and
 * the difference is not the derivative at x (make h smaller). Max-pooling switches are not
 * counted. With kinks, one byte per ReLU unit is allocated for the call. */
double saliency_finite_difference(nn_model *m, const float *x, int label, int pixel, float h,
                                  float *work, long *kinks);

/* after[k] = L(x - ts[k] grad) for k < nt. 0 or -1. */
int saliency_step_losses(nn_model *m, const float *x, int label, const float *grad,
                         const double *ts, int nt, double *after, float *work);

/* The loss and its logit gradient from one sample's logits, as described above: returns the
 * loss, writes softmax(z) - onehot(label) into d (may be NULL). */
double saliency_xent(const float *logits, int classes, int label, double *d);

#endif
