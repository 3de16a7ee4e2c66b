/* chapter.h - what the files of chapter 06 (facial emotion recognition on FER2013) share. */
#ifndef CH06_CHAPTER_H
#define CH06_CHAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/nn_err.h"
#include "data/images.h"
#include "db/results.h"
#include "render/canvas.h"

#define CHAPTER "06-emotion"

/* Creates dir if it does not exist. */
int ch06_ensure_dir(const char *dir, nn_err *err);
/* The directory of the chapter's files next to the results database (the final model, the
 * live program's output on the clip): <directory of db_path>/06-emotion, created if needed. */
int ch06_files_dir(const char *db_path, char *out, size_t size, nn_err *err);
/* Writes canvas c as DIR/06-emotion-NAME.png and records it as an artifact of run. */
int ch06_write_figure(nn_results *db, int64_t run, const char *dir, const char *name,
                      const nn_canvas *c, nn_err *err);
/* Puts image i of set im (grey bytes) into cell (row, col) of c. */
void ch06_put_face(nn_canvas *c, int row, int col, const nn_images *im, int i);

#endif
