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
 * 256 classes).
 *
 * Image kernels (conv2d, pooling, batch norm) use NCHW: sample i, channel ch, row r, column
 * col is x[((i*c + ch)*h + r)*w + col]. They live in their own files (conv2d.c, pool.c,
 * batchnorm.c, dropout.c); the few that need working memory take it as an argument sized by
 * a *_scratch_floats function, so the caller allocates once and calls forever. */
#ifndef NN_LAYERS_H
#define NN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"
#include "base/rng.h"

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
    /* The two halves of LeCun's change to tanh, for ablations (chapter 01); after softmax
     * so that saved models keep their activation numbers. */
    NN_TANH_LINEAR, /* tanh(x) + 0.01x: the linear term alone */
    NN_SCALED_TANH, /* 1.7159 tanh(2x/3): the scaling alone */
} nn_activation;

/* The last activation kind, for range checks. */
#define NN_ACTIVATION_LAST NN_SCALED_TANH

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
 * (softmax(logits) - onehot(label)) / n; it may equal logits (in place).
 * A label >= classes is never used as an index: the loss is then NaN and that sample's
 * gradient row is NaN too, so a caller that does not check cannot train on quietly (the
 * loss it logs and every later output turn NaN). Callers that want a message use
 * softmax_xent_checked. */
float softmax_xent(const float *logits, const uint8_t *labels, int n, int classes,
                   float *d_logits);
/* softmax_xent that refuses a batch holding a label >= classes before touching d_logits:
 * returns -1 with "label 12 of sample 3 is not below 10 classes" in err, else 0 and the
 * mean loss in *loss. */
int softmax_xent_checked(const float *logits, const uint8_t *labels, int n, int classes,
                         float *d_logits, float *loss, nn_err *err);

/* The same with label smoothing eps in [0, 1) (Szegedy et al. 2016): the target of each
 * row is (1 - eps) onehot(label) + eps / classes, so the mean loss is
 * sum_j -target_j log softmax(z)_j and the gradient (softmax(z) - target) / n. eps = 0 gives
 * softmax_xent exactly. */
float softmax_xent_smooth(const float *logits, const uint8_t *labels, int n, int classes,
                          float eps, float *d_logits);

/* Mean squared error over all n*dim values: sum (pred - target)^2 / (n*dim), PyTorch's and
 * Keras' convention. If d_pred is not NULL it receives 2 (pred - target) / (n*dim). */
float mse_loss(const float *pred, const float *target, int n, int dim, float *d_pred);

/* ---- conv2d -------------------------------------------------------------------------- */

/* A 2-D convolution (cross-correlation, as in every framework) of a (c, h, w) sample with
 * out_c filters of c x k x k, zero padding `pad` on every side and step `stride`:
 *     y[o][r][q] = b[o] + sum_{ch,u,v} w[o][ch][u][v] * x[ch][r*stride - pad + u][q*stride - pad + v]
 * (x outside the image reads 0). Weights are out_c x c x k x k row-major (PyTorch's layout),
 * biases out_c. The output size is oh = (h + 2 pad - k) / stride + 1 (floor), likewise ow.
 *
 * Method: im2col per sample (the k*k shifted copies of the input as a (c k k) x (oh ow)
 * matrix) and one sgemm, y_i = w * col_i, whose result is already the NCHW output. Samples
 * are spread over `threads` OpenMP threads, each with its own column buffer in `scratch`;
 * inside that parallel region OpenBLAS is held to one thread (see conv2d.c). Results are
 * the same bits for any thread count. */
typedef struct conv2d_geom {
    int c, h, w;               /* input sample shape */
    int out_c, k, stride, pad; /* filters, kernel size, step, zero padding */
    int oh, ow;                /* output height and width (filled by conv2d_make_geom) */
} conv2d_geom;

/* Fills the geometry and the output size; oh or ow <= 0 means the kernel does not fit. */
conv2d_geom conv2d_make_geom(int c, int h, int w, int out_c, int k, int stride, int pad);
/* Floats of scratch that conv2d_forward/backward need for `threads` threads (>= 1). */
size_t conv2d_scratch_floats(const conv2d_geom *g, int threads);

/* y (n x out_c x oh x ow) from x (n x c x h x w). b may be NULL (no bias). */
void conv2d_forward(float *y, const float *x, const float *w, const float *b, int n,
                    const conv2d_geom *g, float *scratch, int threads);
