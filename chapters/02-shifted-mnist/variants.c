/* variants.c - the four changed test sets, their files and facts (see variants.h). */
#include "variants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "db/results_samples.h"
#include "lab/config_json.h"
#include "ink_vote.h"
#include "recover.h"

#define SAMPLE_DIGITS 6
/* Bins of the majority vote on total ink (ink_vote.h): 1,200 training images each. */
#define INK_VOTE_BINS 50

static int write_set(nn_results *db, int64_t run, const char *dir, const char *name,
                     const nn_images *set, nn_err *err) {
    char images[PATH_CAP], labels[PATH_CAP];
    if (snprintf(images, sizeof images, "%s/%s_images.npy", dir, name) >= (int)sizeof images ||
        snprintf(labels, sizeof labels, "%s/%s_labels.npy", dir, name) >= (int)sizeof labels)
        return nn_fail(err, "%s: path too long", dir);
    if (variants_write_npy(set, images, labels, err)) return -1;
    const char *paths[2] = {images, labels};
    for (int k = 0; k < 2; k++) {
        char hex[SHA256_HEX_SIZE];
        if (sha256_file_hex(paths[k], hex, err) ||
            results_log_artifact(db, run, "npy", paths[k], hex, err))
            return -1;
    }
    return 0;
}

static int ascending(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* t1's permutation recovered from the first n (clean, t1) test pairs, for growing n: the
 * share of positions whose column is shared (ambiguous) and the share recovered exactly;
 * and, while some pairs are left over, the share of those other images that the recovered
 * permutation maps back exactly (what it is worth on images it did not see). The one from
 * the first recovery_n(test_n) pairs goes into ch->perm_recovered. */
static int log_permutation_recovery(chapter *ch, int64_t run, nn_err *err) {
    static const int NS[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
    const nn_images *clean = &ch->test[VARIANT_CLEAN], *t1 = &ch->test[VARIANT_T1];
    const int fix_n = recovery_n(clean->n);
    /* The listed sizes below the set's, the recovery size and the whole set, ascending. */
    int sizes[sizeof NS / sizeof NS[0] + 2], count = 0;
    for (size_t j = 0; j < sizeof NS / sizeof NS[0]; j++)
        if (NS[j] < clean->n && NS[j] != fix_n) sizes[count++] = NS[j];
    sizes[count++] = fix_n;
    if (fix_n < clean->n) sizes[count++] = clean->n;
    qsort(sizes, (size_t)count, sizeof *sizes, ascending);
    for (int j = 0; j < count; j++) {
        const int n = sizes[j];
        int perm[PIXELS];
        int shared = recover_permutation(clean->pixels, t1->pixels, n, PIXELS, perm, err);
        if (shared < 0) return -1;
        int exact = 0;
        for (int k = 0; k < PIXELS; k++)
            exact += perm[k] == ch->perm[k];
        char name[64];
        snprintf(name, sizeof name, "t1_recovery/shared/n=%d", n);
        if (results_log_metric(ch->db, run, name, (double)shared / PIXELS, err)) return -1;
        snprintf(name, sizeof name, "t1_recovery/exact/n=%d", n);
        if (results_log_metric(ch->db, run, name, (double)exact / PIXELS, err)) return -1;
        if (n < clean->n) { /* the images it did not see */
            size_t off = (size_t)n * PIXELS;
            int others = clean->n - n;
            int restored =
                count_restored(clean->pixels + off, t1->pixels + off, others, PIXELS, perm);
            snprintf(name, sizeof name, "t1_recovery/restored/n=%d", n);
            if (results_log_metric(ch->db, run, name, (double)restored / others, err)) return -1;
        }
        if (n == fix_n) memcpy(ch->perm_recovered, perm, sizeof perm);
    }
    return results_log_metric(ch->db, run, "t1_recovery/fix_n", fix_n, err);
}

/* Builds t1..t4 from the clean test set, writes all five as .npy, logs samples and facts. */
int make_variants(chapter *ch, nn_err *err) {
    const nn_images *clean = &ch->test[VARIANT_CLEAN];
    char dir[PATH_CAP];
    if (experiment_files_dir(ch->cli->db, CHAPTER, dir, sizeof dir, err)) return -1;
    nn_json config;
    json_begin(&config);
    json_int(&config, "test_n", clean->n);
    json_int(&config, "max_shift", MAX_SHIFT);
    json_str(&config, "npy_dir", dir);
    json_raw(&config, "rng_streams", "{\"t1\":1,\"t2\":2,\"t4\":4}");
    json_int(&config, "samples", SAMPLE_DIGITS);
    const char *config_text = json_end(&config);
    if (!config_text) return nn_fail(err, "%s: the directory name is too long", dir);
    int64_t run = results_begin_run(
        ch->db, &(nn_run_info){CHAPTER, "variants", ch->cli->profile, config_text, ch->cli->seed},
        err);
    if (run < 0) return -1;
    nn_rng root;
    rng_seed(&root, (uint64_t)ch->cli->seed);
    nn_rng r1 = rng_split(&root, 1), r2 = rng_split(&root, 2), r4 = rng_split(&root, 4);
    int rc = -1;
    nn_images sorted = {0}, recentred = {0};
    variant_random_permutation(ch->perm, PIXELS, &r1);
    ch->t4_shifts = malloc(sizeof *ch->t4_shifts * 2 * (size_t)clean->n);
    if (!ch->t4_shifts) {
        nn_fail(err, "out of memory for the shifts");
        goto done;
    }
    if (variants_permute_fixed(clean, ch->perm, &ch->test[VARIANT_T1], err) ||
        variants_permute_each(clean, &r2, &ch->test[VARIANT_T2], NULL, err) ||
        variants_invert(clean, &ch->test[VARIANT_T3], err) ||
        variants_shift(clean, MAX_SHIFT, &r4, &ch->test[VARIANT_T4], ch->t4_shifts, err) ||
        variants_mean_centre(&ch->train, &ch->centre_y, &ch->centre_x, err) ||
        variants_sort(&ch->test[VARIANT_T2], &sorted, err) ||
        variants_recentre(&ch->test[VARIANT_T4], ch->centre_y, ch->centre_x, &recentred, err))
        goto done;

    if (results_transaction_begin(ch->db, err)) goto done;
    for (int v = 0; v < VARIANT_COUNT; v++)
        if (write_set(ch->db, run, dir, variant_name(v), &ch->test[v], err)) goto done;
    /* The same first digits under every variant, and the two canonical forms. */
    const nn_images *shown[] = {&ch->test[0], &ch->test[1], &ch->test[2], &ch->test[3],
                                &ch->test[4], &sorted,      &recentred};
    const char *names[] = {"clean", "t1", "t2", "t3", "t4", "t2-sorted", "t4-recentred"};
    int shown_n = clean->n < SAMPLE_DIGITS ? clean->n : SAMPLE_DIGITS;
    for (int k = 0; k < 7; k++)
        for (int i = 0; i < shown_n; i++)
            if (results_log_sample_image(ch->db, run, names[k], i, shown[k]->labels[i], SIDE, SIDE,
                                         shown[k]->pixels + (size_t)i * PIXELS, err))
                goto done;
    /* Facts about the variants: ink per set, t4 images that lost ink, shift sizes. */
    long clipped = 0, by_radius[MAX_SHIFT + 1] = {0};
    for (int i = 0; i < clean->n; i++) {
        if (variant_mass(ch->test[VARIANT_T4].pixels + (size_t)i * PIXELS, PIXELS) !=
            variant_mass(clean->pixels + (size_t)i * PIXELS, PIXELS))
            clipped++;
        int dy = abs(ch->t4_shifts[2 * i]), dx = abs(ch->t4_shifts[2 * i + 1]);
        by_radius[dy > dx ? dy : dx]++;
    }
    if (results_log_metric(ch->db, run, "t4_clipped_fraction", (double)clipped / clean->n, err) ||
        results_log_metric(ch->db, run, "centre_y", ch->centre_y, err) ||
        results_log_metric(ch->db, run, "centre_x", ch->centre_x, err) ||
        results_log_metric(ch->db, run, "test_n", clean->n, err))
        goto done;
    for (int r = 0; r <= MAX_SHIFT; r++) {
        char name[48];
        snprintf(name, sizeof name, "t4_count/shift=%d", r);
        if (results_log_metric(ch->db, run, name, (double)by_radius[r], err)) goto done;
    }
    if (log_permutation_recovery(ch, run, err)) goto done;
    /* What the total ink alone tells, without a network (the same on clean and t2 images). */
    double vote = ink_vote_accuracy(&ch->train, clean, INK_VOTE_BINS, err);
    if (vote < 0 || results_log_metric(ch->db, run, "ink_vote/accuracy", vote, err) ||
        results_log_metric(ch->db, run, "ink_vote/bins", INK_VOTE_BINS, err))
        goto done;
    for (int v = 0; v < VARIANT_COUNT; v++) {
        double ink = 0;
        for (int i = 0; i < clean->n; i++)
            ink += variant_mass(ch->test[v].pixels + (size_t)i * PIXELS, PIXELS) / 255.0;
        char name[48];
        snprintf(name, sizeof name, "mean_ink/%s", variant_name(v));
        if (results_log_metric(ch->db, run, name, ink / clean->n, err)) goto done;
    }
    if (results_transaction_commit(ch->db, err)) goto done;
    rc = 0;
done: /* on failure experiment_end_run rolls the open transaction back, then marks the run */
    images_free(&sorted);
    images_free(&recentred);
    return experiment_end_run(ch->db, run, rc, err);
}
