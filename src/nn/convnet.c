/* convnet.c - the small convolutional network (see convnet.h). */
#include "nn/convnet.h"

nn_model *nn_convnet_new(const nn_convnet_shape *s, int max_batch, nn_rng *init_rng, nn_err *err) {
    if (s->kernel < 1 || s->kernel % 2 == 0) {
        nn_fail(err, "convnet: the kernel must be odd and positive, not %d", s->kernel);
        return NULL;
    }
    if (s->conv1 < 1 || s->conv2 < 1 || s->dense < 1 || s->classes < 1) {
        nn_fail(err, "convnet: %d and %d filters, %d units, %d classes: each must be at least 1",
                s->conv1, s->conv2, s->dense, s->classes);
        return NULL;
    }
    if (s->h < 4 || s->w < 4) {
        nn_fail(err, "convnet: a %d x %d image is too small for two 2 x 2 poolings", s->h, s->w);
        return NULL;
    }
    if (!(s->dropout >= 0 && s->dropout < 1)) {
        nn_fail(err, "convnet: dropout %g is not in [0, 1)", (double)s->dropout);
        return NULL;
    }
    nn_model *m = nn_model_new(s->c, s->h, s->w, err);
    if (!m) return NULL;
    const int pad = s->kernel / 2;
    nn_add_conv2d(m, s->conv1, s->kernel, 1, pad);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_conv2d(m, s->conv2, s->kernel, 1, pad);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_dense(m, s->dense);
    nn_add_activation(m, NN_RELU);
    if (s->dropout > 0) nn_add_dropout(m, s->dropout);
    nn_add_dense(m, s->classes);
    if (nn_model_build(m, max_batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, init_rng);
    return m;
}
