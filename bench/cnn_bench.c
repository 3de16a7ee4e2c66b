/* cnn_bench.c - images/s of the MNIST CNN of the speed requirement (TensorFlow tutorial's
 * net): conv5x5x32 (pad 2) - relu - maxpool2 - conv5x5x64 (pad 2) - relu - maxpool2 -
 * dense 1024 - relu - dense 10, on random data (speed does not depend on the values).
 *
 *     cc ... bench/cnn_bench.c build/release/libnn.a ... -o build/cnn_bench
 *     OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 build/cnn_bench
 * Prints training images/s (forward + backward + SGD step) at batch 64 and 128, and
 * batch-1 inference images/s. A development tool, not part of the library or the report. */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "optim.h"

static nn_model *mnist_cnn(int max_batch) {
    nn_model *m = nn_model_new(1, 28, 28, NULL);
    nn_add_conv2d(m, 32, 5, 1, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_conv2d(m, 64, 5, 1, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_dense(m, 1024);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 10);
    nn_err err;
    if (nn_model_build(m, max_batch, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    nn_rng rng;
    rng_seed(&rng, 1);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    nn_set_input_grad(m, 0);
    return m;
}

int main(int argc, char **argv) {
    const double seconds = argc > 1 ? atof(argv[1]) : 3.0;
    nn_rng rng;
    rng_seed(&rng, 2);
    const int batches[2] = {64, 128};
    float *x = malloc(sizeof(float) * 128 * 784);
    uint8_t y[128];
    for (int i = 0; i < 128 * 784; i++) x[i] = rng_uniform(&rng);
    for (int i = 0; i < 128; i++) y[i] = (uint8_t)rng_below(&rng, 10);
    for (int b = 0; b < 2; b++) {
        const int n = batches[b];
        nn_model *m = mnist_cnn(n);
        nn_optim *o = nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f}, NULL);
        int steps = 0;
        double t0 = 0;
        for (;;) {
            if (steps == 2) t0 = nn_seconds(); /* two warm-up steps */
            softmax_xent(nn_forward(m, x, n, 1), y, n, 10, nn_output_grad_buffer(m));
            nn_backward(m, nn_output_grad_buffer(m), n);
            nn_optim_step(o, 0.01f);
            steps++;
            if (steps > 2 && nn_seconds() - t0 > seconds) break;
        }
        double dt = nn_seconds() - t0;
        printf("train batch %3d: %8.1f images/s (%d steps)\n", n, (steps - 2) * n / dt, steps - 2);
        nn_optim_free(o);
        nn_model_free(m);
    }
    nn_model *m = mnist_cnn(1);
    long count = 0;
    double t0 = nn_seconds();
    while (nn_seconds() - t0 < seconds)
        for (int i = 0; i < 100; i++, count++) nn_forward(m, x + (size_t)(count % 128) * 784, 1, 0);
    printf("infer batch   1: %8.1f images/s\n", count / (nn_seconds() - t0));
    nn_model_free(m);
    free(x);
    return 0;
}
