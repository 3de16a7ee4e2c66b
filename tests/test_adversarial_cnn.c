/* test_adversarial_cnn.c - the attacks of the targeted-attack chapter on the network they
 * attack: the tutorial CNN's layer kinds (conv 5x5 "same", ReLU, 2x2 max-pool, twice; dense,
 * ReLU, dropout 0.5; dense 10), with fewer channels for speed.
 *   - dL/dx of the target cross-entropy (what targeted FGSM/PGD follow) against central
 *     differences of an independent double-precision forward pass, in which dropout is the
 *     identity, as it must be at inference;
 *   - the same gradient with every layer frozen (how the chapter attacks, for speed);
 *   - every attack's output inside its eps ball and inside [0, 1], on digit-like inputs
 *     with many pixels at exactly 0 and 1;
 *   - the untargeted attacks of attack_untargeted.h on a classifier known by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack.h"
#include "attack/attack_untargeted.h"
#include "gradcheck.h"
#include "nn/layers.h"

#define S 28 /* image side */
#define C1 4 /* channels of the two conv layers (the tutorial has 32 and 64) */
#define C2 6
#define HID 24 /* dense units (the tutorial has 1024) */
#define N 2    /* batch */
#define D (S * S)

static nn_model *small_tutorial_cnn(nn_rng *rng) {
    nn_model *m = nn_model_new(1, S, S, NULL);
    nn_add_conv2d(m, C1, 5, 1, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_conv2d(m, C2, 5, 1, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_dense(m, HID);
    nn_add_activation(m, NN_RELU);
    nn_add_dropout(m, 0.5f);
    nn_add_dense(m, 10);
    nn_err err;
    cr_assert_eq(nn_model_build(m, 8, &err), 0, "%s", err.msg);
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    /* Non-zero biases, so that the reference's bias handling is tested too. */
    for (int l = 0; l < nn_layer_count(m); l++) {
        size_t len;
        float *b = nn_layer_bias(m, l, &len);
        if (b) fill_uniform(rng, b, len, -0.1f, 0.1f);
    }
    return m;
}

/* Digit-like images: a background of exact zeros, strokes of exact ones, some greys. */
static void digit_like(nn_rng *rng, float *x, int n) {
    for (int k = 0; k < n; k++)
        for (int i = 0; i < D; i++) {
            int r = i / S, c = i % S;
            float v = 0;
            if (r > 6 && r < 22 && (c == 10 + k || c == 11 + k || r == 20))
                v = 1;
            else if (r > 5 && r < 23 && c > 7 && c < 20)
                v = rng_uniform(rng) < 0.3f ? rng_uniform(rng) : 0;
            x[k * D + i] = v;
        }
}

/* ---- double-precision reference of exactly this architecture ------------------------- */

typedef struct ref_params {
    const double *w1, *b1, *w2, *b2, *w3, *b3, *w4, *b4;
} ref_params;

static void conv_relu_pool(const double *in, int c, int side, const double *w, const double *b,
                           int oc, double *out) {
    int half = side / 2;
    double *tmp = malloc(sizeof(double) * oc * side * side);
    for (int o = 0; o < oc; o++)
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++) {
                double v = b[o];
                for (int ci = 0; ci < c; ci++)
                    for (int ky = 0; ky < 5; ky++)
                        for (int kx = 0; kx < 5; kx++) {
                            int iy = y + ky - 2, ix = x + kx - 2;
                            if (iy < 0 || iy >= side || ix < 0 || ix >= side) continue;
                            v += w[((o * c + ci) * 5 + ky) * 5 + kx] *
                                 in[(ci * side + iy) * side + ix];
                        }
                tmp[(o * side + y) * side + x] = v > 0 ? v : 0;
            }
    for (int o = 0; o < oc; o++)
        for (int y = 0; y < half; y++)
            for (int x = 0; x < half; x++) {
                double m = -INFINITY;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        double v = tmp[(o * side + 2 * y + dy) * side + 2 * x + dx];
                        if (v > m) m = v;
                    }
                out[(o * half + y) * half + x] = m;
            }
    free(tmp);
}

