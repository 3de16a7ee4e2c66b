/* convnet.h - the small convolutional network of the MNIST chapters, built from a shape.
 *
 * Two stages of convolution (k x k, stride 1, zero padding k/2 so that the image keeps its
 * size), ReLU and 2 x 2 max-pooling; then a dense ReLU layer, optional dropout, and a dense
 * layer of logits:
 *
 *     conv(conv1, k) relu maxpool(2) conv(conv2, k) relu maxpool(2) dense(dense) relu
 *     [dropout(p)] dense(classes)
 *
 * This is LeNet's layout (LeCun et al. 1998) with ReLU and max-pooling, the network of
 * TensorFlow's "Deep MNIST for Experts" tutorial. Chapter 03 attacks it at the tutorial's
 * size (32 and 64 channels, 1024 units, dropout 0.5); chapter 02 uses a narrow one to see
 * what convolution buys against a dense network at a similar cost. */
#ifndef NN_CONVNET_H
#define NN_CONVNET_H

#include "base/nn_err.h"
#include "base/rng.h"
#include "nn/model.h"

typedef struct nn_convnet_shape {
    int c, h, w;      /* one input sample */
    int conv1, conv2; /* filters of the two convolutions */
    int kernel;       /* odd, so that padding kernel/2 keeps h x w */
    int dense;        /* units of the hidden dense layer */
    float dropout;    /* after the hidden dense layer, in [0, 1); 0: no dropout layer */
    int classes;      /* logits */
} nn_convnet_shape;

/* The network of shape s, built for batches of up to max_batch, with He-normal weights drawn
 * from init_rng and zero biases (its dropout generator, if any, is the model's default: set
 * it with nn_model_set_rng). NULL with err set for a shape that does not fit (an even or
 * non-positive kernel, a size below 1, an image too small for two poolings) or when out of
 * memory. */
nn_model *nn_convnet_new(const nn_convnet_shape *s, int max_batch, nn_rng *init_rng, nn_err *err);

#endif
