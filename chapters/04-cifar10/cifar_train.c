/* cifar_train.c - the chapter's training recipe (see cifar_train.h). */
#include "cifar_train.h"

#include <stdio.h>
#include <string.h>

#include "data/batches.h"
#include "nn/optim.h"
#include "nn/schedule.h"

cifar_recipe cifar_recipe_default(void) {
    return (cifar_recipe){
        .arch = {.stem = 32, .width = {64, 128, 192}, .res = {0, 0, 0}},
        .epochs = 10,
        .batch = 256,
        .lr = 0.4f,
        .warmup = 0.2f,
        .momentum = 0.9f,
        .weight_decay = 5e-4f,
        .label_smoothing = 0.2f,
        .crop_pad = 2,
        .flip = 1,
    };
}

void cifar_recipe_json(const cifar_recipe *r, nn_json *j) {
    char name[64], widths[64], res[32];
    cifar_arch_format(&r->arch, name, sizeof name);
    snprintf(widths, sizeof widths, "[%d,%d,%d]", r->arch.width[0], r->arch.width[1],
             r->arch.width[2]);
    snprintf(res, sizeof res, "[%d,%d,%d]", r->arch.res[0], r->arch.res[1], r->arch.res[2]);
    json_str(j, "input", "pixels/255");
    json_str(j, "arch", name);
    json_int(j, "stem", r->arch.stem);
    json_raw(j, "widths", widths);
    json_raw(j, "residual", res);
    json_int(j, "epochs", r->epochs);
    json_int(j, "batch", r->batch);
    json_str(j, "optimizer", "sgd-nesterov");
    json_num(j, "lr", r->lr);
    json_str(j, "schedule", "one_cycle");
    json_num(j, "warmup", r->warmup);
    json_num(j, "momentum", r->momentum);
    json_num(j, "weight_decay", r->weight_decay);
    json_num(j, "label_smoothing", r->label_smoothing);
    json_int(j, "crop_pad", r->crop_pad);
    json_bool(j, "flip", r->flip);
}

void cifar_layers_json(const nn_model *m, nn_json *j) {
    char buf[3072];
    size_t len = 0;
    buf[len++] = '[';
    for (int i = 0; i < nn_layer_count(m) && len < sizeof buf; i++) {
        int c, h, w;
        nn_layer_shape(m, i, &c, &h, &w);
        len += (size_t)snprintf(buf + len, sizeof buf - len,
                                "%s{\"name\":\"%s\",\"out\":\"%dx%dx%d\",\"params\":%zu,"
                                "\"macs\":%lld}",
                                i ? "," : "", nn_layer_name(m, i), c, h, w,
                                model_layer_params(m, i), (long long)model_layer_macs(m, i));
    }
    if (len + 2 > sizeof buf) {
        j->overflow = 1; /* json_end reports it: the run is refused rather than cut short */
        return;
    }
    buf[len++] = ']';
    buf[len] = 0;
    json_raw(j, "layers", buf);
    json_int(j, "parameters", (long long)nn_param_count(m));
    json_int(j, "macs", (long long)model_macs(m));
}

static int check_recipe(const cifar_recipe *r, nn_err *err) {
    if (r->epochs < 1)
        return nn_fail(err, "the recipe needs at least one epoch, not %d", r->epochs);
    if (r->batch < 1) return nn_fail(err, "the batch size must be positive, not %d", r->batch);
    if (!(r->lr > 0)) return nn_fail(err, "the learning rate must be positive");
    if (!(r->warmup > 0 && r->warmup < 1))
        return nn_fail(err, "the warm-up fraction must be in (0, 1), not %g", (double)r->warmup);
    if (r->crop_pad < 0 || r->crop_pad > 16)
        return nn_fail(err, "the crop padding must be in [0, 16], not %d", r->crop_pad);
    return 0;
}

int cifar_train(nn_results *db, int64_t run, const cifar_recipe *r, const nn_images *train,
                uint64_t seed, const cifar_train_opts *opts, nn_model **out, nn_train_result *res,
                nn_err *err) {
    *out = NULL;
    if (check_recipe(r, err)) return -1;
    /* Independent streams: changing the augmentation cannot change the initial weights. */
    nn_rng root;
    rng_seed(&root, seed);
    nn_rng init_rng = rng_split(&root, 1), order_rng = rng_split(&root, 2),
           aug_rng = rng_split(&root, 3);

    nn_model *m = cifar_model_new(&r->arch, r->batch, &init_rng, err);
    nn_optim *opt = NULL;
    nn_batches train_b = {0}, watch_b = {0};
    int rc = -1;
    if (!m) goto done;
    nn_set_input_grad(m, 0); /* nothing here needs dL/dx: one product per conv layer saved */
    opt = nn_sgd_new(
        m, (nn_sgd_config){.momentum = r->momentum, .nesterov = 1, .weight_decay = r->weight_decay},
        err);
    if (!opt || batches_init(&train_b, train, r->batch, err) ||
        (opts->watch && batches_init(&watch_b, opts->watch, r->batch, err)))
        goto done;

    nn_train_config tc = train_defaults();
    tc.label = opts->label;
    tc.epochs = r->epochs;
    tc.classes = 10;
    /* One cycle: from lr/10 up to lr over the warm-up, then cosine down to lr/1000. */
    tc.schedule = (nn_schedule){NN_SCHEDULE_ONE_CYCLE, .lr = r->lr, .pct_start = r->warmup,
                                .div = 10.0f, .final_div = 100.0f};
    tc.label_smoothing = r->label_smoothing;
    tc.test = opts->watch ? &watch_b : NULL;
    tc.log_confusion = opts->watch && opts->log_confusion;
    nn_image_source src = {.batches = &train_b,
                           .order = &order_rng,
                           .augment = &aug_rng,
                           .crop_pad = r->crop_pad,
                           .flip = r->flip};
    if (train_classifier(db, run, m, opt, train_source_images(&src), &tc, res, err)) goto done;
    rc = 0;
done:
    nn_optim_free(opt);
    batches_free(&train_b);
    batches_free(&watch_b);
    if (rc)
        nn_model_free(m);
    else
        *out = m;
    return rc;
}