/* Mean cross-entropy of the n samples against their targets. Dropout: identity. */
static double ref_loss(const ref_params *p, const double *x, int n, const uint8_t *target) {
    double a1[C1 * 14 * 14], a2[C2 * 7 * 7], h[HID], z[10], total = 0;
    for (int k = 0; k < n; k++) {
        conv_relu_pool(x + k * D, 1, S, p->w1, p->b1, C1, a1);
        conv_relu_pool(a1, C1, 14, p->w2, p->b2, C2, a2);
        for (int o = 0; o < HID; o++) {
            double v = p->b3[o];
            for (int i = 0; i < C2 * 49; i++)
                v += p->w3[o * C2 * 49 + i] * a2[i];
            h[o] = v > 0 ? v : 0;
        }
        double zmax = -INFINITY, sum = 0;
        for (int o = 0; o < 10; o++) {
            double v = p->b4[o];
            for (int i = 0; i < HID; i++)
                v += p->w4[o * HID + i] * h[i];
            z[o] = v;
            if (v > zmax) zmax = v;
        }
        for (int o = 0; o < 10; o++)
            sum += exp(z[o] - zmax);
        total += zmax + log(sum) - z[target[k]];
    }
    return total / n;
}

static double *to_double(const float *f, size_t n) {
    double *d = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++)
        d[i] = f[i];
    return d;
}

Test(adversarial_cnn, input_gradient_matches_finite_differences_with_dropout_off) {
    nn_rng rng;
    rng_seed(&rng, 11);
    nn_model *m = small_tutorial_cnn(&rng);
    /* Layer indices: 0 conv, 3 conv, 6 dense, 9 dense. */
    const int param_layers[4] = {0, 3, 6, 9};
    double *pd = to_double(nn_params(m), nn_param_count(m));
    const double *w[4], *b[4];
    for (int i = 0; i < 4; i++) {
        size_t len;
        w[i] = pd + (nn_layer_weights(m, param_layers[i], &len) - nn_params(m));
        b[i] = pd + (nn_layer_bias(m, param_layers[i], &len) - nn_params(m));
    }
    ref_params p = {w[0], b[0], w[1], b[1], w[2], b[2], w[3], b[3]};

    float x[N * D];
    fill_uniform(&rng, x, N * D, 0.05f, 0.95f); /* away from the clip, random everywhere */
    uint8_t target[N] = {6, 6};
    nn_set_input_grad(m, 1);
    const float *z = nn_forward(m, x, N, 0);
    float z_again[N * 10];
    memcpy(z_again, z, sizeof z_again);
    cr_assert_eq(memcmp(nn_forward(m, x, N, 0), z_again, sizeof z_again), 0,
                 "inference is deterministic: dropout is off");
    float *dz = nn_output_grad_buffer(m);
    float loss = softmax_xent(nn_forward(m, x, N, 0), target, N, 10, dz);
    cr_assert_eq(nn_backward(m, dz, N), 0);
    float g[N * D];
    memcpy(g, nn_input_grad(m), sizeof g);

    double *xd = to_double(x, N * D);
    cr_assert_float_eq(ref_loss(&p, xd, N, target), loss, 1e-4,
                       "the reference computes the model's loss (dropout as identity)");
    /* Central differences in double on every pixel of both samples. */
    double *fd = malloc(sizeof(double) * N * D);
    const double h = 1e-5;
    for (int i = 0; i < N * D; i++) {
        double keep = xd[i];
        xd[i] = keep + h;
        double up = ref_loss(&p, xd, N, target);
        xd[i] = keep - h;
        double down = ref_loss(&p, xd, N, target);
        xd[i] = keep;
        fd[i] = (up - down) / (2 * h);
    }
    double norm_err = norm_rel_err(g, fd, N * D);
    cr_assert(norm_err < 1e-4, "normwise relative error of dL/dx %g", norm_err);
    double worst = max_rel_err(g, fd, N * D, 1e-3);
    cr_assert(worst < 1e-2, "elementwise relative error of dL/dx %g", worst);

    /* Frozen layers compute no parameter gradients but the same input gradient. */
    for (int l = 0; l < nn_layer_count(m); l++)
        nn_freeze_layer(m, l, 1);
    softmax_xent(nn_forward(m, x, N, 0), target, N, 10, dz);
    nn_backward(m, dz, N);
    cr_assert_eq(memcmp(nn_input_grad(m), g, sizeof g), 0, "frozen: same dL/dx");

    free(fd);
    free(xd);
    free(pd);
    nn_model_free(m);
}

