/* layers.h - the raw kernels: forward and backward of each operation, on plain float arrays.
 *
 * These are the building blocks the model (model.h) strings together; chapters may also call
 * them directly. Every array is batch-major: a batch of n samples of d values each is n*d
 * contiguous floats, sample i at offset i*d. Nothing here allocates, prints or keeps state,
 * so every function is safe to call from a training loop.
 *
 * Conventions shared by every pair:
 *   - `*_forward` writes its output array completely; it never reads it first.
 *   - `*_backward` receives dy = dL/d(output) and writes dx = dL/d(input) (and parameter
 *     gradients) completely, *overwriting* them; accumulation, where a graph needs it, is the
 *     caller's job. A NULL output pointer in a backward means "not needed" and skips that
 *     work (e.g. dx of the first layer, dw of a frozen layer).
 *   - Input and output arrays must not overlap unless a comment says so.
 *
 * Dense (fully connected) layer, `in` inputs to `out` outputs:
 *     y[i][o] = b[o] + sum_k x[i][k] * w[o][k]
 * The weight matrix is stored out x in, row-major (PyTorch's layout): row o holds every
 * weight feeding output unit o, so a first-layer unit's weights can be shown as an image of
 * the input. All three products go through cblas_sgemm.
 *
 * Activations are elementwise except softmax, which normalises each row of `dim` values.
 * LeCun's scaled tanh (LeCun et al., "Efficient BackProp", 1998) is
 *     f(x) = 1.7159 * tanh(2x/3) + 0.01 x
 * whose slope at 0 is 1.7159*2/3 + 0.01; the small linear term avoids flat spots.
 *
 * Losses return the mean over the batch and write the gradient of that mean. Labels are
 * class indices as uint8_t (what nnlab's data loaders produce; every dataset here has at most
 * 256 classes). */
#ifndef NN_LAYERS_H
#define NN_LAYERS_H

#include <stdint.h>

/* ---- dense --------------------------------------------------------------------------- */

/* y (n x out) = x (n x in) * w^T (w is out x in) + b (out). */
void dense_forward(float *y, const float *x, const float *w, const float *b, int n, int in,
                   int out);
/* dx (n x in) = dy * w;  dw (out x in) = dy^T * x;  db (out) = column sums of dy.
 * Any of dx, dw, db may be NULL. */
void dense_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                    const float *w, int n, int in, int out);

/* ---- activations --------------------------------------------------------------------- */

typedef enum nn_activation {
    NN_RELU,
    NN_TANH,
    NN_SIGMOID,
    NN_LECUN_TANH, /* 1.7159 tanh(2x/3) + 0.01x */
    NN_SOFTMAX,    /* row-wise over the last dimension */
} nn_activation;

/* A short lowercase name ("relu", "tanh", ...), for layer names and the results database. */
const char *activation_name(nn_activation kind);

/* y = f(x) over n rows of dim values. y may equal x (in place) for every kind. */
void activation_forward(nn_activation kind, float *y, const float *x, int n, int dim);
/* dx = f'(x) * dy (softmax: the row Jacobian applied to dy). Needs both the input x and the
 * output y of the forward pass: each kind uses whichever is cheaper. dx may equal dy. */
void activation_backward(nn_activation kind, float *dx, const float *dy, const float *x,
                         const float *y, int n, int dim);

/* ---- losses -------------------------------------------------------------------------- */

/* Softmax cross-entropy from logits (n x classes) and labels (n), computed stably through
 * log-sum-exp (the max of each row is subtracted first, so huge logits are fine). Returns the
 * mean loss over the batch. If d_logits is not NULL it receives the gradient of that mean,
 * (softmax(logits) - onehot(label)) / n; it may equal logits (in place). */
float softmax_xent(const float *logits, const uint8_t *labels, int n, int classes,
                   float *d_logits);

/* Mean squared error over all n*dim values: sum (pred - target)^2 / (n*dim), PyTorch's and
 * Keras' convention. If d_pred is not NULL it receives 2 (pred - target) / (n*dim). */
float mse_loss(const float *pred, const float *target, int n, int dim, float *d_pred);

#endif
