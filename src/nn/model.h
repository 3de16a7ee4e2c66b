/* model.h - a network as a list (a small DAG) of layers over buffers allocated once.
 *
 * Life cycle:
 *     nn_err err;
 *     nn_model *m = nn_model_new(1, 28, 28, &err);          sample shape (channels, h, w)
 *     nn_add_conv2d(m, 32, 5, 1, 2); nn_add_activation(m, NN_RELU); nn_add_maxpool(m, 2, 2);
 *     nn_add_dense(m, 100); nn_add_activation(m, NN_TANH); nn_add_dense(m, 10);
 *     if (nn_model_build(m, 128, &err) < 0) ...              max batch; allocates everything
 *     nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
 *     nn_model_set_rng(m, &dropout_rng);                     only if it has dropout layers
 *     for each batch:
 *         const float *logits = nn_forward(m, x, n, 1);
 *         float *d = nn_output_grad_buffer(m);
 *         float loss = softmax_xent(logits, y, n, 10, d);
 *         nn_backward(m, d, n);                              fills nn_grads(m), nn_input_grad(m)
 *         nn_optim_step(opt, lr);                            see optim.h
 *     nn_model_free(m);
 *
 * Layers (see layers.h for the math of each kernel) and their names in nn_layer_name:
 *     dense   "dense"      fully connected; weights out x in, then out biases
 *     activation "relu", "tanh", "sigmoid", "lecun_tanh", "softmax", "tanh_linear",
 *                "scaled_tanh"
 *     conv2d  "conv"       weights out_c x c x k x k, then out_c biases
 *     maxpool "maxpool", avgpool "avgpool" (k x k window, a stride, no padding)
 *     global average pool "gap"  (c, h, w) -> (c, 1, 1)
 *     batch norm "bn"      per channel of a (c, h, w) input; per feature of a (d, 1, 1) one.
 *                          Parameters: c scales (gamma, "weights", initialised to 1) then c
 *                          shifts (beta, "biases", 0); BOTH are marked is_bias, so optimisers
 *                          apply no weight decay to them. Running mean and variance (0 and 1
 *                          at build) live in the model's state block (nn_state), not in the
 *                          parameters: they are not trained, but they are saved and loaded.
 *     dropout "dropout"    inverted; active only when nn_forward's `training` is set
 *     residual "residual"  adds the output of a marked earlier layer (nn_mark) to the
 *                          current output; shapes must match
 *     flatten "flatten"    (c, h, w) -> (c*h*w, 1, 1); values unchanged
 *
 * Invariants and design:
 *   - A sample is c*h*w floats, channel-major (c, then h, then w); a batch is n samples back
 *     to back (NCHW). Layers that do not care about the spatial shape (dense, activations,
 *     dropout) treat a sample as a flat vector, so a dense layer may follow an image directly
 *     (an implicit flatten); dense outputs have shape (units, 1, 1).
 *   - Adding layers cannot fail visibly: the nn_add_* functions record the first problem
 *     (a bad size, a kernel that does not fit, a residual between different shapes, out of
 *     memory) and nn_model_build reports it. This keeps model definitions plain lists of
 *     calls.
 *   - nn_model_build allocates, once: ONE contiguous parameter block and ONE gradient block
 *     of the same layout (so an optimiser is a loop over a float array, and saving is one
 *     write), one state block (batch-norm running statistics), and for every layer an
 *     output buffer and an output-gradient buffer of max_batch samples, plus what kernels
 *     need (dropout masks, batch-norm statistics, im2col buffers for the number of OpenMP
 *     threads available at build). nn_forward and nn_backward never allocate. Buffers are
 *     64-byte aligned.
 *   - Every layer keeps its output and the gradient with respect to its output, so the last
 *     forward and backward can be inspected afterwards (activations, gradient statistics).
 *   - The graph: every layer reads the previous layer's output (the first reads the model
 *     input); a residual layer also reads its marked layer's. A layer whose output feeds two
 *     layers receives the SUM of both gradients: backward runs in reverse order, so every
 *     consumer of a layer is processed before the layer itself.
 *   - nn_forward copies x into the model, so the caller may reuse x before nn_backward.
 *   - nn_backward overwrites (does not accumulate) the gradient block. Frozen layers get no
 *     parameter gradient (it stays zero) and the backward pass stops early where no layer
 *     below needs a gradient (nor the input, see nn_set_input_grad). A frozen batch-norm
 *     layer still normalises with batch statistics (and updates its running ones) in
 *     training mode; freezing concerns its parameters only.
 *   - Randomness: dropout masks are drawn from a generator the model owns, seeded with 0 at
 *     nn_model_new; nn_model_set_rng replaces it (a chapter seeds it from its run seed).
 *     No other layer draws. No global state: two models are independent. Results are
 *     deterministic for a given seed and thread count.
 *   - Threads: conv layers split a batch over min(OpenMP threads at build, now) threads;
 *     large pooling/normalisation loops use OpenMP; dense layers use OpenBLAS's threads.
 *
 * Errors in how the API is called (a batch larger than max_batch, backward before forward,
 * a layer index out of range) make the call return NULL / -1 and do nothing; they are
 * programming errors, so they carry no message. */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "nn/layers.h"