static void assert_in_ball(const float *x, const float *adv, int count, float eps,
                           const char *what) {
    for (int i = 0; i < count; i++) {
        cr_assert(adv[i] >= 0 && adv[i] <= 1, "%s: pixel %d = %g outside [0, 1]", what, i, adv[i]);
        cr_assert(fabsf(adv[i] - x[i]) <= eps + 1e-6f, "%s: pixel %d moved %g > eps %g", what, i,
                  fabsf(adv[i] - x[i]), eps);
    }
}

Test(adversarial_cnn, every_attack_stays_in_its_ball_and_in_the_unit_box) {
    nn_rng rng;
    rng_seed(&rng, 5);
    nn_model *m = small_tutorial_cnn(&rng);
    float x[N * D], adv[N * D];
    digit_like(&rng, x, N);
    uint8_t six[N] = {6, 6}, two[N] = {2, 2};
    nn_err err;
    const float eps_list[3] = {0.05f, 0.2f, 0.3f};
    for (int e = 0; e < 3; e++) {
        float eps = eps_list[e];
        cr_assert_eq(attack_fgsm_targeted(m, x, six, N, eps, adv, &err), 0, "%s", err.msg);
        assert_in_ball(x, adv, N * D, eps, "targeted fgsm");
        int moved = 0;
        for (int i = 0; i < N * D; i++)
            moved += fabsf(adv[i] - x[i]) > 0;
        cr_assert(moved > D / 4, "fgsm moved only %d pixels", moved);
        cr_assert_eq(attack_fgsm_untargeted(m, x, two, N, eps, adv, &err), 0, "%s", err.msg);
        assert_in_ball(x, adv, N * D, eps, "untargeted fgsm");
        for (int start = 0; start < 2; start++) {
            nn_pgd_config cfg = {.eps = eps,
                                 .alpha = 2.5f * eps / 10,
                                 .steps = 10,
                                 .random_start = start,
                                 .early_stop = 1};
            int steps[N];
            cr_assert_eq(attack_pgd_targeted(m, x, six, N, &cfg, &rng, adv, steps, &err), 0, "%s",
                         err.msg);
            assert_in_ball(x, adv, N * D, eps, "targeted pgd");
            cr_assert_eq(attack_pgd_untargeted(m, x, two, N, &cfg, &rng, adv, steps, &err), 0, "%s",
                         err.msg);
            assert_in_ball(x, adv, N * D, eps, "untargeted pgd");
            for (int k = 0; k < N; k++)
                cr_assert(steps[k] >= 0 && steps[k] <= 11);
        }
    }
    nn_cw_config cw = {.c_initial = 1, .search_steps = 2, .iterations = 20, .lr = 0.1f};
    cr_assert_eq(attack_cw_targeted(m, x, six, N, &cw, adv, NULL, &err), 0, "%s", err.msg);
    assert_in_ball(x, adv, N * D, 1.0f, "cw");
    nn_model_free(m);
}

/* ---- untargeted attacks on a classifier known by hand -------------------------------- */

/* Logit j = pixel j for j < 3; pixel 3 is ignored. */
static nn_model *linear_model(void) {
    nn_model *m = nn_model_new(4, 1, 1, NULL);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 2, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    memset(w, 0, sizeof(float) * len);
    for (int j = 0; j < 3; j++)
        w[j * 4 + j] = 1;
    return m;
}

static const float X[8] = {0.8f, 0.12f, 0.1f,  0.5f,  /* class 0 */
                           0.2f, 0.9f,  0.32f, 0.0f}; /* class 1 */
