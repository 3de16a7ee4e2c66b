/* kernels.c - where a training step's time goes, kernel by kernel (bench --kernels).
 *
 * The model API runs a whole forward or backward at once, which is what the benchmark
 * should time; to see which layer falls short we also need each kernel's share. This file
 * replays one training step of an architecture (bench.h) with the raw kernels of layers.h,
 * in the order nn_forward/nn_backward call them and with the same arguments (no input
 * gradient for the first layer, im2col scratch for `threads` threads), timing every call,
 * and prints per kernel: milliseconds per step, its share, and GFLOP/s where it does
 * multiply-adds. It is a diagnostic, not a benchmark row: nothing goes to the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "base/clock.h"
#include "nn/layers.h"
#include "base/rng.h"

typedef struct kslot {
    char name[32];
    double seconds, flops; /* accumulated over the timed steps; flops per call */
} kslot;

typedef struct klayer {
    const bench_layer *spec;
    int in_c, in_h, in_w; /* input shape */
    int oc, oh, ow;       /* output shape */
    size_t in_size, out_size, n_w; /* floats per sample in and out; weights (no biases) */
    conv2d_geom geom;
    float *w, *b, *dw, *db, *out, *d_out;
    kslot fwd, bwd;
} klayer;

static float *floats(size_t n, nn_rng *rng, float scale) {
    float *p = aligned_alloc(64, ((n ? n : 1) + 15) / 16 * 16 * sizeof *p);
    if (p)
        for (size_t i = 0; i < n; i++) p[i] = rng ? scale * (rng_uniform(rng) - 0.5f) : 0.0f;
    return p;
}

#define TIMED(slot, call)                                                                      \
    do {                                                                                       \
        double t_ = nn_seconds();                                                              \
        call;                                                                                  \
        (slot).seconds += nn_seconds() - t_;                                                   \
    } while (0)

