/* bench.c - nnlab's side of `make bench`: training throughput and inference latency of the
 * benchmarked models (bench.h), the CPU's large-sgemm peak, and the comparison report.
 *
 *   bench --model mlp8 --mode train --batch 64 --threads 1     one row, one JSON line
 *   bench --peak --threads 1                                   large-sgemm GFLOP/s
 *   bench --report results.jsonl [--db db/results.sqlite]     table (+ database)
 *
 * bench/run.sh drives it together with bench/peer_torch.py; see there for the whole run.
 *
 * How a row is measured, the same way on both sides:
 *   - Synthetic data from a seeded generator (no dataset needed): a pool of POOL batches of
 *     uniform [0,1) pixels and uniform labels, used in turn, so every step reads a batch
 *     that is not hot in the cache from the previous step (as in real training).
 *   - A training step is forward + softmax cross-entropy + backward + SGD momentum update
 *     (lr 0.01, momentum 0.9), with no gradient with respect to the input (PyTorch computes
 *     none for an input that does not require it). Inference is a forward of batch 1 in
 *     evaluation mode.
 *   - Warm-up first (caches, page faults, OpenBLAS thread start-up), then `repeats` timed
 *     repeats of at least `seconds` each; the median rate is reported, because the machine
 *     is shared and a repeat can lose its core to another process.
 *   - Flush-to-zero and denormals-are-zero are set for the main thread, mirroring
 *     torch.set_flush_denormal(True) on the peer side (which also applies to its calling
 *     thread only). The benchmark data never produces denormals anyway.
 * Threads: --threads N sets both OpenMP's and OpenBLAS's thread counts (nnlab uses OpenBLAS
 * for every matrix product and OpenMP for nothing else yet, so there is no
 * oversubscription to avoid). */
#include <cblas.h>
#include <getopt.h>
#include <omp.h>
#include <pmmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <xmmintrin.h>

#include "bench.h"
#include "base/clock.h"
#include "nn/layers.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "base/rng.h"

enum { POOL = 8 };

typedef struct options {
    const char *model, *mode, *db, *report;
    int batch, threads, repeats, peak, peak_n, kernels;
    double seconds, warmup;
    int64_t seed;
} options;

static void usage(FILE *out, const char *program) {
    fprintf(out,
            "Usage: %s --model NAME --mode train|infer [--batch N] [--threads N] [--seconds S]\n"
            "          [--repeats R] [--warmup S] [--seed N]\n"
            "       %s --peak [--threads N] [--size N] [--repeats R]\n"
            "       %s --kernels --model NAME [--batch N] [--threads N] [--seconds S]\n"
            "       %s --report FILE [--db PATH]\n\n"
            "nnlab's side of `make bench` (see bench/run.sh). Measures one row - training\n"
            "throughput (forward + softmax-CE + backward + SGD momentum) or batch inference\n"
            "latency - on seeded synthetic data, and prints it as one JSON line; or the\n"
            "GFLOP/s of a large cblas_sgemm; or reads such lines (both nnlab's and PyTorch's)\n"
            "and prints the comparison table, storing it in the results database.\n\n"
            "Options:\n"
            "  --model NAME     %s\n"
            "  --mode MODE      train (images/s) or infer (ms/image)\n"
            "  --batch N        batch size (default 64; infer: 1)\n"
            "  --threads N      OpenMP and OpenBLAS threads (default 1)\n"
            "  --seconds S      minimum length of each timed repeat (default 1.0)\n"
            "  --repeats R      timed repeats; the median is reported (default 5)\n"
            "  --warmup S       untimed warm-up before the repeats (default 0.5)\n"
            "  --seed N         seed of the weights and the synthetic data (default 1)\n"
            "  --peak           measure the large-sgemm peak instead of a model\n"
            "  --size N         sgemm size for --peak, N x N x N (default 2048)\n"
            "  --kernels        time a training step kernel by kernel (where the time goes)\n"
            "  --report FILE    print the table of the records in FILE (JSON lines)\n"
            "  --db PATH        with --report: also store the rows in this results database\n"
            "  -h, --help       show this help\n",
            program, program, program, program, bench_arch_names());
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int parse_seconds(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0 && v <= 3600)) return -1;
    *out = v;
    return 0;
}