#include "base/nn_err.h"
#include "base/rng.h"

typedef struct nn_model nn_model;

typedef enum nn_init {
    NN_INIT_GLOROT_UNIFORM, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)): Keras' default */
    NN_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) (He et al. 2015), untruncated, for ReLU nets */
    NN_INIT_LECUN_NORMAL,   /* N(0, 1 / fan_in) (LeCun et al. 1998), untruncated, for tanh */
} nn_init;

/* ---- building ------------------------------------------------------------------------- */

/* A model whose samples have shape (c, h, w); a flat input of d features is (d, 1, 1). */
nn_model *nn_model_new(int c, int h, int w, nn_err *err);
/* Fully connected layer with `units` outputs (weights and biases). */
void nn_add_dense(nn_model *m, int units);
/* Activation layer: NN_RELU, NN_TANH, NN_SIGMOID, NN_LECUN_TANH, NN_SOFTMAX (per sample),
 * NN_TANH_LINEAR, NN_SCALED_TANH. */
void nn_add_activation(nn_model *m, nn_activation kind);
/* Convolution with out_c filters of k x k, step `stride` (>= 1), zero padding `pad` (>= 0):
 * output (out_c, (h + 2 pad - k) / stride + 1, same for w). */
void nn_add_conv2d(nn_model *m, int out_c, int k, int stride, int pad);
/* Max / average pooling over k x k windows moved by `stride` (k, stride >= 1). */
void nn_add_maxpool(nn_model *m, int k, int stride);
void nn_add_avgpool(nn_model *m, int k, int stride);
/* Global average pooling: (c, h, w) -> (c, 1, 1). */
void nn_add_global_avgpool(nn_model *m);
/* Batch normalisation with PyTorch's defaults: momentum 0.1, eps 1e-5. */
void nn_add_batchnorm(nn_model *m);
/* The same with explicit momentum in [0, 1] (run = (1 - momentum) run + momentum batch)
 * and eps > 0. Keras' momentum 0.99 is 0.01 here. */
void nn_add_batchnorm_opts(nn_model *m, float momentum, float eps);
/* Inverted dropout of probability p in [0, 1). */
void nn_add_dropout(nn_model *m, float p);
/* The index of the last layer added (-1: none yet, i.e. the model input), to be passed to
 * nn_add_residual later:
 *     int skip = nn_mark(m);
 *     nn_add_conv2d(m, 16, 3, 1, 1); nn_add_batchnorm(m); nn_add_activation(m, NN_RELU);
 *     nn_add_conv2d(m, 16, 3, 1, 1); nn_add_batchnorm(m);
 *     nn_add_residual(m, skip);                       out = that + output of layer `skip`
 *     nn_add_activation(m, NN_RELU); */
int nn_mark(const nn_model *m);
/* Adds the output of layer `mark` (-1: the model input) to the current output. Its shape
 * must equal the current output's (recorded as a build error otherwise). */
void nn_add_residual(nn_model *m, int mark);
/* (c, h, w) -> (c*h*w, 1, 1). */
void nn_add_flatten(nn_model *m);

/* Every layer, described as data: what model_io.h saves, and how a saved architecture is
 * rebuilt (nn_add_layer) or compared. Fields not used by a kind are 0. */
typedef enum nn_layer_kind {
    NN_LAYER_DENSE = 1,  /* units */
    NN_LAYER_ACTIVATION, /* act */
    NN_LAYER_CONV2D,     /* channels (out), kernel, stride, pad */
    NN_LAYER_MAXPOOL,    /* kernel, stride */
    NN_LAYER_AVGPOOL,    /* kernel, stride */
    NN_LAYER_GLOBAL_AVGPOOL,
    NN_LAYER_BATCHNORM, /* momentum, eps */
    NN_LAYER_DROPOUT,   /* p */
    NN_LAYER_RESIDUAL,  /* mark */
    NN_LAYER_FLATTEN,
} nn_layer_kind;

typedef struct nn_layer_desc {
    nn_layer_kind kind;
    int units;
    nn_activation act;
    int channels, kernel, stride, pad;
    float p;
    float momentum, eps;
    int mark;
} nn_layer_desc;

/* Appends the layer a description asks for (the nn_add_* functions all go through here). */
void nn_add_layer(nn_model *m, const nn_layer_desc *d);
/* The description of layer i; -1 if out of range. */
int nn_layer_describe(const nn_model *m, int i, nn_layer_desc *d);
/* A short text such as "conv2d(out 32, k 5, stride 1, pad 2)", for messages. */
void nn_layer_desc_format(const nn_layer_desc *d, char *buf, size_t size);

/* Allocates parameters (zeroed), gradients and every buffer for batches of up to max_batch
 * samples. Reports the first error recorded while adding layers. Call once. */
