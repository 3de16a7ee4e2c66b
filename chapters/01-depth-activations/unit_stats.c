/* unit_stats.c - where the hidden units sit on their activation (see unit_stats.h). */
#include "unit_stats.h"

#include <math.h>
#include <stddef.h>

double unit_max_slope(nn_activation act) {
    switch (act) {
    case NN_SIGMOID: return 0.25;
    case NN_LECUN_TANH: return 1.7159 * 2.0 / 3.0 + 0.01;
    case NN_SCALED_TANH: return 1.7159 * 2.0 / 3.0;
    case NN_TANH_LINEAR: return 1.01;
    default: return 1.0; /* ReLU, tanh */
    }
}

/* The slope at z as training computes it: the library's backward with dy = 1. */
static float slope_at(nn_activation act, float z) {
    float y, one = 1, d;
    activation_forward(act, &y, &z, 1, 1);
    activation_backward(act, &d, &one, &z, &y, 1, 1);
    return d;
}

unit_rule unit_flat_rule(nn_activation act) {
    unit_rule r = {act, act == NN_RELU, 0};
    if (r.relu) return r;
    /* The slope is even and falls with |z|: bisect for where it crosses the limit. */
    const float limit = (float)(0.01 * unit_max_slope(act));
    float lo = 0, hi = 1;
    while (slope_at(act, hi) >= limit && hi < 1e4f) hi *= 2;
    for (int it = 0; it < 60; it++) {
        float mid = 0.5f * (lo + hi);
        if (slope_at(act, mid) >= limit) lo = mid;
        else hi = mid;
    }
    r.z_flat = hi; /* the smallest float found with a slope below the limit */
    return r;
}

int unit_is_flat(const unit_rule *r, float z) {
    return r->relu ? z <= 0 : fabsf(z) >= r->z_flat;
}

layer_units unit_stats_layer(const nn_model *m, int k, const unit_rule *r, int n, int units) {
    const float *pre = nn_layer_output(m, 2 * k), *post = nn_layer_output(m, 2 * k + 1);
    int flat_count[UNIT_STATS_MAX_UNITS] = {0};
    if (units > UNIT_STATS_MAX_UNITS) units = UNIT_STATS_MAX_UNITS;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        const float *z = pre + (size_t)i * units, *h = post + (size_t)i * units;
        float row = 0;
        if (r->relu)
            for (int u = 0; u < units; u++) flat_count[u] += z[u] <= 0;
        else
            for (int u = 0; u < units; u++) flat_count[u] += fabsf(z[u]) >= r->z_flat;
        for (int u = 0; u < units; u++) row += h[u];
        sum += row;
    }
    long flat = 0, stuck = 0;
    for (int u = 0; u < units; u++) {
        flat += flat_count[u];
        stuck += flat_count[u] == n;
    }
    return (layer_units){(double)flat / ((double)n * units), (double)stuck / units,
                         sum / ((double)n * units)};
}

network_units unit_stats_network(const nn_model *m, int depth, const unit_rule *r, int n,
                                 int units) {
    network_units out = {0, 0, -1, 0};
    for (int k = 0; k < depth; k++) {
        layer_units l = unit_stats_layer(m, k, r, n, units);
        out.flat += l.flat / depth;
        out.stuck += l.stuck / depth;
        if (l.stuck > out.stuck_max) out.stuck_max = l.stuck, out.stuck_max_layer = k;
    }
    return out;
}
