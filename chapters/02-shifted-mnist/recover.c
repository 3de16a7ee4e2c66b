/* recover.c - t1's permutation from clean and permuted images (see recover.h). */
#include "recover.h"

#include <stdlib.h>
#include <string.h>

/* A position's column: its n values, one per image, stored contiguously. */
typedef struct columns {
    const uint8_t *data; /* pixels x n */
    int n;
} columns;

static int by_column(const void *a, const void *b, void *ctx) {
    const columns *c = ctx;
    int i = *(const int *)a, j = *(const int *)b;
    int d = memcmp(c->data + (size_t)i * c->n, c->data + (size_t)j * c->n, (size_t)c->n);
    return d ? d : (i > j) - (i < j); /* ties in position order: the same result everywhere */
}

/* cols[k * n + i] = images[i * pixels + k]; order = positions sorted by column. */
static void sort_columns(const uint8_t *images, int n, int pixels, uint8_t *cols, int *order) {
    for (int i = 0; i < n; i++)
        for (int k = 0; k < pixels; k++)
            cols[(size_t)k * n + i] = images[(size_t)i * pixels + k];
    for (int k = 0; k < pixels; k++)
        order[k] = k;
    columns c = {cols, n};
    qsort_r(order, (size_t)pixels, sizeof *order, by_column, &c);
}

int recover_permutation(const uint8_t *clean, const uint8_t *permuted, int n, int pixels, int *perm,
                        nn_err *err) {
    if (n < 1 || pixels < 1)
        return nn_fail(err, "recover_permutation: %d images of %d pixels", n, pixels);
    uint8_t *cc = malloc((size_t)pixels * n), *pc = malloc((size_t)pixels * n);
    int *co = malloc(sizeof *co * (size_t)pixels), *po = malloc(sizeof *po * (size_t)pixels);
    int rc = -1;
    if (!cc || !pc || !co || !po) {
        nn_fail(err, "recover_permutation: out of memory for %d columns of %d", pixels, n);
        goto done;
    }
    sort_columns(clean, n, pixels, cc, co);
    sort_columns(permuted, n, pixels, pc, po);
    int shared = 0;
    for (int r = 0; r < pixels; r++) {
        const uint8_t *a = cc + (size_t)co[r] * n, *b = pc + (size_t)po[r] * n;
        if (memcmp(a, b, (size_t)n)) {
            nn_fail(err,
                    "recover_permutation: permuted position %d has a column no clean position "
                    "has; the images are not the clean ones under one fixed permutation",
                    po[r]);
            goto done;
        }
        perm[po[r]] = co[r];
        int same_prev = r > 0 && !memcmp(a, cc + (size_t)co[r - 1] * n, (size_t)n);
        int same_next = r + 1 < pixels && !memcmp(a, cc + (size_t)co[r + 1] * n, (size_t)n);
        shared += same_prev || same_next;
    }
    rc = shared;
done:
    free(cc);
    free(pc);
    free(co);
    free(po);
    return rc;
}

int count_restored(const uint8_t *clean, const uint8_t *permuted, int n, int pixels,
                   const int *perm) {
    int restored = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *c = clean + (size_t)i * pixels, *p = permuted + (size_t)i * pixels;
        int k = 0;
        while (k < pixels && p[k] == c[perm[k]])
            k++;
        restored += k == pixels;
    }
    return restored;
}
