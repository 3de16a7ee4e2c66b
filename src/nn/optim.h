/* optim.h - optimisers over a model's parameter block: SGD (momentum, Nesterov, weight
 * decay) and Adam.
 *
 * An optimiser is bound to one built model (which must outlive it). Each nn_optim_step
 * reads nn_grads(m) from the last nn_backward and updates nn_params(m) in place, span by
 * span (see nn_param_span in model.h): frozen spans are skipped (their parameters and
 * optimiser state stay exactly as they are), and weight decay applies to weights only
 * unless `decay_biases` is set. State (velocity, moments) is allocated once at creation and
 * laid out like the parameter block; a step allocates nothing.
 *
 * The learning rate is an argument of every step, so schedules (schedule.h) stay outside:
 *     nn_optim_step(opt, nn_lr_cosine(0.1f, 0, step, total));
 *
 * Update rules (PyTorch's conventions, no dampening), with g the gradient and p the
 * parameter, wd the weight decay (L2 penalty added to the gradient):
 *   SGD:       d = g + wd p;  v = mu v + d;  p -= lr (nesterov ? d + mu v : v)
 *              (mu = 0: p -= lr d, and no velocity is kept)
 *   Adam:      d = g + wd p;  m = b1 m + (1-b1) d;  v = b2 v + (1-b2) d^2;  t += 1;
 *              p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *              (Kingma & Ba 2015; weight decay as L2, i.e. Adam, not AdamW)
 * Every update is an elementwise loop in a fixed order: results are bit-reproducible. */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include "nn/model.h"
#include "base/nn_err.h"

typedef struct nn_optim nn_optim;

typedef struct nn_sgd_config {
    float momentum;     /* mu in [0, 1); 0: plain SGD */
    int nesterov;       /* Nesterov momentum (needs momentum > 0) */
    float weight_decay; /* L2 coefficient, >= 0 */
    int decay_biases;   /* apply weight decay to biases too (PyTorch's default does) */
} nn_sgd_config;

typedef struct nn_adam_config {
    float beta1, beta2, eps; /* in [0,1), [0,1), > 0 */
    float weight_decay;
    int decay_biases;
} nn_adam_config;

/* beta1 0.9, beta2 0.999, eps 1e-8, no weight decay: the paper's and every framework's. */
nn_adam_config nn_adam_defaults(void);

/* NULL with a message for an unbuilt model, a bad hyper-parameter, or no memory. */
nn_optim *nn_sgd_new(nn_model *m, nn_sgd_config cfg, nn_err *err);
nn_optim *nn_adam_new(nn_model *m, nn_adam_config cfg, nn_err *err);
/* One update of every non-frozen parameter with learning rate lr. */
void nn_optim_step(nn_optim *o, float lr);
/* Forgets the state (velocity, moments, step count), as if newly created. */
void nn_optim_reset(nn_optim *o);
/* Number of steps taken since creation or reset. */
long nn_optim_steps(const nn_optim *o);
void nn_optim_free(nn_optim *o);

#endif
