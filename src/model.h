/* model.h - a network as a list of layers over buffers allocated once.
 *
 * Life cycle:
 *     nn_err err;
 *     nn_model *m = nn_model_new(1, 28, 28, &err);          sample shape (channels, h, w)
 *     nn_add_dense(m, 100); nn_add_activation(m, NN_TANH); nn_add_dense(m, 10);
 *     if (nn_model_build(m, 128, &err) < 0) ...              max batch; allocates everything
 *     nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
 *     for each batch:
 *         const float *logits = nn_forward(m, x, n, 1);
 *         float *d = nn_output_grad_buffer(m);
 *         float loss = softmax_xent(logits, y, n, 10, d);
 *         nn_backward(m, d, n);                              fills nn_grads(m), nn_input_grad(m)
 *         nn_optim_step(opt, lr);                            see optim.h
 *     nn_model_free(m);
 *
 * Invariants and design:
 *   - A sample is c*h*w floats, channel-major (c, then h, then w); a batch is n samples back
 *     to back. Layers that do not care about the spatial shape (dense, activations) treat a
 *     sample as a flat vector, so a dense layer may follow an image input directly (an
 *     implicit flatten); dense outputs have shape (units, 1, 1).
 *   - Adding layers cannot fail visibly: the nn_add_* functions record the first problem
 *     (a bad size, out of memory) and nn_model_build reports it. This keeps model
 *     definitions as plain lists of calls.
 *   - nn_model_build allocates, once: ONE contiguous parameter block and ONE gradient block
 *     of the same layout (so an optimiser is a loop over a float array, and saving is one
 *     write), and for every layer an output buffer and an output-gradient buffer of
 *     max_batch samples. nn_forward and nn_backward never allocate; a training loop after
 *     build does no allocation at all. Buffers are 64-byte aligned.
 *   - Every layer keeps its output and the gradient with respect to its output, so the last
 *     forward and backward can be inspected afterwards (activations, gradient statistics).
 *   - nn_forward copies x into the model, so the caller may reuse x before nn_backward.
 *   - nn_backward overwrites (does not accumulate) the gradient block. Frozen layers get no
 *     parameter gradient (it stays zero) and the backward pass stops early where no layer
 *     below needs a gradient (nor the input, see nn_set_input_grad).
 *   - Weight layout: a dense layer's weights are out x in, row-major, followed by its out
 *     biases (see layers.h).
 *   - The model holds no global state and no random generator; two models are independent.
 *     Results are deterministic for a given seed and thread count.
 *
 * Errors in how the API is called (a batch larger than max_batch, backward before forward,
 * a layer index out of range) make the call return NULL / -1 and do nothing; they are
 * programming errors, so they carry no message. */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "layers.h"
#include "nn_err.h"
#include "rng.h"

typedef struct nn_model nn_model;

typedef enum nn_init {
    NN_INIT_GLOROT_UNIFORM, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)): Keras' default */
    NN_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) (He et al. 2015), untruncated, for ReLU nets */
} nn_init;

/* ---- building ------------------------------------------------------------------------- */

/* A model whose samples have shape (c, h, w); a flat input of d features is (d, 1, 1). */
nn_model *nn_model_new(int c, int h, int w, nn_err *err);
/* Fully connected layer with `units` outputs (weights and biases). */
void nn_add_dense(nn_model *m, int units);
/* Activation layer: NN_RELU, NN_TANH, NN_SIGMOID, NN_LECUN_TANH, NN_SOFTMAX (per sample). */
void nn_add_activation(nn_model *m, nn_activation kind);
/* Allocates parameters (zeroed), gradients and every buffer for batches of up to max_batch
 * samples. Reports the first error recorded while adding layers. Call once. */
int nn_model_build(nn_model *m, int max_batch, nn_err *err);
/* Initialises every weight with `kind`, drawing from rng in layer order, and sets every bias
 * to 0. Fan-in/fan-out of a dense layer are its in and out sizes. Does nothing before
 * nn_model_build. */
void nn_model_init(nn_model *m, nn_init kind, nn_rng *rng);
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
    int is_bias; /* biases (and, later, batch-norm shifts/scales) get no weight decay */
    int frozen;
} nn_param_span;

int nn_param_span_count(const nn_model *m);
/* Span k in [0, nn_param_span_count); in parameter-block order. */
nn_param_span nn_param_span_at(const nn_model *m, int k);
/* Pointers into the parameter block for a layer's weights / biases (count in *len); NULL
 * (and *len = 0) for a layer without them. */
float *nn_layer_weights(nn_model *m, int layer, size_t *len);
float *nn_layer_bias(nn_model *m, int layer, size_t *len);

/* Freezes (on = 1) or unfreezes a layer's parameters: optimisers leave them unchanged, and
 * their gradient is zeroed and no longer computed. Returns -1 for a bad index. */
int nn_freeze_layer(nn_model *m, int layer, int on);
int nn_layer_frozen(const nn_model *m, int layer);

/* ---- gradient statistics -------------------------------------------------------------- */

/* Of the last nn_backward: max |g| and L2 norm of the layer's weight gradient (biases are
 * not included; 0 for layers without weights or frozen ones), and of the gradient with
 * respect to the layer's output activation over the n samples of that batch (0 where the
 * backward pass stopped before reaching the layer). Computed on demand, in double. */
typedef struct nn_grad_stats {
    float w_max_abs, w_l2;
    float act_max_abs, act_l2;
    int has_params;
} nn_grad_stats;

int nn_layer_grad_stats(const nn_model *m, int layer, nn_grad_stats *out);

#endif
