/* chapter.h - what the files of chapter 06 (facial emotion recognition on FER2013) share. */
#ifndef CH06_CHAPTER_H
#define CH06_CHAPTER_H

#include <stdint.h>

#include "base/nn_err.h"
#include "data/images.h"
#include "db/results.h"
#include "render/canvas.h"

#define CHAPTER "06-emotion"

/* Puts image i of set im (grey bytes) into cell (row, col) of c. */
void ch06_put_face(nn_canvas *c, int row, int col, const nn_images *im, int i);

#endif
