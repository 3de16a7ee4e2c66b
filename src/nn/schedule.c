/* schedule.c - learning-rate schedules (see schedule.h). Computed in double: these are
 * called once per step, and exact endpoints make them easy to test. */
#include "nn/schedule.h"

#include <math.h>

static const double pi = 3.14159265358979323846;

/* From start (progress 0) to end (progress 1) along half a cosine; progress is clamped. */
static double cos_anneal(double start, double end, double progress) {
    if (progress < 0) progress = 0;
    if (progress > 1) progress = 1;
    return end + (start - end) * 0.5 * (1.0 + cos(pi * progress));
}

float nn_lr_step_decay(float base, long step, long every, float gamma) {
    long k = every > 0 && step > 0 ? step / every : 0;
    return (float)(base * pow(gamma, (double)k));
}

float nn_lr_cosine(float base, float final, long step, long total) {
    if (total <= 0) return final;
    return (float)cos_anneal(base, final, (double)step / (double)total);
}

float nn_lr_warmup_cosine(float base, float final, long step, long warmup, long total) {
    if (step < warmup) return (float)((double)base * (double)(step + 1) / (double)warmup);
    if (total <= warmup) return final;
    return (float)cos_anneal(base, final, (double)(step - warmup) / (double)(total - warmup));
}

float nn_lr_one_cycle(float max_lr, long step, long total, float pct_start, float div,
                      float final_div) {
    const double initial = (double)max_lr / div, last = initial / final_div;
    const double up = (double)pct_start * (double)total;
    if (step < up) return (float)cos_anneal(initial, max_lr, (double)step / up);
    if (total <= up) return (float)last;
    return (float)cos_anneal(max_lr, last, ((double)step - up) / ((double)total - up));
}

float nn_schedule_lr(const nn_schedule *s, long step, long total) {
    switch (s->kind) {
    case NN_SCHEDULE_STEP_DECAY: return nn_lr_step_decay(s->lr, step, s->every, s->gamma);
    case NN_SCHEDULE_COSINE: return nn_lr_cosine(s->lr, s->final_lr, step, total);
    case NN_SCHEDULE_WARMUP_COSINE:
        return nn_lr_warmup_cosine(s->lr, s->final_lr, step, s->warmup, total);
    case NN_SCHEDULE_ONE_CYCLE:
        return nn_lr_one_cycle(s->lr, step, total, s->pct_start, s->div, s->final_div);
    case NN_SCHEDULE_CONSTANT: break;
    }
    return s->lr;
}

const char *nn_schedule_name(nn_schedule_kind kind) {
    switch (kind) {
    case NN_SCHEDULE_STEP_DECAY: return "step_decay";
    case NN_SCHEDULE_COSINE: return "cosine";
    case NN_SCHEDULE_WARMUP_COSINE: return "warmup_cosine";
    case NN_SCHEDULE_ONE_CYCLE: return "one_cycle";
    case NN_SCHEDULE_CONSTANT: break;
    }
    return "constant";
}
