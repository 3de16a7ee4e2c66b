/* robustness.c - clean and adversarial accuracy of a model (see robustness.h). */
#include "robustness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack.h"
#include "attack/attack_untargeted.h"
#include "data/batches.h"
#include "nn/metrics.h"

const float STUDY_EPS[N_STUDY_EPS] = {0.1f, 0.2f, 0.3f};

/* A batch of originals and one of adversarials, with the model frozen while they are
 * attacked; end_attacks frees them and leaves the model ready to train. */
typedef struct attack_buffers {
    float *x, *adv;
} attack_buffers;

static int begin_attacks(nn_model *m, const nn_images *test, attack_buffers *b, nn_err *err) {
    size_t d = images_stride(test);
    b->x = malloc(sizeof(float) * ATTACK_BATCH * d);
    b->adv = malloc(sizeof(float) * ATTACK_BATCH * d);
    if (!b->x || !b->adv) {
        free(b->x);
        free(b->adv);
        b->x = b->adv = NULL;
        return nn_fail(err, "robustness: out of memory");
    }
    ch_freeze_all(m, 1);
    return 0;
}

static void end_attacks(nn_model *m, attack_buffers *b) {
    ch_freeze_all(m, 0);
    nn_set_input_grad(m, 0);
    free(b->x);
    free(b->adv);
}

int ch_accuracy_under_attack(nn_model *m, const nn_images *test, int n_images, ch_attack_spec a,
                             uint64_t seed, double *accuracy, nn_err *err) {
    attack_buffers b;
    if (begin_attacks(m, test, &b, err)) return -1;
    float *x = b.x, *adv = b.adv;
    int rc = -1;
    nn_rng rng;
    rng_seed(&rng, seed + 7);
    /* FGSM is PGD's first step from x with step eps: the projection changes nothing. */
    nn_pgd_config pgd = {.eps = a.eps,
                         .alpha = a.steps ? 2.5f * a.eps / a.steps : a.eps,
                         .steps = a.steps ? a.steps : 1,
                         .random_start = a.steps > 0,
                         .early_stop = 1};
    if (!(pgd.alpha > 0)) pgd.alpha = 1e-12f; /* eps 0: the clean accuracy */
    int n_all = n_images < test->n ? n_images : test->n;
    long correct = 0;
    int index[ATTACK_BATCH];
    uint8_t y[ATTACK_BATCH];
    for (int first = 0; first < n_all; first += ATTACK_BATCH) {
        int n = n_all - first < ATTACK_BATCH ? n_all - first : ATTACK_BATCH;
        for (int k = 0; k < n; k++)
            index[k] = first + k;
        ch_gather(test, index, n, x, y);
        if (attack_pgd_untargeted(m, x, y, n, &pgd, &rng, adv, NULL, err)) goto done;
        correct += nn_count_correct(nn_forward(m, adv, n, 0), y, n, CLASSES);
    }
    *accuracy = n_all ? (double)correct / n_all : 0;
    rc = 0;
done:
    end_attacks(m, &b);
    return rc;
}

int ch_targeted_success(nn_model *m, const nn_images *test, const int *twos, int n_twos, float eps,
                        int steps, double *rate, nn_err *err) {
    attack_buffers b;
    if (begin_attacks(m, test, &b, err)) return -1;
    float *x = b.x, *adv = b.adv;
    int rc = -1;
    uint8_t six[ATTACK_BATCH];
    nn_attack_outcome o[ATTACK_BATCH];
    memset(six, TARGET_CLASS, sizeof six);
    nn_pgd_config pgd = {.eps = eps, .alpha = 2.5f * eps / steps, .steps = steps, .early_stop = 1};
    long success = 0;
    for (int first = 0; first < n_twos; first += ATTACK_BATCH) {
        int n = n_twos - first < ATTACK_BATCH ? n_twos - first : ATTACK_BATCH;
        ch_gather(test, twos + first, n, x, NULL);
        if (attack_pgd_targeted(m, x, six, n, &pgd, NULL, adv, NULL, err) ||
            attack_measure(m, x, adv, six, n, o, err))
            goto done;
        for (int k = 0; k < n; k++)
            success += o[k].success;
    }
    *rate = n_twos ? (double)success / n_twos : 0;
    rc = 0;
done:
    end_attacks(m, &b);
    return rc;
}

int ch_clean_correct(nn_model *m, const nn_images *test, unsigned char *correct, double *accuracy,
                     nn_err *err) {
    nn_batches b;
    if (batches_init(&b, test, ATTACK_BATCH, err)) return -1;
    long right = 0;
    int n;
    batches_rewind(&b);
    while ((n = batches_next(&b)) > 0) {
        const float *z = nn_forward(m, b.x, n, 0);
        for (int k = 0; k < n; k++) {
            int ok = nn_argmax(z + (size_t)k * CLASSES, CLASSES) == b.y[k];
            correct[b.order[b.first + k]] = (unsigned char)ok;
            right += ok;
        }
    }
    batches_free(&b);
    *accuracy = test->n ? (double)right / test->n : 0;
    return 0;
}

/* Logs metric NAME@EPS. */
static int log_at(nn_results *db, int64_t run, const char *name, float eps, double value,
                  nn_err *err) {
    char key[64];
    snprintf(key, sizeof key, "%s@%g", name, (double)eps);
    return results_log_metric(db, run, key, value, err);
}

int ch_log_robustness(nn_results *db, int64_t run, nn_model *m, const nn_images *test,
                      const ch_robust_eval *e, uint64_t seed, unsigned char *correct, nn_err *err) {
    unsigned char *own = correct ? correct : malloc((size_t)test->n + 1);
    int *twos = NULL, n_twos = 0, count_twos = 0, rc = -1;
    double clean;
    if (!own) return nn_fail(err, "robustness: out of memory");
    if (ch_clean_correct(m, test, own, &clean, err) ||
        ch_select_twos(m, test, &twos, &n_twos, &count_twos, err))
        goto done;
    if (n_twos > e->twos_n) n_twos = e->twos_n;
    int n = e->n < test->n ? e->n : test->n;
    if (results_log_metric(db, run, "clean_accuracy", clean, err) ||
        results_log_metric(db, run, "robust_n", n, err) ||
        results_log_metric(db, run, "robust_steps", e->steps, err) ||
        results_log_metric(db, run, "targeted_n", n_twos, err))
        goto done;
    for (int i = 0; i < N_STUDY_EPS; i++) {
        float eps = STUDY_EPS[i];
        double fgsm, pgd, targeted = 0;
        if (ch_accuracy_under_attack(m, test, n, (ch_attack_spec){eps, 0}, seed, &fgsm, err) ||
            ch_accuracy_under_attack(m, test, n, (ch_attack_spec){eps, e->steps}, seed, &pgd,
                                     err) ||
            (n_twos && ch_targeted_success(m, test, twos, n_twos, eps, e->steps, &targeted, err)) ||
            log_at(db, run, "fgsm_accuracy", eps, fgsm, err) ||
            log_at(db, run, "pgd_accuracy", eps, pgd, err) ||
            (n_twos && log_at(db, run, "targeted_success", eps, targeted, err)))
            goto done;
    }
    rc = 0;
done:
    free(twos);
    if (own != correct) free(own);
    return rc;
}