/* 0 to go on, 1 after --help, -1 on a usage error (message printed). */
static int parse_options(int argc, char **argv, options *o) {
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'},  {"mode", required_argument, NULL, 'M'},
        {"batch", required_argument, NULL, 'b'},  {"threads", required_argument, NULL, 't'},
        {"seconds", required_argument, NULL, 's'}, {"repeats", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'}, {"seed", required_argument, NULL, 'S'},
        {"peak", no_argument, NULL, 'p'},         {"size", required_argument, NULL, 'n'},
        {"report", required_argument, NULL, 'R'}, {"db", required_argument, NULL, 'd'},
        {"kernels", no_argument, NULL, 'k'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (options){.mode = "train", .batch = 0, .threads = 1, .repeats = 5, .peak_n = 2048,
                   .seconds = 1.0, .warmup = 0.5, .seed = 1};
    const char *prog = argv[0];
    int c, bad = 0, seed = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'M': o->mode = optarg; break;
        case 'b': bad = parse_int(optarg, 1, 65536, &o->batch); break;
        case 't': bad = parse_int(optarg, 1, 1024, &o->threads); break;
        case 's': bad = parse_seconds(optarg, &o->seconds); break;
        case 'r': bad = parse_int(optarg, 1, 1000, &o->repeats); break;
        case 'w': bad = parse_seconds(optarg, &o->warmup); break;
        case 'S': bad = parse_int(optarg, 0, INT32_MAX, &seed), o->seed = seed; break;
        case 'p': o->peak = 1; break;
        case 'k': o->kernels = 1; break;
        case 'n': bad = parse_int(optarg, 64, 16384, &o->peak_n); break;
        case 'R': o->report = optarg; break;
        case 'd': o->db = optarg; break;
        case 'h': usage(stdout, prog); return 1;
        case ':': fprintf(stderr, "%s: %s needs a value (try --help)\n", prog, argv[optind - 1]); return -1;
        default: fprintf(stderr, "%s: unknown option '%s' (try --help)\n", prog, argv[optind - 1]); return -1;
        }
        if (bad) {
            fprintf(stderr, "%s: bad value '%s' for %s (try --help)\n", prog, optarg,
                    argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", prog, argv[optind]);
        return -1;
    }
    if (o->report || o->peak) return 0;
    if (!o->model || !bench_arch_find(o->model)) {
        fprintf(stderr, "%s: --model must be one of %s (try --help)\n", prog, bench_arch_names());
        return -1;
    }
    if (strcmp(o->mode, "train") && strcmp(o->mode, "infer")) {
        fprintf(stderr, "%s: --mode must be train or infer, not '%s'\n", prog, o->mode);
        return -1;
    }
    if (!o->batch) o->batch = strcmp(o->mode, "infer") ? 64 : 1;
    return 0;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- the model side ------------------------------------------------------------------- */

/* Builds the nnlab model for `a` (the thread count must be set already: conv layers size
 * their im2col buffers for the OpenMP threads available at build). */
static nn_model *build_model(const bench_arch *a, int max_batch, nn_err *err) {
    nn_model *m = nn_model_new(a->c, a->h, a->w, err);
    if (!m) return NULL;
    for (int i = 0; i < a->n_layers; i++) {
        const bench_layer *l = &a->layers[i];
        switch (l->kind) {
        case BL_DENSE: nn_add_dense(m, l->a); break; /* after an image: implicit flatten */
        case BL_RELU: nn_add_activation(m, NN_RELU); break;
        case BL_CONV: nn_add_conv2d(m, l->a, l->b, 1, l->c); break;
        case BL_MAXPOOL: nn_add_maxpool(m, l->a, l->a); break;
        case BL_BATCHNORM: nn_add_batchnorm(m); break;
        case BL_SCALE: nn_add_dense(m, a->classes); break; /* set by fix_scales */
        }
    }
    if (nn_model_build(m, max_batch, err) < 0) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

/* A fixed scale is a diagonal dense layer of 1/a, frozen (as chapter 04 builds it); every
 * bench layer is one model layer, so layer i of the model is layers[i]. After init. */
static void fix_scales(nn_model *m, const bench_arch *a) {
    for (int i = 0; i < a->n_layers; i++) {
        if (a->layers[i].kind != BL_SCALE) continue;
        size_t len;
        float *w = nn_layer_weights(m, i, &len);
        for (int r = 0; r < a->classes; r++)
            for (int c = 0; c < a->classes; c++)
                w[r * a->classes + c] = r == c ? 1.0f / (float)a->layers[i].a : 0.0f;
        nn_freeze_layer(m, i, 1);
    }
}

typedef struct bench_ctx {
    nn_model *model;
    nn_optim *opt;
    float *x;     /* POOL batches of inputs */
    uint8_t *y;   /* POOL batches of labels */
    int batch, in_size, classes, train;
    long next;    /* steps taken, selects the batch */
    float loss;   /* last loss, printed so the work cannot be optimised away */
} bench_ctx;

static void run_step(bench_ctx *c) {
    const int k = (int)(c->next++ % POOL);
    const float *x = c->x + (size_t)k * c->batch * c->in_size;
    const float *logits = nn_forward(c->model, x, c->batch, c->train);
    if (!c->train) {
        c->loss = logits[0];
        return;
    }
    float *d = nn_output_grad_buffer(c->model);
    c->loss = softmax_xent(logits, c->y + (size_t)k * c->batch, c->batch, c->classes, d);
    nn_backward(c->model, d, c->batch);
    nn_optim_step(c->opt, 0.01f);
}

/* Peak resident set size of this process so far, in MB (Linux reports ru_maxrss in KB). */
static double peak_rss_mb(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss / 1024.0;
}

/* The 1-minute load average (-1 if unknown): the machine is shared, so every record says
 * how busy it was while it was measured. */
static double load_average(void) {
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = -1;
        fclose(f);
    }
    return load;
}

/* How idle threads wait, which the runtimes read from the environment at start-up (so
 * bench/run.sh sets it per process): OMP_WAIT_POLICY for OpenMP's team, and
 * OPENBLAS_THREAD_TIMEOUT for how long OpenBLAS's workers spin before sleeping. */
static const char *wait_policy(void) {
    const char *omp = getenv("OMP_WAIT_POLICY");
    return omp && *omp ? omp : "default";
}

static void print_config(const options *o) {
    const char *timeout = getenv("OPENBLAS_THREAD_TIMEOUT");
    printf("\"load\":%.2f,", load_average());
    printf("\"label\":\"omp=%d blas=%d wait=%s\",", omp_get_max_threads(),
           openblas_get_num_threads(), wait_policy());
    printf("\"config\":\"nnlab; openblas_threads=%d omp_threads=%d; OMP_WAIT_POLICY=%s "
           "OPENBLAS_THREAD_TIMEOUT=%s; FTZ/DAZ on; %s\"",
           openblas_get_num_threads(), omp_get_max_threads(), wait_policy(),
           timeout && *timeout ? timeout : "default", openblas_get_config());
    (void)o;
}

static int bench_row(const options *o) {
    const bench_arch *a = bench_arch_find(o->model);
    const int train = !strcmp(o->mode, "train");
    nn_err err = {{0}};
    nn_model *m = build_model(a, o->batch, &err);
    if (!m) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    nn_rng rng;
    rng_seed(&rng, (uint64_t)o->seed);
    nn_rng init_rng = rng_split(&rng, 1), data_rng = rng_split(&rng, 2);
    nn_model_init(m, NN_INIT_HE_NORMAL, &init_rng);
    fix_scales(m, a);
    nn_set_input_grad(m, 0);

    bench_ctx c = {.model = m, .batch = o->batch, .in_size = nn_input_size(m),
                   .classes = a->classes, .train = train};
    size_t nx = (size_t)POOL * o->batch * c.in_size;
    c.x = malloc(nx * sizeof *c.x);
    c.y = malloc((size_t)POOL * o->batch);
    if (train)
        c.opt = nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f}, &err);
    if (!c.x || !c.y || (train && !c.opt)) {
        fprintf(stderr, "bench: %s\n", c.opt || !train ? "out of memory" : err.msg);
        free(c.x), free(c.y), nn_model_free(m);
        return -1;
    }
    for (size_t i = 0; i < nx; i++) c.x[i] = rng_uniform(&data_rng);
    for (size_t i = 0; i < (size_t)POOL * o->batch; i++)
        c.y[i] = (uint8_t)rng_below(&data_rng, (uint64_t)a->classes);

    /* Warm-up: at least POOL steps (every batch touched once) and o->warmup seconds. */
    double t0 = nn_seconds();
    for (int i = 0; i < POOL || nn_seconds() - t0 < o->warmup; i++) run_step(&c);

    double *rate = malloc((size_t)o->repeats * sizeof *rate);
    long steps = 0;
    for (int r = 0; r < o->repeats; r++) {
        long n = 0;
        double start = nn_seconds(), dt;
        do {
            run_step(&c);
            n++;
        } while ((dt = nn_seconds() - start) < o->seconds);
        rate[r] = (double)n * o->batch / dt;
        steps += n;
    }
    double best = rate[0];
    for (int r = 1; r < o->repeats; r++) best = rate[r] > best ? rate[r] : best;
    double img_s = median(rate, o->repeats);
    double gflops = img_s * bench_step_flops(a, o->mode) * 1e-9;
    printf("{\"impl\":\"nnlab\",\"kind\":\"row\",\"model\":\"%s\",\"mode\":\"%s\",\"batch\":%d,"
           "\"threads\":%d,\"img_per_s\":%.6g,\"img_per_s_best\":%.6g,\"ms_per_img\":%.6g,"
           "\"gflops\":%.4g,"
           "\"repeats\":%d,\"steps\":%ld,\"last_loss\":%.6g,\"rss_mb\":%.1f,",
           o->model, o->mode, o->batch, o->threads, img_s, best, 1000.0 / img_s, gflops, o->repeats,
           steps, (double)c.loss, peak_rss_mb());
    print_config(o);
    printf("}\n");
    free(rate);
    free(c.x), free(c.y);
    nn_optim_free(c.opt);
    nn_model_free(m);
    return 0;
}

/* ---- the peak ------------------------------------------------------------------------- */

/* GFLOP/s of C = A B for n x n matrices, the best case of every dense and convolution
 * layer here: large enough that packing and edges cost nothing, as a ceiling. */
static int bench_peak(const options *o) {
    const int n = o->peak_n;
    const size_t nn = (size_t)n * n;
    float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b), *c = malloc(nn * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "bench: out of memory for a %d x %d sgemm\n", n, n);
        free(a), free(b), free(c);
        return -1;
    }
    nn_rng rng;
    rng_seed(&rng, (uint64_t)o->seed);
    for (size_t i = 0; i < nn; i++) a[i] = rng_uniform(&rng), b[i] = rng_uniform(&rng), c[i] = 0;
    double *g = malloc((size_t)o->repeats * sizeof *g);
    const double flops = 2.0 * n * n * (double)n;
    for (int r = -1; r < o->repeats; r++) { /* r = -1: warm-up */
        double t = nn_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f,
                    c, n);
        t = nn_seconds() - t;
        if (r >= 0) g[r] = flops / t * 1e-9;
    }
    double best = g[0];
    for (int r = 1; r < o->repeats; r++) best = g[r] > best ? g[r] : best;
    double med = median(g, o->repeats);
    printf("{\"impl\":\"nnlab\",\"kind\":\"peak\",\"threads\":%d,\"size\":%d,\"gflops\":%.4g,"
           "\"gflops_best\":%.4g,\"repeats\":%d,",
           o->threads, n, med, best, o->repeats);
    print_config(o);
    printf("}\n");
    free(g), free(a), free(b), free(c);
    return 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc) return rc > 0 ? 0 : 2;
    if (o.report) {
        nn_err err = {{0}};
        if (bench_report(o.report, o.db, &err) < 0) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    omp_set_num_threads(o.threads);
    openblas_set_num_threads(o.threads);
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
    if (o.kernels)
        rc = bench_kernels(bench_arch_find(o.model), o.batch, o.threads, o.seconds, stdout);
    else
        rc = o.peak ? bench_peak(&o) : bench_row(&o);
    fflush(stdout);
    return rc < 0 ? 1 : 0;
}
