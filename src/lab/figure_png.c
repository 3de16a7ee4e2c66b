/* figure_png.c - canvas grids as the report's PNG figures (see figure_png.h). */
#include "lab/figure_png.h"

#include <stdio.h>

#include "base/io.h"
#include "base/sha256.h"

int figure_write_png(nn_results *db, int64_t run, const char *dir, const char *chapter,
                     const char *name, const nn_canvas *c, nn_err *err) {
    if (io_ensure_dir(dir, err)) return -1;
    char path[4096], hex[SHA256_HEX_SIZE];
    if (snprintf(path, sizeof path, "%s/%s-%s.png", dir, chapter, name) >= (int)sizeof path)
        return nn_fail(err, "%s: figure path too long", dir);
    if (canvas_write_png(c, path, err) || sha256_file_hex(path, hex, err)) return -1;
    return results_log_artifact(db, run, "image", path, hex, err);
}
