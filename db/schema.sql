-- nnlab results database, schema version 1.
--
-- Experiments write; figures and report text only read. Every row hangs off a run, and a
-- run is visible to the report only once it is 'done' (see the latest_runs view): a run
-- that crashed or was killed stays 'running' or 'failed' and is never shown.
-- This file is the migration from version 0 (empty file) to 1; later versions add
-- db/migrations/NNN-what.sql, applied in order by results_open() (src/db/results.c), each in
-- one transaction together with its PRAGMA user_version bump.

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    chapter     TEXT    NOT NULL,              -- e.g. '00-intro'
    experiment  TEXT    NOT NULL,              -- e.g. 'logreg', 'mlp-depth20-relu'
    profile     TEXT    NOT NULL,              -- 'smoke' or 'full'
    config_json TEXT    NOT NULL CHECK (json_valid(config_json)),
    seed        INTEGER NOT NULL,
    git_commit  TEXT    NOT NULL,
    threads     INTEGER NOT NULL,
    started_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    status      TEXT    NOT NULL DEFAULT 'running'
                        CHECK (status IN ('running', 'done', 'failed')),
    error       TEXT                           -- why a failed run failed
);
CREATE INDEX runs_by_experiment ON runs (chapter, experiment, seed, status);

-- One row per (epoch or logging step, split). `step` counts optimiser steps since the
-- start of training, so finer-than-epoch learning curves use the same table.
CREATE TABLE epochs (
    run_id   INTEGER NOT NULL REFERENCES runs (id),
    epoch    INTEGER NOT NULL,
    step     INTEGER NOT NULL,
    split    TEXT    NOT NULL,                 -- 'train', 'test', 'valid', ...
    loss     REAL,
    accuracy REAL,                             -- fraction in [0, 1]
    lr       REAL,
    seconds  REAL                              -- wall time of this epoch (or window)
);
CREATE INDEX epochs_by_run ON epochs (run_id, split, step);

-- Per-layer gradient magnitudes on a fixed mini-batch. kind: 'weight' (dL/dW of the
-- layer's parameters) or 'activation' (dL/d output of the layer).
CREATE TABLE grad_stats (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    epoch      INTEGER NOT NULL,
    step       INTEGER NOT NULL,
    layer      INTEGER NOT NULL,                -- 0 = first layer
    layer_name TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('weight', 'activation')),
    max_abs    REAL    NOT NULL,
    l2         REAL    NOT NULL
);
CREATE INDEX grad_stats_by_run ON grad_stats (run_id, epoch, layer);

CREATE TABLE attacks (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    sample     INTEGER NOT NULL,                -- index in the test set
    source     INTEGER NOT NULL,                -- true class
    target     INTEGER,                         -- wanted class (NULL: untargeted)
    method     TEXT    NOT NULL,
    eps        REAL,
    steps      INTEGER,
    success    INTEGER NOT NULL CHECK (success IN (0, 1)),
    l2         REAL,
    linf       REAL,
    confidence REAL                             -- model's probability of the target
);
CREATE INDEX attacks_by_run ON attacks (run_id, method, eps);

CREATE TABLE timings (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    what        TEXT    NOT NULL,
    threads     INTEGER NOT NULL,
    batch       INTEGER NOT NULL,
    ms_per_item REAL    NOT NULL,
    repeats     INTEGER NOT NULL
);

CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    name   TEXT    NOT NULL,
    value  REAL,
    PRIMARY KEY (run_id, name)
);

CREATE TABLE confusion (
    run_id    INTEGER NOT NULL REFERENCES runs (id),
    truth     INTEGER NOT NULL,
    predicted INTEGER NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (run_id, truth, predicted)
);

CREATE TABLE artifacts (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    kind   TEXT    NOT NULL,                     -- 'model', 'image', 'npy', ...
    path   TEXT    NOT NULL,
    sha256 TEXT
);

-- What the report reads: for each (chapter, experiment, seed), the newest run that
-- finished. Older done runs stay in the database for history but are not shown.
CREATE VIEW latest_runs AS
SELECT r.*
FROM runs AS r
WHERE r.status = 'done'
  AND r.id = (SELECT max(id) FROM runs AS n
              WHERE n.chapter = r.chapter AND n.experiment = r.experiment
                AND n.seed = r.seed AND n.status = 'done');

-- Shorthands for report queries: the rows of the runs that latest_runs shows.
CREATE VIEW latest_metrics AS
SELECT r.chapter, r.experiment, r.seed, m.run_id, m.name, m.value
FROM latest_runs AS r JOIN metrics AS m ON m.run_id = r.id;

CREATE VIEW latest_epochs AS
SELECT r.chapter, r.experiment, r.seed, e.*
FROM latest_runs AS r JOIN epochs AS e ON e.run_id = r.id;

CREATE VIEW latest_grad_stats AS
SELECT r.chapter, r.experiment, r.seed, g.*
FROM latest_runs AS r JOIN grad_stats AS g ON g.run_id = r.id;
