-- nnlab results database, schema version 4: series per optimiser step and per layer.
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
