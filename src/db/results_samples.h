/* results_samples.h - sample images in the results database (schema version 2, table
 * `samples`), so that figures can draw digits straight from a query.
 *
 *     results_log_sample_image(db, run, "t1", 3, label, 28, 28, pixels, &err);
 *
 * writes one row per pixel (set_name, sample, label, y, x, value = pixel / 255). A gnuplot
 * script then draws it with
 *     plot '< sqlite3 -readonly ... "SELECT x, -y, value FROM latest_samples WHERE ..."' \
 *          using 1:2:3 with image
 * Kept apart from results.c because only figure-making chapters need it. */
#ifndef NN_RESULTS_SAMPLES_H
#define NN_RESULTS_SAMPLES_H

#include <stdint.h>

#include "base/nn_err.h"
#include "db/results.h"

/* Logs an h x w grey-level image (row-major bytes). label < 0 is stored as NULL. All rows of
 * the image are written in one transaction: the caller's, when one is open
 * (results_transaction_begin), else one of its own. Logging the same (run, set, sample) twice
 * is an error (the primary key). */
int results_log_sample_image(nn_results *db, int64_t run, const char *set_name, int sample,
                             int label, int h, int w, const uint8_t *pixels, nn_err *err);

#endif