/* dx (like x), dw (like w), db (out_c) from dy (like y); any of the three may be NULL. */
void conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                     const float *w, int n, const conv2d_geom *g, float *scratch, int threads);

/* im2col of one sample, exposed for tests: col is (c k k) x (oh ow), row (ch*k + u)*k + v
 * holding the input pixel each output position sees through filter tap (ch, u, v). */
void conv2d_im2col(float *col, const float *x, const conv2d_geom *g);
/* The adjoint: adds every entry of col back onto the pixel it was read from. dx must be
 * zeroed (or hold a gradient to accumulate onto) first. */
void conv2d_col2im(float *dx, const float *col, const conv2d_geom *g);

/* ---- pooling ------------------------------------------------------------------------- */

/* Window k x k moved by `stride`, no padding: out = (in - k) / stride + 1 (floor), <= 0 if
 * the window does not fit. Every pool works channel by channel over n*c planes of h x w. */
int pool_out_size(int in, int k, int stride);

/* y = max over each window. Ties go to the first maximum in row-major window order, and the
 * backward pass re-finds that same element from x (no index array is kept), sending the whole
 * gradient there. Overlapping windows (stride < k) accumulate, so dx is zeroed first. */
void maxpool_forward(float *y, const float *x, int n, int c, int h, int w, int k, int stride);
void maxpool_backward(float *dx, const float *dy, const float *x, int n, int c, int h, int w,
                      int k, int stride);
/* y = mean over each window; dx spreads dy / (k k) over the window. */
void avgpool_forward(float *y, const float *x, int n, int c, int h, int w, int k, int stride);
void avgpool_backward(float *dx, const float *dy, int n, int c, int h, int w, int k,
                      int stride);
/* Global average pool: y (n x c) = mean over each h x w plane. */
void global_avgpool_forward(float *y, const float *x, int n, int c, int hw);
void global_avgpool_backward(float *dx, const float *dy, int n, int c, int hw);

/* ---- batch normalisation ------------------------------------------------------------- */

/* Ioffe & Szegedy (2015), over x viewed as n x c x s: channel ch is normalised over its n*s
 * values (s = h*w after a conv, s = 1 after a dense layer, where each feature is a channel):
 *     y = gamma[ch] * (x - mean[ch]) * inv_std[ch] + beta[ch],  inv_std = 1/sqrt(var + eps)
 * training != 0: mean and (biased) var are the batch's, and the running statistics move
 * towards them, run = (1 - momentum) run + momentum batch, the running variance taking the
 * unbiased batch variance (PyTorch's convention; momentum 0.1 there, 0.01 in Keras' terms of
 * 0.99). training == 0: mean and var are the running ones, which are left unchanged.
 * Either way the mean and inv_std used are written to save_mean / save_inv_std (c each),
 * which the backward pass needs. n*s must be >= 2 in training. */
void batchnorm_forward(float *y, float *save_mean, float *save_inv_std, float *run_mean,
                       float *run_var, const float *x, const float *gamma, const float *beta,
                       int n, int c, int s, float momentum, float eps, int training);
/* training must match the forward's. In training the batch statistics depend on x, which
 * gives the full formula
 *     dx = gamma inv_std / m * (m dy - sum dy - xhat sum(dy xhat)),  m = n s
 * otherwise dx = gamma inv_std dy. dgamma = sum dy xhat, dbeta = sum dy. Any output may be
 * NULL. */
void batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy,
                        const float *x, const float *gamma, const float *save_mean,
                        const float *save_inv_std, int n, int c, int s, int training);

/* ---- dropout ------------------------------------------------------------------------- */

/* Inverted dropout: each value is kept with probability 1 - p and then scaled by 1/(1 - p),
 * so E[y] = x and inference needs no change (it is the identity). The mask holds the factor
 * for each value, 0 or 1/(1-p), so forward and backward are the same product. p in [0, 1). */
void dropout_mask(float *mask, size_t len, float p, nn_rng *rng);
/* y = x * mask; dx = dy * mask. y may equal x, dx may equal dy. */
void dropout_forward(float *y, const float *x, const float *mask, size_t len);
void dropout_backward(float *dx, const float *dy, const float *mask, size_t len);

#endif
