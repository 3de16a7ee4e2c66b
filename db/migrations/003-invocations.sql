-- nnlab results database, schema version 3: invocations and the report's scope.
--
-- Before this version the report read the newest done run per (chapter, experiment, seed),
-- whatever wrote it: a smoke run written into the full database replaced report numbers,
-- and when a newer configuration ran fewer seeds, the older configuration's other seeds
-- were averaged in. Now what the report reads (latest_runs and every view built on it) is
--   (a) runs of one profile, the report's (view report_profile), and
--   (b) for each (chapter, experiment), only runs of the newest invocation -- program start
--       -- that finished a run of it, so a re-run with fewer seeds shows only its own.

-- One row per program start that began a run (results_begin_run writes it the first time a
-- process begins a run; every run the process begins, from any connection, points to it).
-- Ids grow with time: the newest invocation is the one with the largest id.
CREATE TABLE invocations (
    id         INTEGER PRIMARY KEY,
    token      TEXT    NOT NULL UNIQUE,        -- identifies the process: host, pid, start time
    started_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

ALTER TABLE runs ADD COLUMN invocation_id INTEGER REFERENCES invocations (id);

-- Runs written before this version: one invocation per chapter, profile and git commit,
-- numbered in the order they first ran (the closest to "program start" the old rows allow).
INSERT INTO invocations (token, started_at)
SELECT 'before-v3:' || chapter || ':' || profile || ':' || git_commit, min(started_at)
FROM runs GROUP BY chapter, profile, git_commit ORDER BY min(id);
UPDATE runs SET invocation_id =
    (SELECT i.id FROM invocations AS i
     WHERE i.token = 'before-v3:' || runs.chapter || ':' || runs.profile || ':' || runs.git_commit);

CREATE INDEX runs_by_invocation ON runs (chapter, experiment, profile, status, invocation_id);

-- The profile the report shows. Normally empty: the report then shows 'full' runs when the
-- database holds any (a smoke run written into the published database is ignored), else
-- 'smoke'. To build a report of the other profile from a database holding both:
--     INSERT OR REPLACE INTO report_scope VALUES (1, 'smoke');
-- Readers (the filler, gnuplot through sqlite3 -readonly) never write; they all see the same
-- scope, and `fill --profile NAME` refuses a database whose scope is another profile.
CREATE TABLE report_scope (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    profile TEXT    NOT NULL CHECK (profile IN ('smoke', 'full'))
);

CREATE VIEW report_profile AS
SELECT coalesce((SELECT profile FROM report_scope WHERE id = 1),
                CASE WHEN EXISTS (SELECT 1 FROM runs WHERE profile = 'full') THEN 'full'
                     ELSE 'smoke' END) AS profile;

-- What the report reads: for each (chapter, experiment) of the report's profile, the runs
-- of the newest invocation that finished one, and of those the newest done run per seed
-- (a program that ran a seed twice). Older invocations stay in the database for history.
-- The views built on latest_runs (latest_metrics, latest_epochs, latest_grad_stats,
-- latest_samples) name it, so replacing it here scopes them all.
DROP VIEW latest_runs;
CREATE VIEW latest_runs AS
SELECT r.*
FROM runs AS r
WHERE r.status = 'done'
  AND r.profile = (SELECT profile FROM report_profile)
  AND r.invocation_id = (SELECT max(n.invocation_id) FROM runs AS n
                         WHERE n.chapter = r.chapter AND n.experiment = r.experiment
                           AND n.profile = r.profile AND n.status = 'done')
  AND r.id = (SELECT max(n.id) FROM runs AS n
              WHERE n.chapter = r.chapter AND n.experiment = r.experiment
                AND n.profile = r.profile AND n.status = 'done'
                AND n.invocation_id = r.invocation_id AND n.seed = r.seed);
