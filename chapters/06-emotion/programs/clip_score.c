/* clip_score.c - a clip's faces against what the live program reported (see clip_score.h). */
#include "clip_score.h"

int ch06_clip_tally_frame(ch06_clip_tally *t, ch06_box truth, int label, int direct,
                          const ch06_frame_result *r, double min_iou) {
    int best = -1;
    double best_iou = 0;
    for (int i = 0; i < r->faces; i++) {
        double iou = ch06_box_iou(truth, r->face[i].box);
        if (iou >= min_iou && iou > best_iou) best = i, best_iou = iou;
    }
    t->shown++;
    t->direct_correct += direct == label;
    t->false_faces += r->faces - (best >= 0);
    if (best < 0) return -1;
    int said = r->face[best].emotion;
    t->found++;
    t->iou_sum += best_iou;
    t->correct += said == label;
    t->direct_correct_found += direct == label;
    t->agree_found += said == direct;
    return best;
}
