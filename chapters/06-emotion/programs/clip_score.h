/* clip_score.h - what the live program said about a clip, scored against what the clip holds.
 *
 * Each frame holds one face with a known box and label. A face the program reports matches
 * it when the boxes overlap by at least min_iou (intersection over union; 0.5 is the usual
 * threshold of detection benchmarks); the best such face is the detection, every other face
 * reported is a false face. The program's emotion for the detection is compared with the
 * label, and also with the classifier's prediction for the clip's original 48x48 face
 * ("direct"), which separates what detection and re-cropping cost from what the classifier
 * gets wrong anyway. */
#ifndef CH06_CLIP_SCORE_H
#define CH06_CLIP_SCORE_H

#include "live_line.h"
#include "resample.h"

typedef struct ch06_clip_tally {
    long shown;          /* frames (one face each) */
    long found;          /* faces detected (matched) */
    long false_faces;    /* faces reported that match no face of the clip */
    long correct;        /* detected and given the right emotion */
    long direct_correct; /* the classifier right on the original face (all frames) */
    long direct_correct_found; /* ... on the frames whose face was detected */
    long agree_found;    /* detected faces given the emotion the classifier gives the original */
    double iou_sum;      /* over detected faces */
} ch06_clip_tally;

/* Adds one frame: its face's box and label, the classifier's emotion for the original face,
 * and what the program printed for the frame. Returns the index in r of the detection, or
 * -1 when the face was not found. */
int ch06_clip_tally_frame(ch06_clip_tally *t, ch06_box truth, int label, int direct,
                          const ch06_frame_result *r, double min_iou);

#endif
