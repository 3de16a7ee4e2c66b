/* cifar_model.c - the chapter's network and per-layer costs (see cifar_model.h). */
#include "cifar_model.h"

#include <stdio.h>

static void conv_bn_relu(nn_model *m, int channels) {
    nn_add_conv2d(m, channels, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
}

/* conv, pool, BN, ReLU: pooling before normalisation (as airbench does) lets the batch norm
 * and the activation run on a quarter of the values. */
static void conv_pool_bn_relu(nn_model *m, int channels) {
    nn_add_conv2d(m, channels, 3, 1, 1);
    nn_add_maxpool(m, 2, 2);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
}

static void residual_block(nn_model *m, int channels) {
    int skip = nn_mark(m);
    conv_bn_relu(m, channels);
    nn_add_conv2d(m, channels, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_residual(m, skip);
    nn_add_activation(m, NN_RELU);
}

nn_model *cifar_model_new(const cifar_arch *a, int max_batch, nn_rng *init, nn_err *err) {
    for (int g = 0; g < CIFAR_GROUPS; g++)
        if (a->width[g] < 1) {
            nn_fail(err, "group %d of the network has %d channels", g + 1, a->width[g]);
            return NULL;
        }
    if (a->stem < 0) {
        nn_fail(err, "the stem has %d channels", a->stem);
        return NULL;
    }
    nn_model *m = nn_model_new(3, 32, 32, err);
    if (!m) return NULL;
    if (a->stem > 0) conv_bn_relu(m, a->stem);
    for (int g = 0; g < CIFAR_GROUPS; g++) {
        conv_pool_bn_relu(m, a->width[g]);
        conv_bn_relu(m, a->width[g]);
        if (a->res[g]) residual_block(m, a->width[g]);
    }
    nn_add_maxpool(m, 4, 4); /* 32 / 2^3 = 4: one value per channel */
    nn_add_dense(m, 10);
    nn_add_dense(m, 10); /* the fixed logit scale, see below */
    if (nn_model_build(m, max_batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, init);
    /* Logits times CIFAR_LOGIT_SCALE, as a frozen diagonal layer: the head's input is a max
     * of ReLUs over 192 channels, so one SGD step at the recipe's rate would move the logits
     * by hundreds without it (measured: the loss exploded within ten steps). Page's ResNet-9
     * multiplies by 0.125 and airbench by 1/9 for the same reason. */
    int last = nn_layer_count(m) - 1;
    size_t len;
    float *w = nn_layer_weights(m, last, &len);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            w[i * 10 + j] = i == j ? CIFAR_LOGIT_SCALE : 0.0f;
    nn_freeze_layer(m, last, 1);
    return m;
}

void cifar_arch_format(const cifar_arch *a, char *buf, size_t size) {
    snprintf(buf, size, "s%d-%d-%d-%d-r%d%d%d", a->stem, a->width[0], a->width[1], a->width[2],
             a->res[0], a->res[1], a->res[2]);
}

/* The shape a layer reads: the previous layer's output, or the model input for layer 0. */
static void input_shape(const nn_model *m, int i, int *c, int *h, int *w) {
    if (i == 0)
        nn_input_shape(m, c, h, w);
    else
        nn_layer_shape(m, i - 1, c, h, w);
}

int64_t model_layer_macs(const nn_model *m, int i) {
    nn_layer_desc d;
    if (nn_layer_describe(m, i, &d)) return -1;
    int c, h, w, oc, oh, ow;
    input_shape(m, i, &c, &h, &w);
    nn_layer_shape(m, i, &oc, &oh, &ow);
    if (d.kind == NN_LAYER_CONV2D) return (int64_t)oc * oh * ow * c * d.kernel * d.kernel;
    if (d.kind == NN_LAYER_DENSE) return (int64_t)c * h * w * oc;
    return 0;
}

int64_t model_layer_elementwise(const nn_model *m, int i) {
    nn_layer_desc d;
    if (nn_layer_describe(m, i, &d)) return -1;
    if (d.kind == NN_LAYER_CONV2D || d.kind == NN_LAYER_DENSE || d.kind == NN_LAYER_FLATTEN)
        return 0;
    int c, h, w;
    nn_layer_shape(m, i, &c, &h, &w);
    return (int64_t)c * h * w;
}

int64_t model_macs(const nn_model *m) {
    int64_t total = 0;
    for (int i = 0; i < nn_layer_count(m); i++)
        total += model_layer_macs(m, i);
    return total;
}

size_t model_layer_params(const nn_model *m, int i) {
    size_t total = 0;
    for (int k = 0; k < nn_param_span_count(m); k++) {
        nn_param_span s = nn_param_span_at(m, k);
        if (s.layer == i) total += s.count;
    }
    return total;
}
