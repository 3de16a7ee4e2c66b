/* figures.c - faces drawn into the chapter's PNG figures (see chapter.h). */
#include "chapter.h"

void ch06_put_face(nn_canvas *c, int row, int col, const nn_images *im, int i) {
    float cell[48 * 48];
    size_t n = images_stride(im);
    if (n > sizeof cell / sizeof cell[0]) return;
    images_to_float(im, (size_t)i, 1, cell);
    canvas_put_gray(c, row, col, cell);
}
