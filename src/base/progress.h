/* progress.h - progress reports for long work (training epochs, attacks, data loading).
 *
 * On a terminal: one line redrawn in place, e.g.
 *     logreg epoch 2/5 [##########----------]  52%  1234.5 img/s  ETA 0:07  loss 0.312
 * When stderr is not a terminal (make, CI, a log file): a plain line every 25% of the work
 * (and at the end), so logs stay readable. This module is the one part of the library that
 * prints, by design; it writes only to the stream it was given (stderr in programs).
 * Updates are cheap: redraws are rate-limited, so calling it every batch is fine. */
#ifndef NN_PROGRESS_H
#define NN_PROGRESS_H

#include <stdio.h>

typedef struct nn_progress {
    FILE *out;
    char label[96];
    const char *unit; /* "img/s" etc.: what `done` counts, per second */
    long total;
    long done;
    double started, last_draw;
    int is_terminal;
    int next_quarter; /* plain mode: next 25% mark to print */
} nn_progress;

/* Starts reporting on `out` (NULL: stderr). unit names what is counted ("img"). */
void progress_start(nn_progress *p, FILE *out, const char *label, const char *unit, long total);
/* Sets the amount done so far; `note` (may be NULL) is shown at the end of the line. */
void progress_update(nn_progress *p, long done, const char *note);
/* Final line with total time and rate. */
void progress_finish(nn_progress *p, const char *note);

/* Formats seconds as H:MM:SS or M:SS into buf. */
void progress_format_duration(double seconds, char *buf, size_t size);

#endif
