/* cifar_model.h - the chapter's CIFAR-10 network, described as data and built as a plain
 * nn_model, and what any saved model costs (parameters and multiply-adds per layer).
 *
 * The network follows the "ConvGroup" design of airbench [Jordan 2024], itself a descendant
 * of the ResNet-9 of "How to train your ResNet" [Page 2018]: a stem convolution, then three
 * groups, each
 *     conv 3x3 -> maxpool 2x2 -> batch norm -> ReLU -> conv 3x3 -> batch norm -> ReLU
 *     [-> residual block: conv 3x3, BN, ReLU, conv 3x3, BN, + skip, ReLU   when res[g]]
 * then a 4x4 max pool to one value per channel, a dense layer to 10 values, and a fixed
 * (frozen) diagonal dense layer that multiplies them by CIFAR_LOGIT_SCALE [Page 2018]. Inputs
 * are pixels/255 in [0, 1], (3, 32, 32), as images_to_float writes them: no per-channel
 * normalisation (the batch norm after the stem absorbs the mean and scale), so a program
 * that loads the saved file needs nothing but the pixels.
 *
 * The model is an ordinary nn_model: saved with model_io.h, it is read back by any program
 * with nn_model_read, without this file. */
#ifndef CH04_CIFAR_MODEL_H
#define CH04_CIFAR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"
#include "base/rng.h"
#include "nn/model.h"

#define CIFAR_GROUPS 3
#define CIFAR_LOGIT_SCALE 0.125f

typedef struct cifar_arch {
    int stem;                /* channels of the stem convolution (0: no stem) */
    int width[CIFAR_GROUPS]; /* channels of each group */
    int res[CIFAR_GROUPS];   /* 1: a residual block of two more convolutions after group g */
} cifar_arch;

/* Builds the network for batches of up to max_batch and initialises it (He-normal weights
 * from *init, zero biases, batch norm at scale 1, shift 0). NULL with a message on error. */
nn_model *cifar_model_new(const cifar_arch *a, int max_batch, nn_rng *init, nn_err *err);

/* "s24-64-128-192-r010" style name of an architecture, for labels and the database. */
void cifar_arch_format(const cifar_arch *a, char *buf, size_t size);

/* Multiply-adds of layer i for one sample: conv (out_c oh ow c k k) and dense (in out) layers;
 * 0 for the others (their elementwise work is counted by model_layer_elementwise). Works on
 * any built model, e.g. one read from a file. -1 for a bad index. */
int64_t model_layer_macs(const nn_model *m, int i);
/* Values touched elementwise by layer i per sample (its output size for batch norm,
 * activations, pooling, residual adds; 0 for conv and dense layers). */
int64_t model_layer_elementwise(const nn_model *m, int i);
/* Sum of model_layer_macs over every layer: a forward pass is 2 x this in FLOPs. */
int64_t model_macs(const nn_model *m);
/* Parameters of layer i (weights and biases, batch-norm scales and shifts). */
size_t model_layer_params(const nn_model *m, int i);

#endif