static const uint8_t LABEL[2] = {0, 1};

Test(attack_untargeted, fgsm_climbs_the_true_label_loss) {
    nn_model *m = linear_model();
    float adv[8];
    nn_err err;
    cr_assert_eq(attack_fgsm_untargeted(m, X, LABEL, 2, 0.1f, adv, &err), 0, "%s", err.msg);
    cr_assert_float_eq(adv[0], 0.7f, 1e-6, "the true class's pixel goes down");
    cr_assert_float_eq(adv[1], 0.22f, 1e-6, "the others go up");
    cr_assert_float_eq(adv[2], 0.2f, 1e-6);
    cr_assert_float_eq(adv[3], 0.5f, 1e-6, "an ignored pixel stays");
    cr_assert_float_eq(adv[7], 0.0f, 1e-6);
    nn_model_free(m);
}

Test(attack_untargeted, pgd_counts_the_steps_to_the_first_wrong_class) {
    nn_model *m = linear_model();
    float adv[8];
    int steps[2];
    nn_err err;
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.05f, .steps = 40, .early_stop = 1};
    cr_assert_eq(attack_pgd_untargeted(m, X, LABEL, 2, &cfg, NULL, adv, steps, &err), 0, "%s",
                 err.msg);
    assert_in_ball(X, adv, 8, 0.5f, "pgd");
    /* Sample 0: pixel 1 (0.12 + 0.05 k) passes pixel 0 (0.8 - 0.05 k) at k = 6.8. */
    cr_assert_eq(steps[0], 7);
    /* Sample 1: pixel 2 (0.32 + 0.05 k) passes pixel 1 (0.9 - 0.05 k) at k = 5.8. */
    cr_assert_eq(steps[1], 6);
    nn_attack_outcome out[2];
    attack_measure(m, X, adv, LABEL, 2, out, NULL);
    cr_assert(!out[0].success && !out[1].success, "both misclassified");
    cr_assert_float_eq(out[0].linf, 7 * 0.05f, 1e-5, "early stop: no step after success");

    uint8_t wrong[2] = {1, 1}; /* sample 0 is already not a 1 */
    cr_assert_eq(attack_pgd_untargeted(m, X, wrong, 2, &cfg, NULL, adv, steps, &err), 0);
    cr_assert_eq(steps[0], 0, "already misclassified: zero steps");
    cr_assert_eq(memcmp(adv, X, 4 * sizeof(float)), 0, "and unchanged");

    nn_pgd_config small = {.eps = 0.05f, .alpha = 0.01f, .steps = 20, .early_stop = 1};
    cr_assert_eq(attack_pgd_untargeted(m, X, LABEL, 2, &small, NULL, adv, steps, &err), 0);
    cr_assert_eq(steps[0], 21, "out of reach: steps + 1");
    nn_model_free(m);
}

Test(attack_untargeted, bad_arguments_are_refused) {
    nn_model *m = linear_model();
    float adv[12];
    nn_err err = {{0}};
    uint8_t y[3] = {0, 0, 0};
    cr_assert_eq(attack_fgsm_untargeted(m, X, y, 3, 0.1f, adv, &err), -1);
    cr_assert(strstr(err.msg, "1 to 2") != NULL, "%s", err.msg);
    cr_assert_eq(attack_fgsm_untargeted(m, X, y, 2, -0.1f, adv, &err), -1);
    nn_pgd_config bad = {.eps = 0.1f, .alpha = 0, .steps = 5};
    cr_assert_eq(attack_pgd_untargeted(m, X, y, 2, &bad, NULL, adv, NULL, &err), -1);
    nn_pgd_config rs = {.eps = 0.1f, .alpha = 0.1f, .steps = 5, .random_start = 1};
    cr_assert_eq(attack_pgd_untargeted(m, X, y, 2, &rs, NULL, adv, NULL, &err), -1);
    cr_assert(strstr(err.msg, "generator") != NULL, "%s", err.msg);
    nn_model_free(m);
}
