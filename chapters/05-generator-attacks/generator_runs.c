/* generator_runs.c - the generator attack on a set of images towards every class, and what
 * the chapter measures around it (chapter.h).
 *
 * Where the rounds go. The results database has no table of attack rounds, so a round of
 * generator (sample, target) is written as
 *   - one `attacks` row, method 'gen-round', steps = the round (0: the original), with
 *     success = the stopping rule holds, l2 and linf of G(1) - x, confidence = C's p_target;
 *   - `epochs` rows with epoch = the round and step = the pair key sample * classes + target:
 *       split 'gen-image'   loss = step 1's MSE(G(1), x), lr = step 1's learning rate
 *       split 'gen-target'  loss = step 2's composite loss, accuracy = p_target, lr = step 2's
 *       split 'gen-p<k>'    accuracy = C's probability of class k (k = 0 .. classes - 1), so
 *                           the predicted class and its probability are the largest of them.
 * The attack's outcome is one more `attacks` row of method job->method ('generator'): steps =
 * the rounds it took. Gradient rows ('grad-mse', 'grad-xent') hold, at the original image,
 * l2 and linf = the norms of d loss / d x and confidence = p_target (steps 0, success 0). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack.h"
#include "base/clock.h"
#include "base/progress.h"
#include "chapter.h"

gen_config ch_gen_config(const ch_profile *p, gen_loss loss, int cifar) {
    gen_config cfg = gen_defaults();
    cfg.lr_image = cifar ? p->cifar_lr_image : p->lr_image;
    cfg.lr_target = cifar ? p->cifar_lr_target : p->lr_target;
    cfg.image_steps = p->image_steps;
    cfg.target_steps = p->target_steps;
    cfg.max_rounds = p->max_rounds;
    cfg.threshold = 0.9f;
    cfg.loss = loss;
    return cfg;
}

void ch_gather(const nn_images *set, const int *index, int n, float *x, uint8_t *labels) {
    size_t d = images_stride(set);
    for (int k = 0; k < n; k++) {
        images_to_float(set, (size_t)index[k], 1, x + k * d);
        if (labels) labels[k] = set->labels[index[k]];
    }
}

/* Rows of one image's attacks, written in one short transaction after it: other programs
 * share the database, and a write lock held through the attack would stall them. */
typedef struct rows {
    nn_epoch_row *e;
    nn_attack_row *a;
    int ne, na, cap_e, cap_a;
} rows;

static int rows_flush(nn_results *db, int64_t run, rows *r, nn_err *err) {
    if (results_transaction_begin(db, err)) return -1;
    for (int i = 0; i < r->ne; i++)
        if (results_log_epoch(db, run, &r->e[i], err)) goto fail;
    for (int i = 0; i < r->na; i++)
        if (results_log_attack(db, run, &r->a[i], err)) goto fail;
    if (results_transaction_commit(db, err)) goto fail;
    r->ne = r->na = 0;
    return 0;
fail:
    results_transaction_rollback(db);
    return -1;
}

static char SPLIT_P[256][16]; /* "gen-p0", "gen-p1", ... */

static void log_round(rows *r, const ch_gen_job *job, const gen_attack *a, int k, int sample,
                      int source, int classes) {
    const gen_state *s = gen_attack_state(a, k);
    const float *p = gen_attack_probs(a, k);
    int key = sample * classes + k; /* generator k aims at class k */
    r->e[r->ne++] =
        (nn_epoch_row){s->round, key, "gen-image", s->image_loss, NAN, job->cfg.lr_image, NAN};
    r->e[r->ne++] = (nn_epoch_row){
        s->round, key, "gen-target", s->target_loss, s->p_target, job->cfg.lr_target, NAN};
    for (int c = 0; c < classes; c++)
        r->e[r->ne++] = (nn_epoch_row){s->round, key, SPLIT_P[c], NAN, p[c], NAN, NAN};
    r->a[r->na++] = (nn_attack_row){sample,   source,  k,     "gen-round", NAN,
                                    s->round, s->done, s->l2, s->linf,     s->p_target};
}

