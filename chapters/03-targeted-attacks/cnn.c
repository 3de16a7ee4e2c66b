/* cnn.c - the chapter's network and its helpers (see cnn.h). */
#include "cnn.h"

#include <stdlib.h>

#include "data/batches.h"
#include "nn/convnet.h"
#include "nn/metrics.h"

const float EPS[N_EPS] = {0.05f, 0.1f, 0.15f, 0.2f, 0.25f, 0.3f};

nn_model *ch_build_cnn(nn_rng *init_rng, const nn_rng *dropout_rng, nn_err *err) {
    static const nn_convnet_shape TUTORIAL = {1, 28, 28, 32, 64, 5, 1024, 0.5f, CLASSES};
    nn_model *m = nn_convnet_new(&TUTORIAL, ATTACK_BATCH, init_rng, err);
    if (m) nn_model_set_rng(m, dropout_rng);
    return m;
}

void ch_freeze_all(nn_model *m, int on) {
    for (int l = 0; l < nn_layer_count(m); l++)
        nn_freeze_layer(m, l, on);
}

void ch_gather(const nn_images *set, const int *index, int n, float *x, uint8_t *labels) {
    size_t d = images_stride(set);
    for (int k = 0; k < n; k++) {
        images_to_float(set, (size_t)index[k], 1, x + k * d);
        if (labels) labels[k] = set->labels[index[k]];
    }
}

int ch_select_twos(nn_model *m, const nn_images *test, int **index, int *count, int *count_twos,
                   nn_err *err) {
    nn_batches b;
    if (batches_init(&b, test, ATTACK_BATCH, err)) return -1;
    int *idx = malloc(sizeof(int) * (test->n ? test->n : 1));
    if (!idx) {
        batches_free(&b);
        return nn_fail(err, "select: out of memory");
    }
    int n, found = 0, twos = 0;
    batches_rewind(&b);
    while ((n = batches_next(&b)) > 0) {
        const float *z = nn_forward(m, b.x, n, 0);
        for (int k = 0; k < n; k++) {
            if (b.y[k] != SOURCE_CLASS) continue;
            twos++;
            if (nn_argmax(z + k * CLASSES, CLASSES) == SOURCE_CLASS)
                idx[found++] = b.order[b.first + k];
        }
    }
    batches_free(&b);
    *index = idx, *count = found, *count_twos = twos;
    return 0;
}
