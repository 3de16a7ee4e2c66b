/* figure_png.h - an image figure (a canvas grid) written next to the gnuplot figures and
 * recorded in the results database.
 *
 * Grids of digits and maps are drawn by the experiment program itself (render/canvas.h),
 * not by gnuplot. Each one goes to the --figures directory as CHAPTER-NAME.png, the name a
 * chapter's text refers to, and into `artifacts` (kind 'image') with its SHA-256, so the
 * database says which run made which picture:
 *
 *     if (figure_write_png(db, run, cli.figures_dir, "07-quiz", "saliency", &canvas, &err)) ...
 */
#ifndef NN_FIGURE_PNG_H
#define NN_FIGURE_PNG_H

#include <stdint.h>

#include "base/nn_err.h"
#include "db/results.h"
#include "render/canvas.h"

/* Creates dir if it is missing (not its parents), writes DIR/CHAPTER-NAME.png and logs the
 * artifact. 0, or -1 with err naming the file. */
int figure_write_png(nn_results *db, int64_t run, const char *dir, const char *chapter,
                     const char *name, const nn_canvas *c, nn_err *err);

#endif
