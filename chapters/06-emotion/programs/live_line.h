/* live_line.h - the line the live program prints for every frame, and its reader (the
 * chapter's clip run and the tests read what the program printed).
 *
 *     0.034 frame 1: no face
 *     0.067 frame 2: 1 face: 212,132 144x144 happy 0.873
 *     0.101 frame 3: 2 faces: 212,132 144x144 happy 0.873; 40,60 96x96 sad 0.512
 *
 * seconds since the program started reading frames, the frame number (from 1), and per face
 * (largest first) its box in frame pixels (left,top widthxheight), the predicted emotion and
 * its probability. With --verbose each face also lists all seven probabilities in class
 * order: "... happy 0.873 (angry 0.010 disgust 0.001 fear 0.020 happy 0.873 sad 0.030
 * surprise 0.040 neutral 0.026)". Probabilities have three decimals. */
#ifndef CH06_LIVE_LINE_H
#define CH06_LIVE_LINE_H

#include <stdio.h>

#include "base/nn_err.h"
#include "../classify.h"
#include "resample.h"

#define CH06_MAX_FACES 16

typedef struct ch06_face_result {
    ch06_box box;
    int emotion;
    float probs[CH06_CLASSES];
} ch06_face_result;

typedef struct ch06_frame_result {
    double seconds;
    long frame;
    int faces;
    int has_probs; /* the line listed all seven probabilities (parsed lines) */
    ch06_face_result face[CH06_MAX_FACES];
} ch06_frame_result;

/* Prints r as one line (all seven probabilities when verbose). */
void ch06_line_print(FILE *out, const ch06_frame_result *r, int verbose);
/* Reads one printed line (without or with its newline). 0, or -1 with err quoting it. */
int ch06_line_parse(const char *line, ch06_frame_result *r, nn_err *err);

#endif