int ch_run_generator(ch_gen_job *job, nn_err *err) {
    int classes = nn_output_size(job->model), d = nn_input_size(job->model);
    for (int c = 0; c < classes && c < 256; c++)
        snprintf(SPLIT_P[c], sizeof SPLIT_P[c], "gen-p%d", c & 255);
    gen_attack *a = gen_attack_new(job->model, classes, err);
    float *x = malloc(sizeof(float) * (size_t)classes * d);
    uint8_t *targets = malloc((size_t)classes);
    rows r = {0};
    int per_round = job->log_rounds ? classes : 0;
    r.cap_e = (job->cfg.max_rounds + 1) * per_round * (classes + 2);
    r.cap_a = (job->cfg.max_rounds + 1) * per_round + classes;
    r.e = malloc(sizeof *r.e * (size_t)(r.cap_e ? r.cap_e : 1));
    r.a = malloc(sizeof *r.a * (size_t)r.cap_a);
    int rc = -1;
    if (!a || !x || !targets || !r.e || !r.a) {
        if (a) nn_fail(err, "%s: out of memory", job->method);
        goto done;
    }
    for (int c = 0; c < classes; c++)
        targets[c] = (uint8_t)c;
    char label[96];
    snprintf(label, sizeof label, "%s: %s", job->method, job->set->c == 3 ? "cifar" : "mnist");
    nn_progress bar;
    progress_start(&bar, stderr, label, "pairs", (long)job->n * classes);
    double t0 = nn_seconds();
    long rounds_total = 0;
    for (int i = 0; i < job->n; i++) {
        int sample = job->samples[i], source = job->set->labels[sample];
        for (int c = 0; c < classes; c++)
            images_to_float(job->set, (size_t)sample, 1, x + (size_t)c * d);
        if (gen_attack_start(a, x, targets, classes, &job->cfg, err)) goto done;
        if (job->log_rounds)
            for (int k = 0; k < classes; k++)
                log_round(&r, job, a, k, sample, source, classes);
        while (gen_attack_running(a) > 0) {
            if (gen_attack_round(a, err) < 0) goto done;
            if (job->log_rounds)
                for (int k = 0; k < classes; k++)
                    if (gen_attack_state(a, k)->moved)
                        log_round(&r, job, a, k, sample, source, classes);
        }
        for (int k = 0; k < classes; k++) {
            const gen_state *s = gen_attack_state(a, k);
            rounds_total += s->round;
            r.a[r.na++] = (nn_attack_row){sample,   source,  k,     job->method, NAN,
                                          s->round, s->done, s->l2, s->linf,     s->p_target};
            if (job->final) job->final[(size_t)i * classes + k] = *s;
            if (job->adv)
                memcpy(job->adv + ((size_t)i * classes + k) * d, gen_attack_image(a, k),
                       sizeof(float) * d);
        }
        if (rows_flush(job->db, job->run, &r, err)) goto done;
        char note[48];
        snprintf(note, sizeof note, "%ld rounds", rounds_total);
        progress_update(&bar, (long)(i + 1) * classes, note);
    }
    double seconds = nn_seconds() - t0;
    progress_finish(&bar, NULL);
    int threads = omp_get_max_threads();
    char what[64];
    snprintf(what, sizeof what, "%s", job->method);
    if (results_log_timing(job->db, job->run,
                           &(nn_timing_row){what, threads, classes,
                                            1000 * seconds / ((double)job->n * classes),
                                            job->n * classes},
                           err) ||
        results_log_metric(job->db, job->run, "rounds_total", (double)rounds_total, err) ||
        results_log_metric(job->db, job->run, "attack_seconds", seconds, err))
        goto done;
    rc = 0;
done:
    gen_attack_free(a);
    free(x);
    free(targets);
    free(r.e);
    free(r.a);
    return rc;
}

