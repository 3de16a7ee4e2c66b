/* grid.c - the rows of the chapter's grids (see grid.h). */
#include "grid.h"

#include <stdlib.h>
#include <string.h>

int ch_grid_init(ch_grid *g, int d, nn_err *err) {
    memset(g, 0, sizeof *g);
    g->d = d;
    g->x = calloc((size_t)GRID_ROWS * d, sizeof(float));
    int ok = g->x != NULL;
    for (int m = 0; m < GRID_METHODS; m++)
        ok &= (g->adv[m] = calloc((size_t)GRID_ROWS * d, sizeof(float))) != NULL;
    if (!ok) {
        ch_grid_free(g);
        return nn_fail(err, "grid: out of memory");
    }
    return 0;
}

void ch_grid_free(ch_grid *g) {
    free(g->x);
    for (int m = 0; m < GRID_METHODS; m++)
        free(g->adv[m]);
    memset(g, 0, sizeof *g);
}

int ch_grid_take(ch_grid *g, int n, const int *sample, const float *x,
                 const float *const adv[GRID_METHODS], const int *const success[GRID_METHODS]) {
    int taken = 0;
    size_t bytes = sizeof(float) * (size_t)g->d;
    for (int k = 0; k < n && g->rows < GRID_ROWS; k++) {
        int all = 1;
        for (int m = 0; m < GRID_METHODS; m++)
            all &= success[m][k] != 0;
        if (!all) continue;
        int r = g->rows++;
        g->sample[r] = sample[k];
        memcpy(g->x + (size_t)r * g->d, x + (size_t)k * g->d, bytes);
        for (int m = 0; m < GRID_METHODS; m++)
            memcpy(g->adv[m] + (size_t)r * g->d, adv[m] + (size_t)k * g->d, bytes);
        taken++;
    }
    return taken;
}
