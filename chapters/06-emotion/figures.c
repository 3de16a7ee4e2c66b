/* figures.c - the chapter's files: PNG figures and their bookkeeping, the directory of its
 * models (see chapter.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/sha256.h"
#include "chapter.h"

int ch06_ensure_dir(const char *dir, nn_err *err) {
    if (mkdir(dir, 0777) && errno != EEXIST) return nn_fail(err, "%s: %s", dir, strerror(errno));
    return 0;
}

int ch06_files_dir(const char *db_path, char *out, size_t size, nn_err *err) {
    const char *slash = strrchr(db_path, '/');
    int n = slash ? snprintf(out, size, "%.*s/%s", (int)(slash - db_path), db_path, CHAPTER)
                  : snprintf(out, size, "%s", CHAPTER);
    if (n < 0 || (size_t)n >= size) return nn_fail(err, "%s: path too long", db_path);
    return ch06_ensure_dir(out, err);
}

int ch06_write_figure(nn_results *db, int64_t run, const char *dir, const char *name,
                      const nn_canvas *c, nn_err *err) {
    char path[4096], hex[SHA256_HEX_SIZE];
    if (snprintf(path, sizeof path, "%s/%s-%s.png", dir, CHAPTER, name) >= (int)sizeof path)
        return nn_fail(err, "%s: figure path too long", dir);
    if (ch06_ensure_dir(dir, err) || canvas_write_png(c, path, err) ||
        sha256_file_hex(path, hex, err))
        return -1;
    return results_log_artifact(db, run, "image", path, hex, err);
}

void ch06_put_face(nn_canvas *c, int row, int col, const nn_images *im, int i) {
    float cell[48 * 48];
    size_t n = images_stride(im);
    if (n > sizeof cell / sizeof cell[0]) return;
    images_to_float(im, (size_t)i, 1, cell);
    canvas_put_gray(c, row, col, cell);
}
