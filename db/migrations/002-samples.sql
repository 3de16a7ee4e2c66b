-- nnlab results database, schema version 2: sample images.
--
-- Figures that show digits (the same images under several transformations, adversarial
-- examples next to their originals) plot them straight from the database with gnuplot's
-- `with image`, like every other figure, instead of from image files written on the side.
-- One row per pixel: a handful of 28x28 images is a few thousand rows.

CREATE TABLE samples (
    run_id   INTEGER NOT NULL REFERENCES runs (id),
    set_name TEXT    NOT NULL,                 -- which version of the data: 'clean', 't1', ...
    sample   INTEGER NOT NULL,                 -- index of the image in its set
    label    INTEGER,                          -- its class (NULL: unknown or not meaningful)
    y        INTEGER NOT NULL,                 -- row, 0 = top
    x        INTEGER NOT NULL,                 -- column, 0 = left
    value    REAL    NOT NULL,                 -- intensity in [0, 1] (0 = black background)
    PRIMARY KEY (run_id, set_name, sample, y, x)
);

CREATE VIEW latest_samples AS
SELECT r.chapter, r.experiment, r.seed, s.*
FROM latest_runs AS r JOIN samples AS s ON s.run_id = r.id;
