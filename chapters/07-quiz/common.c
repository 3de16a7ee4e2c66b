/* common.c - small things the quiz chapter's experiments share (see chapter.h). */
#include "chapter.h"

const double Q1_STEP_LENGTHS[Q1_STEPS] = {1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3, 10};

void ch_image(const nn_images *set, int index, float *x) {
    images_to_float(set, (size_t)index, 1, x);
}

int ch_find_class(const nn_images *set, int c, int k) {
    for (int i = 0; i < set->n; i++)
        if (set->labels[i] == c && k-- == 0) return i;
    return -1;
}