int ch_pgd_same_linf(const ch_gen_job *job, int steps, nn_err *err) {
    int classes = nn_output_size(job->model), d = nn_input_size(job->model);
    float *x = malloc(sizeof(float) * d), *adv = malloc(sizeof(float) * d);
    int rc = -1;
    if (!x || !adv) {
        nn_fail(err, "pgd: out of memory");
        goto done;
    }
    if (results_transaction_begin(job->db, err)) goto done;
    for (int i = 0; i < job->n; i++) {
        int sample = job->samples[i], source = job->set->labels[sample];
        images_to_float(job->set, (size_t)sample, 1, x);
        for (int t = 0; t < classes; t++) {
            const gen_state *s = &job->final[(size_t)i * classes + t];
            if (t == source || !s->done || !(s->linf > 0)) continue;
            uint8_t target = (uint8_t)t;
            nn_pgd_config pgd = {.eps = s->linf, .alpha = 2.5f * s->linf / steps, .steps = steps};
            nn_attack_outcome o;
            if (attack_pgd_targeted(job->model, x, &target, 1, &pgd, NULL, adv, NULL, err) ||
                attack_measure(job->model, x, adv, &target, 1, &o, err) ||
                results_log_attack(job->db, job->run,
                                   &(nn_attack_row){sample, source, t, "pgd-same-linf", s->linf,
                                                    steps, o.success, o.l2, o.linf, o.confidence},
                                   err))
                goto fail;
        }
    }
    if (results_transaction_commit(job->db, err)) goto fail;
    rc = 0;
    goto done;
fail:
    results_transaction_rollback(job->db);
done:
    free(x);
    free(adv);
    return rc;
}

/* Mean cosine between the gradients of one image's targets (n gradients of d values). */
static double mean_pair_cosine(const float *g, int n, int d) {
    double sum = 0;
    int pairs = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            double dot = 0, na = 0, nb = 0;
            for (int k = 0; k < d; k++) {
                double u = g[(size_t)a * d + k], v = g[(size_t)b * d + k];
                dot += u * v, na += u * u, nb += v * v;
            }
            if (na > 0 && nb > 0) sum += dot / sqrt(na * nb), pairs++;
        }
    return pairs ? sum / pairs : 0;
}

int ch_log_gradients(const ch_gen_job *job, nn_err *err) {
    int classes = nn_output_size(job->model), d = nn_input_size(job->model);
    nn_model *g = gen_model_new(d, err);
    float *x = malloc(sizeof(float) * d), *p = malloc(sizeof(float) * classes);
    float *grads = malloc(sizeof(float) * 2 * (size_t)classes * d); /* per kind, per target */
    double cosine[2] = {0, 0};
    int rc = -1;
    if (!g || !x || !p || !grads) {
        if (g) nn_fail(err, "gradients: out of memory");
        goto done;
    }
    nn_set_input_grad(job->model, 1);
    if (results_transaction_begin(job->db, err)) goto done;
    static const char *methods[2] = {"grad-mse", "grad-xent"};
    for (int i = 0; i < job->n; i++) {
        int sample = job->samples[i], source = job->set->labels[sample], n = 0;
        images_to_float(job->set, (size_t)sample, 1, x);
        for (int t = 0; t < classes; t++) {
            if (t == source) continue;
            for (int kind = 0; kind < 2; kind++) {
                gen_model_set(g, x);
                gen_composite_loss(g, job->model, t, kind ? GEN_LOSS_XENT : GEN_LOSS_MSE, 1, p);
                const float *grad = nn_grads(g); /* dL/dW = dL/dx: the first d values */
                memcpy(grads + ((size_t)kind * classes + n) * d, grad, sizeof(float) * d);
                double sq = 0, mx = 0;
                for (int k = 0; k < d; k++) {
                    sq += (double)grad[k] * grad[k];
                    if (fabs(grad[k]) > mx) mx = fabs(grad[k]);
                }
                if (results_log_attack(job->db, job->run,
                                       &(nn_attack_row){sample, source, t, methods[kind], NAN, 0, 0,
                                                        sqrt(sq), mx, p[t]},
                                       err))
                    goto fail;
            }
            n++; /* the non-trivial targets, packed */
        }
        for (int kind = 0; kind < 2; kind++)
            cosine[kind] += mean_pair_cosine(grads + (size_t)kind * classes * d, n, d) / job->n;
    }
    if (results_log_metric(job->db, job->run, "grad_target_cosine_mse", cosine[0], err) ||
        results_log_metric(job->db, job->run, "grad_target_cosine_xent", cosine[1], err) ||
        results_transaction_commit(job->db, err))
        goto fail;
    rc = 0;
    goto done;
fail:
    results_transaction_rollback(job->db);
done:
    nn_model_free(g);
    free(x);
    free(p);
    free(grads);
    return rc;
}
