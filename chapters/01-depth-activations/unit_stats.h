/* unit_stats.h - where the hidden units of a deep perceptron sit on their activation.
 *
 * The chapter's networks are dense layers of `units` units, each followed by the same
 * activation: layer 2k of the model is the k-th dense layer (its output is the hidden
 * layer's pre-activation z), layer 2k + 1 its activation (the output h). After a forward
 * pass of n samples these functions read both and say, per hidden layer:
 *   - flat:  the fraction of (sample, unit) pairs whose slope f'(z) is below 1% of the
 *            activation's largest slope (saturated tanh or sigmoid, inactive ReLU);
 *   - stuck: the fraction of units that are flat for every one of the n samples (a dead
 *            ReLU, a unit pinned in a tail): a unit that passes (almost) no gradient to
 *            anything below it on this batch;
 *   - mean:  the mean of h over the samples and units (for the sigmoid: where its units
 *            sit between 0 and 1, as in Glorot and Bengio's Figure 2).
 * A layer whose units are all stuck cuts the network in two: the gradient below it is (for
 * ReLU exactly) zero, and the output no longer depends on the image.
 *
 * These run after every optimiser step of the chapter's runs, so they must be cheap: every
 * slope here falls with |z| (ReLU's: is 0 for z <= 0), so "flat" is a comparison of z with
 * a threshold found once per activation (unit_flat_rule), not a slope per value. */
#ifndef CH01_UNIT_STATS_H
#define CH01_UNIT_STATS_H

#include "nn/layers.h"
#include "nn/model.h"

/* The largest slope f'(z) of an activation over all z (at z = 0 for every kind here). */
double unit_max_slope(nn_activation act);

/* When a unit is flat: z <= 0 (relu), else |z| > z_flat, where the library's own slope
 * (activation_backward) falls below 1% of unit_max_slope. */
typedef struct unit_rule {
    nn_activation act;
    int relu;
    float z_flat;
} unit_rule;

unit_rule unit_flat_rule(nn_activation act);
int unit_is_flat(const unit_rule *r, float z);

typedef struct layer_units {
    double flat, stuck, mean;
} layer_units;

/* Statistics of hidden layer k (0-based) of m after its last forward pass of n samples
 * with `units` units per layer (at most UNIT_STATS_MAX_UNITS). */
#define UNIT_STATS_MAX_UNITS 256
layer_units unit_stats_layer(const nn_model *m, int k, const unit_rule *r, int n, int units);

/* Over all `depth` hidden layers: the mean flat fraction, the mean stuck fraction, the
 * largest stuck fraction of any one layer and that layer (0-based; the first one of equal
 * ones). */
typedef struct network_units {
    double flat, stuck, stuck_max;
    int stuck_max_layer;
} network_units;

network_units unit_stats_network(const nn_model *m, int depth, const unit_rule *r, int n,
                                 int units);

#endif
