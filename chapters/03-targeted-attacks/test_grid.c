/* test_grid.c - the grids show successes only: rows are the samples every pictured method
 * turned into the target, in order, across batches, until ten are found. */
#include <criterion/criterion.h>

#include "grid.h"

#define D 4

Test(grid, takes_only_samples_every_method_succeeded_on_in_order) {
    ch_grid g;
    cr_assert_eq(ch_grid_init(&g, D, NULL), 0);
    /* Batch 1: six samples; methods succeed on {all but 1}, {all but 2}, {0, 3, 4, 5}. */
    int sample[6] = {10, 11, 12, 13, 14, 15};
    float x[6 * D], a0[6 * D], a1[6 * D], a2[6 * D];
    for (int i = 0; i < 6 * D; i++)
        x[i] = (float)i, a0[i] = 100.0f + i, a1[i] = 200.0f + i, a2[i] = 300.0f + i;
    int s0[6] = {1, 0, 1, 1, 1, 1}, s1[6] = {1, 1, 0, 1, 1, 1}, s2[6] = {1, 1, 1, 1, 0, 1};
    const float *const adv[GRID_METHODS] = {a0, a1, a2};
    const int *const ok[GRID_METHODS] = {s0, s1, s2};
    cr_assert_eq(ch_grid_take(&g, 6, sample, x, adv, ok), 3, "samples 10, 13 and 15");
    cr_assert_eq(g.rows, 3);
    cr_assert_eq(g.sample[0], 10);
    cr_assert_eq(g.sample[1], 13);
    cr_assert_eq(g.sample[2], 15);
    cr_assert_eq(g.x[1 * D + 2], x[3 * D + 2], "row 1 is batch position 3's original");
    cr_assert_eq(g.adv[1][1 * D + 2], a1[3 * D + 2], "and method 1's adversarial of it");
    cr_assert_eq(g.adv[2][2 * D + 0], a2[5 * D + 0]);
    ch_grid_free(&g);
}

Test(grid, fills_across_batches_and_stops_at_ten) {
    ch_grid g;
    cr_assert_eq(ch_grid_init(&g, D, NULL), 0);
    int sample[8];
    float x[8 * D] = {0};
    int yes[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    const float *const adv[GRID_METHODS] = {x, x, x};
    const int *const ok[GRID_METHODS] = {yes, yes, yes};
    for (int k = 0; k < 8; k++)
        sample[k] = k;
    cr_assert_eq(ch_grid_take(&g, 8, sample, x, adv, ok), 8);
    for (int k = 0; k < 8; k++)
        sample[k] = 100 + k;
    cr_assert_eq(ch_grid_take(&g, 8, sample, x, adv, ok), 2, "only two rows were left");
    cr_assert_eq(g.rows, GRID_ROWS);
    cr_assert_eq(g.sample[9], 101);
    cr_assert_eq(ch_grid_take(&g, 8, sample, x, adv, ok), 0, "a full grid takes nothing");
    ch_grid_free(&g);
}

Test(grid, a_failure_of_any_one_method_keeps_a_sample_out) {
    ch_grid g;
    cr_assert_eq(ch_grid_init(&g, D, NULL), 0);
    int sample[3] = {1, 2, 3};
    float x[3 * D] = {0};
    int yes[3] = {1, 1, 1}, no[3] = {0, 0, 0};
    const float *const adv[GRID_METHODS] = {x, x, x};
    for (int m = 0; m < GRID_METHODS; m++) {
        const int *ok[GRID_METHODS] = {yes, yes, yes};
        ok[m] = no;
        cr_assert_eq(ch_grid_take(&g, 3, sample, x, adv, ok), 0, "method %d failed", m);
    }
    cr_assert_eq(g.rows, 0);
    ch_grid_free(&g);
}
