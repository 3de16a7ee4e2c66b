/* arch.c - the benchmarked architectures as data, and their FLOP counts (see bench.h).
 *
 * mlp8: the 8-layer MLP 784-500-500-500-200-200-100-50-10 with ReLU between dense layers
 *       (no activation after the last one: the loss takes logits).
 * cnn:  the classic MNIST CNN: conv 5x5x32 pad 2 -> ReLU -> maxpool 2 -> conv 5x5x64 pad 2
 *       -> ReLU -> maxpool 2 -> dense 1024 -> ReLU -> dense 10.
 * cifar: chapter 04's CIFAR-10 network (chapters/04-cifar10/cifar_model.h): conv 3x3x32 pad 1
 *       -> BN -> ReLU, then three groups of conv 3x3 -> maxpool 2 -> BN -> ReLU -> conv 3x3
 *       -> BN -> ReLU with 64, 128 and 192 filters, maxpool 4, dense 10, logits times 1/8.
 * bench/peer_torch.py builds exactly these in PyTorch. */
#include <string.h>

#include "bench.h"

static const bench_layer mlp8_layers[] = {
    {BL_DENSE, 500, 0, 0}, {BL_RELU, 0, 0, 0}, {BL_DENSE, 500, 0, 0}, {BL_RELU, 0, 0, 0},
    {BL_DENSE, 500, 0, 0}, {BL_RELU, 0, 0, 0}, {BL_DENSE, 200, 0, 0}, {BL_RELU, 0, 0, 0},
    {BL_DENSE, 200, 0, 0}, {BL_RELU, 0, 0, 0}, {BL_DENSE, 100, 0, 0}, {BL_RELU, 0, 0, 0},
    {BL_DENSE, 50, 0, 0},  {BL_RELU, 0, 0, 0}, {BL_DENSE, 10, 0, 0},
};

static const bench_layer cnn_layers[] = {
    {BL_CONV, 32, 5, 2}, {BL_RELU, 0, 0, 0},     {BL_MAXPOOL, 2, 0, 0},
    {BL_CONV, 64, 5, 2}, {BL_RELU, 0, 0, 0},     {BL_MAXPOOL, 2, 0, 0},
    {BL_DENSE, 1024, 0, 0}, {BL_RELU, 0, 0, 0}, {BL_DENSE, 10, 0, 0},
};

#define BN {BL_BATCHNORM, 0, 0, 0}
#define RELU {BL_RELU, 0, 0, 0}
#define CONV3(n) {BL_CONV, n, 3, 1}
#define POOL2 {BL_MAXPOOL, 2, 0, 0}
static const bench_layer cifar_layers[] = {
    CONV3(32),  BN,    RELU,                                      /* stem */
    CONV3(64),  POOL2, BN,   RELU, CONV3(64),  BN, RELU,          /* group 1 */
    CONV3(128), POOL2, BN,   RELU, CONV3(128), BN, RELU,          /* group 2 */
    CONV3(192), POOL2, BN,   RELU, CONV3(192), BN, RELU,          /* group 3 */
    {BL_MAXPOOL, 4, 0, 0}, {BL_DENSE, 10, 0, 0}, {BL_SCALE, 8, 0, 0}, /* head */
};
#undef BN
#undef RELU
#undef CONV3
#undef POOL2

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const bench_arch archs[] = {
    {"mlp8", "8-layer MLP 784-500-500-500-200-200-100-50-10, ReLU", 1, 28, 28, 10, mlp8_layers,
     COUNT(mlp8_layers)},
    {"cnn",
     "MNIST CNN conv5x5x32 pad2-ReLU-maxpool2-conv5x5x64 pad2-ReLU-maxpool2-dense1024-ReLU-"
     "dense10",
     1, 28, 28, 10, cnn_layers, COUNT(cnn_layers)},
    {"cifar",
     "CIFAR-10 net of chapter 04: conv3x3x32-BN-ReLU, 3 groups (conv3x3-maxpool2-BN-ReLU-"
     "conv3x3-BN-ReLU) of 64/128/192, maxpool4, dense10, logits/8",
     3, 32, 32, 10, cifar_layers, COUNT(cifar_layers)},
};

const bench_arch *bench_arch_find(const char *name) {
    for (int i = 0; i < COUNT(archs); i++)
        if (!strcmp(archs[i].name, name)) return &archs[i];
    return NULL;
}

const char *bench_arch_names(void) {
    return "mlp8, cnn, cifar";
}

double bench_forward_flops(const bench_arch *a) {
    double macs = 0;
    int c = a->c, h = a->h, w = a->w;
    for (int i = 0; i < a->n_layers; i++) {
        const bench_layer *l = &a->layers[i];
        switch (l->kind) {
        case BL_DENSE:
            macs += (double)c * h * w * l->a;
            c = l->a, h = 1, w = 1;
            break;
        case BL_CONV: {
            int ho = h + 2 * l->c - l->b + 1, wo = w + 2 * l->c - l->b + 1;
            macs += (double)l->a * ho * wo * c * l->b * l->b;
            c = l->a, h = ho, w = wo;
            break;
        }
        case BL_MAXPOOL:
            h /= l->a, w /= l->a;
            break;
        case BL_RELU:
        case BL_BATCHNORM:
        case BL_SCALE:
            break;
        }
    }
    return 2 * macs;
}

double bench_step_flops(const bench_arch *a, const char *mode) {
    if (!strcmp(mode, "train")) return 3 * bench_forward_flops(a);
    if (!strcmp(mode, "infer")) return bench_forward_flops(a);
    return 0;
}
