-- nnlab results database, schema version 4: series per optimiser step and per layer, and
-- summaries over seeds.
--
-- grad_stats holds two numbers per layer and epoch on one probe batch. Some questions need
-- finer or other series: what one optimiser step did (the batch's loss, the gradient's
-- norm) around the moment a run fell apart, or where a layer's units sit (their mean
-- output, how many are saturated) epoch by epoch. Both are named scalars, like metrics,
-- with a step or a layer as the extra key.

-- One row per (run, quantity, optimiser step). `step` counts optimiser steps since the
-- start of training (1 = after the first step); `epoch` is the epoch that step belongs to.
CREATE TABLE step_stats (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    name   TEXT    NOT NULL,                   -- e.g. 'loss', 'grad_norm'
    step   INTEGER NOT NULL,
    epoch  INTEGER NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, name, step)
);

-- One row per (run, quantity, layer, epoch). `epoch` 0 is before training; `layer` is
-- numbered as the chapter defines it (e.g. 1 = the first hidden layer).
CREATE TABLE layer_stats (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    name   TEXT    NOT NULL,                   -- e.g. 'mean_output', 'stuck_units'
    layer  INTEGER NOT NULL,
    epoch  INTEGER NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, name, layer, epoch)
);

CREATE VIEW latest_step_stats AS
SELECT r.chapter, r.experiment, r.seed, s.*
FROM latest_runs AS r JOIN step_stats AS s ON s.run_id = r.id;

CREATE VIEW latest_layer_stats AS
SELECT r.chapter, r.experiment, r.seed, l.*
FROM latest_runs AS r JOIN layer_stats AS l ON l.run_id = r.id;

-- Summaries over seeds, so that report text can say "median (range)" in one short query.
-- For every (chapter, experiment, quantity) of the runs latest_runs shows: how many seeds,
-- the median (the mean of the middle two for an even count), the mean, the minimum and the
-- maximum. Rows with a NULL value are left out.
CREATE VIEW latest_metric_summary AS
SELECT chapter, experiment, name, count(*) AS n, avg(CASE WHEN rn IN ((c + 1) / 2, (c + 2) / 2)
       THEN value END) AS median, avg(value) AS mean, min(value) AS min, max(value) AS max
FROM (SELECT chapter, experiment, name, value,
             row_number() OVER (PARTITION BY chapter, experiment, name ORDER BY value) AS rn,
             count(*) OVER (PARTITION BY chapter, experiment, name) AS c
      FROM latest_metrics WHERE value IS NOT NULL)
GROUP BY chapter, experiment, name;

-- The same per epoch, of the accuracy and the loss of each split (learning curves).
CREATE VIEW latest_epoch_summary AS
SELECT chapter, experiment, split, epoch, count(*) AS n,
       avg(CASE WHEN rn IN ((c + 1) / 2, (c + 2) / 2) THEN accuracy END) AS median_accuracy,
       min(accuracy) AS min_accuracy, max(accuracy) AS max_accuracy,
       avg(CASE WHEN rl IN ((c + 1) / 2, (c + 2) / 2) THEN loss END) AS median_loss
FROM (SELECT chapter, experiment, split, epoch, accuracy, loss,
             row_number() OVER (PARTITION BY chapter, experiment, split, epoch ORDER BY accuracy) AS rn,
             row_number() OVER (PARTITION BY chapter, experiment, split, epoch ORDER BY loss) AS rl,
             count(*) OVER (PARTITION BY chapter, experiment, split, epoch) AS c
      FROM latest_epochs WHERE split != 'train_window')
GROUP BY chapter, experiment, split, epoch;
