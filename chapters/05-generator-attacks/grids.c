/* grids.c - the chapter's grids as PNG files (attack/target_grid.h), with what a figure
 * script needs to caption them: the files are `artifacts` (kind 'image') and the geometry is
 * in metrics grid_scale, grid_pad, grid_band, grid_h (image rows), grid_width and
 * grid_height (pixels), plus grid_range_NAME (the |delta| drawn at full colour). */
#include <math.h>
#include <stdio.h>

#include "attack/target_grid.h"
#include "base/sha256.h"
#include "chapter.h"

static int write_png(nn_results *db, int64_t run, const char *dir, const char *name,
                     const nn_canvas *cv, nn_err *err) {
    char path[CH_PATH_MAX], hex[SHA256_HEX_SIZE];
    if (snprintf(path, sizeof path, "%s/%s-%s.png", dir, CHAPTER, name) >= (int)sizeof path)
        return nn_fail(err, "%s: path too long", dir);
    if (canvas_write_png(cv, path, err) || sha256_file_hex(path, hex, err)) return -1;
    return results_log_artifact(db, run, "image", path, hex, err);
}

int ch_write_grids(nn_results *db, int64_t run, const char *figures_dir, const char *name,
                   const float *orig, const float *adv, int rows, int classes, int c, int h, int w,
                   nn_err *err) {
    /* Scale 3 keeps a 28x28 digit legible; the band leaves room for one line of caption. */
    target_grid_geom geom = {.scale = 3, .pad = 6, .band = 9};
    size_t d = (size_t)c * h * w;
    float range = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < classes; j++)
            for (size_t i = 0; i < d; i++) {
                float v = fabsf(adv[((size_t)r * classes + j) * d + i] - orig[(size_t)r * d + i]);
                if (v > range) range = v;
            }
    if (!(range > 0)) range = 1; /* nothing moved: any range draws white */
    nn_canvas cv;
    char delta[96], metric[128];
    snprintf(delta, sizeof delta, "%s-delta", name);
    if (target_grid_build(&cv, orig, adv, rows, classes, c, h, w, TARGET_GRID_IMAGES, 0, geom, err))
        return -1;
    int rc = write_png(db, run, figures_dir, name, &cv, err);
    int width = cv.width, height = cv.height;
    canvas_free(&cv);
    if (rc || target_grid_build(&cv, orig, adv, rows, classes, c, h, w, TARGET_GRID_DELTA, range,
                                geom, err))
        return -1;
    rc = write_png(db, run, figures_dir, delta, &cv, err);
    canvas_free(&cv);
    snprintf(metric, sizeof metric, "grid_range_%s", name);
    if (rc || results_log_metric(db, run, "grid_scale", geom.scale, err) ||
        results_log_metric(db, run, "grid_pad", geom.pad, err) ||
        results_log_metric(db, run, "grid_band", geom.band, err) ||
        results_log_metric(db, run, "grid_h", h, err) ||
        results_log_metric(db, run, "grid_w", w, err) ||
        results_log_metric(db, run, "grid_width", width, err) ||
        results_log_metric(db, run, "grid_height", height, err) ||
        results_log_metric(db, run, metric, range, err))
        return -1;
    return 0;
}
