/* reference_model.c - see reference_model.h. */
#include "reference_model.h"

nn_model *fuzz_reference_model(nn_err *err) {
    nn_model *m = nn_model_new(1, 6, 6, err);
    if (!m) return NULL;
    nn_add_conv2d(m, 2, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
    int mark = nn_mark(m);
    nn_add_conv2d(m, 2, 3, 1, 1);
    nn_add_residual(m, mark);
    nn_add_maxpool(m, 2, 2);
    nn_add_flatten(m);
    nn_add_dropout(m, 0.25f);
    nn_add_dense(m, 3);
    if (nn_model_build(m, 1, err) < 0) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}
