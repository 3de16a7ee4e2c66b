/* cnn.h - the network the targeted-attack chapter attacks, and the few things every step of
 * the chapter does with it: build it, freeze it for attacking, copy test images into a batch,
 * find the correctly classified 2s.
 *
 * The chapter's files depend one way: experiment.c (training, main) uses attacks.h (the
 * attack experiment, with clipping.c and grid.c) and adv_training.c (adversarial training
 * from scratch, with robustness.c), and all of them use this file; nothing here calls back. */
#ifndef CH03_CNN_H
#define CH03_CNN_H

#include <stdint.h>

#include "base/nn_err.h"
#include "base/rng.h"
#include "data/images.h"
#include "nn/model.h"

#define CHAPTER "03-targeted-attacks"
#define SOURCE_CLASS 2
#define TARGET_CLASS 6
#define CLASSES 10
/* Samples per attack call and per evaluation batch; the models are built for this batch. */
#define ATTACK_BATCH 100

/* The L-infinity radii of the sweep, and the one the grids and adversarial training use. */
#define N_EPS 6
extern const float EPS[N_EPS];
#define EPS_CHAPTER 0.2f

/* The network of TensorFlow's "Deep MNIST for Experts" tutorial (conv 5x5x32, ReLU,
 * max-pool 2; conv 5x5x64, ReLU, max-pool 2; dense 1024, ReLU, dropout 0.5; dense 10):
 * nn/convnet.h at the tutorial's size, built for ATTACK_BATCH samples, He-normal weights
 * from init_rng, dropout masks from dropout_rng. */
nn_model *ch_build_cnn(nn_rng *init_rng, const nn_rng *dropout_rng, nn_err *err);

/* Freezes (1) or unfreezes (0) every layer: attacks need no parameter gradients, and a
 * frozen model skips computing them. */
void ch_freeze_all(nn_model *m, int on);

/* Copies one image of a set (as floats in [0, 1]) per index, and its label if labels is
 * not NULL. */
void ch_gather(const nn_images *set, const int *index, int n, float *x, uint8_t *labels);

/* Test indices of every image of class 2 that m classifies correctly, in file order; the
 * array is allocated (free it). *count_twos gets how many 2s the test subset has. */
int ch_select_twos(nn_model *m, const nn_images *test, int **index, int *count, int *count_twos,
                   nn_err *err);

#endif
