/* schedule.h - learning-rate schedules as pure functions of the step.
 *
 * No state and no side effects: the rate at step s (0-based) of a run of `total` steps is a
 * formula, so a schedule can be plotted, tested and resumed exactly. Pass the result to
 * nn_optim_step. Steps past the end keep the final value. */
#ifndef NN_SCHEDULE_H
#define NN_SCHEDULE_H

/* base * gamma^floor(step / every): the classic "divide by 10 every 30 epochs". */
float nn_lr_step_decay(float base, long step, long every, float gamma);

/* Cosine annealing (Loshchilov & Hutter 2017, no restarts) from base at step 0 to final at
 * step total: final + (base - final) (1 + cos(pi step / total)) / 2. */
float nn_lr_cosine(float base, float final, long step, long total);

/* Linear warm-up from base/warmup at step 0 to base at step warmup-1, then cosine annealing
 * from base to final over the remaining total - warmup steps. */
float nn_lr_warmup_cosine(float base, float final, long step, long warmup, long total);

/* One-cycle (Smith & Topin 2019), cosine-shaped as in PyTorch's OneCycleLR: from
 * max_lr / div up to max_lr over the first pct_start of the run, then down to
 * max_lr / (div * final_div). Typical: pct_start 0.3, div 25, final_div 1e4. */
float nn_lr_one_cycle(float max_lr, long step, long total, float pct_start, float div,
                      float final_div);


/* A schedule as data, for configurations that name one (the shared training loop):
 *     (nn_schedule){NN_SCHEDULE_COSINE, .lr = 0.1f, .final_lr = 0.001f}
 * Fields a kind does not use are ignored. */
typedef enum nn_schedule_kind {
    NN_SCHEDULE_CONSTANT,       /* lr */
    NN_SCHEDULE_STEP_DECAY,     /* lr, every (steps), gamma */
    NN_SCHEDULE_COSINE,         /* lr -> final_lr */
    NN_SCHEDULE_WARMUP_COSINE,  /* lr, final_lr, warmup (steps) */
    NN_SCHEDULE_ONE_CYCLE,      /* lr (the maximum), pct_start, div, final_div */
} nn_schedule_kind;

typedef struct nn_schedule {
    nn_schedule_kind kind;
    float lr, final_lr;
    long warmup, every;
    float gamma, pct_start, div, final_div;
} nn_schedule;

/* The rate at step (0-based) of a run of total steps. */
float nn_schedule_lr(const nn_schedule *s, long step, long total);
/* "constant", "step_decay", "cosine", "warmup_cosine", "one_cycle". */
const char *nn_schedule_name(nn_schedule_kind kind);

#endif
