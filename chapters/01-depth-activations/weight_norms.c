/* weight_norms.c - spectral norm and typical gain of a weight matrix (see weight_norms.h). */
#include "weight_norms.h"

#include <math.h>
#include <stdlib.h>

/* The estimate rises monotonically to the largest singular value; its error shrinks like
 * (s2/s1)^(2k) after k steps. Stop when a step changes it by less than TOLERANCE (relative),
 * or after MAX_STEPS (two nearly equal top singular values converge slowly, but the
 * estimate is then already close: it only has to choose between them). */
#define MAX_STEPS 5000
#define TOLERANCE 1e-12

double spectral_norm(const float *w, int rows, int cols) {
    double *v = malloc(sizeof(double) * (size_t)cols), *u = malloc(sizeof(double) * (size_t)rows);
    if (!v || !u) {
        free(v);
        free(u);
        return NAN;
    }
    /* A start with a component along every direction (a zero component along the top
     * singular vector would never grow): 1, 1.1, 1.2, ... normalised. */
    for (int j = 0; j < cols; j++) v[j] = 1.0 + 0.1 * j;
    double sigma = 0;
    for (int it = 0; it < MAX_STEPS; it++) {
        double nv = 0;
        for (int j = 0; j < cols; j++) nv += v[j] * v[j];
        nv = sqrt(nv);
        if (nv == 0) break; /* w v = 0 for this v: w is zero (or v hit its null space) */
        for (int j = 0; j < cols; j++) v[j] /= nv;
        double nu = 0;
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < cols; j++) s += (double)w[(size_t)i * cols + j] * v[j];
            u[i] = s;
            nu += s * s;
        }
        double before = sigma;
        sigma = sqrt(nu); /* ||w v|| for a unit v: rises to the largest singular value */
        if (sigma - before <= TOLERANCE * sigma) break;
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int i = 0; i < rows; i++) s += (double)w[(size_t)i * cols + j] * u[i];
            v[j] = s;
        }
    }
    free(v);
    free(u);
    return sigma;
}

double rms_gain(const float *w, int rows, int cols) {
    double s = 0;
    for (size_t k = 0; k < (size_t)rows * cols; k++) s += (double)w[k] * w[k];
    return sqrt(s / cols);
}