int nn_model_build(nn_model *m, int max_batch, nn_err *err);
/* Initialises every weight with `kind`, drawing from rng in layer order, and sets every bias
 * to 0. Fan-in/fan-out of a dense layer are its in and out sizes, of a conv layer c k k and
 * out_c k k (as Keras and PyTorch). Batch norm gets scale 1, shift 0, running mean 0 and
 * running variance 1 (no draws). Does nothing before nn_model_build. */
void nn_model_init(nn_model *m, nn_init kind, nn_rng *rng);
/* Replaces the model's dropout generator by a copy of *rng. */
void nn_model_set_rng(nn_model *m, const nn_rng *rng);
void nn_model_free(nn_model *m);

/* ---- running -------------------------------------------------------------------------- */

/* Runs the n samples of x (n x input size) through the model and returns the output
 * (n x nn_output_size), which stays valid until the next nn_forward. `training` selects
 * training behaviour for layers that have one (dropout, batch norm). NULL if n is not in
 * [1, max_batch] or the model is not built. */
const float *nn_forward(nn_model *m, const float *x, int n, int training);
/* Back-propagates d_out = dL/d(output) (n x output size) of the last nn_forward, which must
 * have had the same n. Overwrites nn_grads(m) and, if enabled, the input gradient. d_out may
 * be nn_output_grad_buffer(m) (no copy is made then). Returns 0, or -1 on misuse. */
int nn_backward(nn_model *m, const float *d_out, int n);
/* A max_batch x output-size buffer owned by the model where a loss can write its gradient
 * before nn_backward, so a training loop needs no buffer of its own. */
float *nn_output_grad_buffer(nn_model *m);
/* Whether nn_backward computes dL/dx (on by default; attacks need it). Turning it off saves
 * one matrix product per batch in training. */
void nn_set_input_grad(nn_model *m, int on);
/* dL/dx of the last nn_backward (n x input size), or NULL if input gradients are off. */
const float *nn_input_grad(const nn_model *m);

/* ---- shape and layers ----------------------------------------------------------------- */

int nn_input_size(const nn_model *m);
void nn_input_shape(const nn_model *m, int *c, int *h, int *w);
int nn_output_size(const nn_model *m);
int nn_max_batch(const nn_model *m);
int nn_layer_count(const nn_model *m);
/* "dense1", "tanh1", "dense2", ...: the kind and its 1-based count among layers of that
 * kind; stable across runs, so usable as a key in the results database. NULL if out of
 * range. */
const char *nn_layer_name(const nn_model *m, int layer);
/* Output shape of a layer; -1 if out of range. */
int nn_layer_shape(const nn_model *m, int layer, int *c, int *h, int *w);
/* The layer's output of the last nn_forward (n x its output size), for inspection. */
const float *nn_layer_output(const nn_model *m, int layer);

/* ---- parameters ----------------------------------------------------------------------- */

float *nn_params(nn_model *m);
float *nn_grads(nn_model *m);
size_t nn_param_count(const nn_model *m);

/* One parameter tensor (a layer's weights or its biases): a range of the parameter block
 * (and the same range of the gradient block). Optimisers walk the spans so they can skip
 * frozen ones and apply weight decay to weights only. */
typedef struct nn_param_span {
    size_t offset, count;
    int layer;   /* index of the owning layer */
    int is_bias; /* biases and batch-norm scales/shifts: no weight decay */
    int frozen;
} nn_param_span;

int nn_param_span_count(const nn_model *m);
/* Span k in [0, nn_param_span_count); in parameter-block order. */
nn_param_span nn_param_span_at(const nn_model *m, int k);
/* Pointers into the parameter block for a layer's weights / biases (count in *len); NULL
 * (and *len = 0) for a layer without them. */
float *nn_layer_weights(nn_model *m, int layer, size_t *len);
float *nn_layer_bias(nn_model *m, int layer, size_t *len);

/* The state block: values that belong to the model but are not trained, i.e. batch-norm
 * running statistics (per batch-norm layer: c means, then c variances, in layer order).
 * Saved and loaded with the parameters. */
float *nn_state(nn_model *m);
size_t nn_state_count(const nn_model *m);
float *nn_layer_state(nn_model *m, int layer, size_t *len);

/* Freezes (on = 1) or unfreezes a layer's parameters: optimisers leave them unchanged, and
 * their gradient is zeroed and no longer computed. Returns -1 for a bad index. */
int nn_freeze_layer(nn_model *m, int layer, int on);
int nn_layer_frozen(const nn_model *m, int layer);

/* ---- gradient statistics -------------------------------------------------------------- */

/* Of the last nn_backward: max |g| and L2 norm of the layer's weight gradient (dense and
 * conv weights, batch-norm scales; biases and shifts are not included; 0 for layers without
 * weights or frozen ones), and of the gradient with
 * respect to the layer's output activation over the n samples of that batch (0 where the
 * backward pass stopped before reaching the layer). Computed on demand, in double. */
typedef struct nn_grad_stats {
    float w_max_abs, w_l2;
    float act_max_abs, act_l2;
    int has_params;
} nn_grad_stats;

int nn_layer_grad_stats(const nn_model *m, int layer, nn_grad_stats *out);

#endif
