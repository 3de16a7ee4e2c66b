-- nnlab results database, schema version 5: the newest shown run of each experiment.
--
-- Chapter texts name one run again and again: "the run of experiment 'final' of chapter
-- 04" means the newest of the runs latest_runs shows for it (the last seed when several).
-- Written inline that is `run_id = (SELECT max(id) FROM latest_runs WHERE chapter = ...
-- AND experiment = ...)`, dozens of times a chapter; these views say it once, so that a
-- placeholder reads `FROM newest_metrics WHERE chapter = '04-cifar10' AND experiment =
-- 'final' AND name = 'parameters'`.

-- One row per (chapter, experiment) of latest_runs: its newest run.
CREATE VIEW newest_runs AS
SELECT r.*
FROM latest_runs AS r
JOIN (SELECT max(id) AS id FROM latest_runs GROUP BY chapter, experiment) AS n ON n.id = r.id;

-- The metrics of those runs, with the run's chapter and experiment.
CREATE VIEW newest_metrics AS
SELECT r.chapter, r.experiment, r.seed, m.run_id, m.name, m.value
FROM newest_runs AS r JOIN metrics AS m ON m.run_id = r.id;

-- The attack rows of those runs (chapters 03 and 05 name one attack run per experiment).
CREATE VIEW newest_attacks AS
SELECT r.chapter, r.experiment, a.*
FROM newest_runs AS r JOIN attacks AS a ON a.run_id = r.id;

-- Which program made an invocation's runs (its name without the directory, e.g.
-- cifar-train), so that the report can give the command that runs them again; NULL for
-- invocations recorded before version 5.
ALTER TABLE invocations ADD COLUMN program TEXT;