int bench_kernels(const bench_arch *a, int batch, int threads, double seconds, FILE *out) {
    const int L = a->n_layers, n = batch;
    for (int i = 0; i < L; i++)
        if (a->layers[i].kind == BL_BATCHNORM || a->layers[i].kind == BL_SCALE) {
            fprintf(out, "bench: --kernels does not replay batch norm or fixed scales (model %s)\n",
                    a->name);
            return -1;
        }
    if (L < 1) return -1;
    klayer *ls = calloc((size_t)L, sizeof *ls);
    nn_rng rng;
    rng_seed(&rng, 1);
    int c = a->c, h = a->h, w = a->w;
    size_t scratch_len = 0;
    for (int i = 0; i < L; i++) {
        klayer *l = &ls[i];
        l->spec = &a->layers[i];
        l->in_c = c, l->in_h = h, l->in_w = w, l->in_size = (size_t)c * h * w;
        const char *kind = "relu";
        switch (l->spec->kind) {
        case BL_DENSE:
            kind = "dense";
            l->oc = l->spec->a, l->oh = l->ow = 1;
            l->n_w = (size_t)l->oc * l->in_size;
            l->w = floats(l->n_w, &rng, 0.05f);
            l->b = floats((size_t)l->oc, &rng, 0.05f);
            l->dw = floats(l->n_w, NULL, 0);
            l->db = floats((size_t)l->oc, NULL, 0);
            l->fwd.flops = 2.0 * n * l->in_size * l->oc;
            break;
        case BL_CONV:
            kind = "conv";
            l->geom = conv2d_make_geom(c, h, w, l->spec->a, l->spec->b, 1, l->spec->c);
            l->oc = l->spec->a, l->oh = l->geom.oh, l->ow = l->geom.ow;
            l->n_w = (size_t)l->oc * c * l->spec->b * l->spec->b;
            l->w = floats(l->n_w, &rng, 0.05f);
            l->b = floats((size_t)l->oc, &rng, 0.05f);
            l->dw = floats(l->n_w, NULL, 0);
            l->db = floats((size_t)l->oc, NULL, 0);
            l->fwd.flops = 2.0 * n * l->oc * l->oh * l->ow * c * l->spec->b * l->spec->b;
            if (conv2d_scratch_floats(&l->geom, threads) > scratch_len)
                scratch_len = conv2d_scratch_floats(&l->geom, threads);
            break;
        case BL_MAXPOOL:
            kind = "maxpool";
            l->oc = c, l->oh = h / l->spec->a, l->ow = w / l->spec->a;
            break;
        case BL_RELU:
        case BL_BATCHNORM: /* refused above */
        case BL_SCALE:
            l->oc = c, l->oh = h, l->ow = w;
            break;
        }
        /* dx of the first layer is not computed (no input gradient): backward does 1x the
         * forward's products there (dw only), 2x elsewhere. */
        l->bwd.flops = l->fwd.flops * (i == 0 ? 1 : 2);
        snprintf(l->fwd.name, sizeof l->fwd.name, "%d %s fwd", i, kind);
        snprintf(l->bwd.name, sizeof l->bwd.name, "%d %s bwd", i, kind);
        l->out_size = (size_t)l->oc * l->oh * l->ow;
        l->out = floats(n * l->out_size, NULL, 0);
        l->d_out = floats(n * l->out_size, NULL, 0);
        c = l->oc, h = l->oh, w = l->ow;
    }
    float *x = floats((size_t)n * a->c * a->h * a->w, &rng, 2.0f);
    float *scratch = floats(scratch_len, NULL, 0);
    uint8_t *labels = malloc((size_t)n);
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)rng_below(&rng, (uint64_t)a->classes);
    size_t n_params = 0;
    for (int i = 0; i < L; i++) n_params += ls[i].n_w + (ls[i].w ? (size_t)ls[i].oc : 0);
    float *vel = floats(n_params, NULL, 0);
    kslot loss = {"loss (softmax-CE)", 0, 0}, sgd = {"SGD momentum update", 0, 0};

    long steps = 0;
    double timed_from = 0;
    for (;;) {
        if (steps == 3) { /* warm-up done: reset the counters */
            for (int i = 0; i < L; i++) ls[i].fwd.seconds = ls[i].bwd.seconds = 0;
            loss.seconds = sgd.seconds = 0;
            timed_from = nn_seconds();
        }
        if (steps > 3 && nn_seconds() - timed_from >= seconds) break;
        steps++;
        const float *in = x;
        for (int i = 0; i < L; i++) {
            klayer *l = &ls[i];
            switch (l->spec->kind) {
            case BL_DENSE:
                TIMED(l->fwd, dense_forward(l->out, in, l->w, l->b, n, (int)l->in_size, l->oc));
                break;
            case BL_CONV:
                TIMED(l->fwd, conv2d_forward(l->out, in, l->w, l->b, n, &l->geom, scratch, threads));
                break;
            case BL_MAXPOOL:
                TIMED(l->fwd, maxpool_forward(l->out, in, n, l->in_c, l->in_h, l->in_w, l->spec->a, l->spec->a));
                break;
            case BL_RELU:
                TIMED(l->fwd, activation_forward(NN_RELU, l->out, in, n, (int)l->out_size));
                break;
            case BL_BATCHNORM: /* refused above */
            case BL_SCALE:
                break;
            }
            in = l->out;
        }
        klayer *last = &ls[L - 1];
        TIMED(loss, softmax_xent(last->out, labels, n, a->classes, last->d_out));
        for (int i = L - 1; i >= 0; i--) {
            klayer *l = &ls[i];
            const float *lin = i ? ls[i - 1].out : x;
            float *dx = i ? ls[i - 1].d_out : NULL;
            switch (l->spec->kind) {
            case BL_DENSE:
                TIMED(l->bwd, dense_backward(dx, l->dw, l->db, l->d_out, lin, l->w, n,
                                             (int)l->in_size, l->oc));
                break;
            case BL_CONV:
                TIMED(l->bwd, conv2d_backward(dx, l->dw, l->db, l->d_out, lin, l->w, n, &l->geom,
                                              scratch, threads));
                break;
            case BL_MAXPOOL:
                if (dx) TIMED(l->bwd, maxpool_backward(dx, l->d_out, lin, n, l->in_c, l->in_h, l->in_w,
                                                       l->spec->a, l->spec->a));
                break;
            case BL_RELU:
                if (dx) TIMED(l->bwd, activation_backward(NN_RELU, dx, l->d_out, lin, l->out, n,
                                                          (int)l->out_size));
                break;
            case BL_BATCHNORM: /* refused above */
            case BL_SCALE:
                break;
            }
        }
        /* The optimiser's loop (optim.c) over every parameter: v = mu v + g; p -= lr v. */
        double t = nn_seconds();
        size_t off = 0;
        for (int i = 0; i < L; i++) {
            klayer *l = &ls[i];
            if (!l->w) continue;
            float *ps[2] = {l->w, l->b}, *gs[2] = {l->dw, l->db};
            size_t ns[2] = {l->n_w, (size_t)l->oc};
            for (int k = 0; k < 2; k++) {
                float *restrict p = ps[k], *restrict v = vel + off;
                const float *restrict g = gs[k];
                for (size_t j = 0; j < ns[k]; j++) {
                    v[j] = 0.9f * v[j] + g[j];
                    p[j] -= 0.01f * v[j];
                }
                off += ns[k];
            }
        }
        sgd.seconds += nn_seconds() - t;
    }
    const double wall = nn_seconds() - timed_from;
    const long timed = steps - 3;
    double total = loss.seconds + sgd.seconds;
    for (int i = 0; i < L; i++) total += ls[i].fwd.seconds + ls[i].bwd.seconds;

    fprintf(out, "%s, batch %d, %d thread(s): %ld timed steps, %.3f ms/step (%.0f img/s); "
                 "kernels sum to %.1f%% of the wall time\n",
            a->name, n, threads, timed, 1e3 * wall / timed, n * timed / wall,
            100 * total / wall);
    fprintf(out, "%-22s %10s %7s %9s\n", "kernel", "ms/step", "share", "GFLOP/s");
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < L; j++) {
            int i = pass ? L - 1 - j : j;
            kslot *s = pass ? &ls[i].bwd : &ls[i].fwd;
            if (s->seconds <= 0) continue;
            fprintf(out, "%-22s %10.3f %6.1f%% ", s->name, 1e3 * s->seconds / timed,
                    100 * s->seconds / total);
            if (s->flops > 0) fprintf(out, "%9.1f\n", s->flops * timed / s->seconds * 1e-9);
            else fprintf(out, "%9s\n", "-");
        }
    kslot *extra[2] = {&loss, &sgd};
    for (int k = 0; k < 2; k++)
        fprintf(out, "%-22s %10.3f %6.1f%% %9s\n", extra[k]->name, 1e3 * extra[k]->seconds / timed,
                100 * extra[k]->seconds / total, "-");

    for (int i = 0; i < L; i++) {
        free(ls[i].w), free(ls[i].b), free(ls[i].dw), free(ls[i].db);
        free(ls[i].out), free(ls[i].d_out);
    }
    free(ls), free(x), free(scratch), free(labels), free(vel);
    return 0;
}
