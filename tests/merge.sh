#!/usr/bin/env bash
# merge.sh - tools/merge-shards: run ids remapped, nothing lost, merging twice adds nothing,
# a shard that began as a copy of the database adds only its new runs, a run copied while
# running is completed from the shard, artifact paths rewritten, bad shards refused.
# Run by `make check` (target `merge`).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/merge-test
B=build/release/bin
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "  ok   $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL $*" >&2; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
q() { sqlite3 -batch -noheader "$1" "$2"; }
rm -rf "$OUT" && mkdir -p "$OUT"
echo "merge: shards into one results database"

"$B/db-soak" --db "$OUT/a.sqlite" write --writer 1 --runs 3 --epochs 4
"$B/db-soak" --db "$OUT/b.sqlite" write --writer 2 --runs 2 --epochs 5
"$B/db-soak" --db "$OUT/main.sqlite" write --writer 0 --runs 1 --epochs 1
"$B/merge-shards" --db "$OUT/main.sqlite" "$OUT/a.sqlite" "$OUT/b.sqlite" >/dev/null
check "every run arrived, ids remapped without collision" \
    test "$(q "$OUT/main.sqlite" "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM runs")" = "6|6|1|6"
check "every epoch row arrived" test "$(q "$OUT/main.sqlite" "SELECT count(*) FROM epochs")" = $((2 + 24 + 20))
check "every merged run points to its program start" \
    test "$(q "$OUT/main.sqlite" "SELECT count(*) FROM runs WHERE invocation_id IS NULL
        OR invocation_id NOT IN (SELECT id FROM invocations)")" = 0
check "three program starts, one per writer" test "$(q "$OUT/main.sqlite" "SELECT count(*) FROM invocations")" = 3
check "each program start keeps its program's name" \
    test "$(q "$OUT/main.sqlite" "SELECT group_concat(DISTINCT program) FROM invocations")" = db-soak
check "rows follow their run" test "$(q "$OUT/main.sqlite" "SELECT count(*) FROM epochs e JOIN runs r
    ON r.id = e.run_id WHERE r.experiment = 'w2-r1'")" = 10
before=$(q "$OUT/main.sqlite" "SELECT count(*) FROM runs; SELECT count(*) FROM epochs; SELECT count(*) FROM metrics")
"$B/merge-shards" --db "$OUT/main.sqlite" "$OUT/a.sqlite" "$OUT/b.sqlite" >/dev/null
check "merging the same shards again adds nothing" \
    test "$(q "$OUT/main.sqlite" "SELECT count(*) FROM runs; SELECT count(*) FROM epochs; SELECT count(*) FROM metrics")" = "$before"

# A job's shard starts as a copy of the database (so it can read earlier chapters' results).
cp "$OUT/main.sqlite" "$OUT/c.sqlite"
"$B/db-soak" --db "$OUT/c.sqlite" write --writer 3 --runs 1 --epochs 2
"$B/merge-shards" --db "$OUT/main.sqlite" "$OUT/c.sqlite" >/dev/null
check "a shard copied from the database adds only its new run" \
    test "$(q "$OUT/main.sqlite" "SELECT count(*), sum(experiment = 'w3-r0') FROM runs")" = "7|1"

# A run that was running when the shard was copied and finished in the shard.
sqlite3 "$OUT/main.sqlite" "INSERT INTO runs (chapter, experiment, profile, config_json, seed, git_commit, threads)
    VALUES ('x', 'late', 'smoke', '{}', 1, 'c', 1)"
cp "$OUT/main.sqlite" "$OUT/d.sqlite"
id=$(q "$OUT/d.sqlite" "SELECT id FROM runs WHERE experiment = 'late'")
sqlite3 "$OUT/d.sqlite" "INSERT INTO epochs VALUES ($id, 1, 1, 'train', 0.5, 0.5, 0.1, 0);
    INSERT INTO artifacts VALUES ($id, 'model', '/node/tmp/x/model.nnm', 'abc');
    UPDATE runs SET status = 'done', finished_at = 'then' WHERE id = $id"
"$B/merge-shards" --db "$OUT/main.sqlite" --rewrite /node/tmp/x=/shared/db "$OUT/d.sqlite" >/dev/null
check "a run finished in the shard is finished in the database" \
    test "$(q "$OUT/main.sqlite" "SELECT status, (SELECT count(*) FROM epochs WHERE run_id = runs.id) FROM runs WHERE experiment = 'late'")" = "done|1"
check "artifact paths are rewritten" \
    test "$(q "$OUT/main.sqlite" "SELECT path FROM artifacts")" = "/shared/db/model.nnm"

if "$B/merge-shards" --db "$OUT/main.sqlite" "$OUT/missing.sqlite" 2>"$OUT/err"; then
    fail "a missing shard was accepted"
else
    check "a missing shard: one line naming it" grep -q "missing.sqlite: cannot open" "$OUT/err"
fi
check "and is not created" test ! -e "$OUT/missing.sqlite"
echo "not a database" >"$OUT/bad.sqlite"
if "$B/merge-shards" --db "$OUT/main.sqlite" "$OUT/bad.sqlite" 2>"$OUT/err"; then
    fail "a corrupt shard was accepted"
else
    check "a corrupt shard: one line naming it" grep -q "bad.sqlite: " "$OUT/err"
fi
sqlite3 "$OUT/e.sqlite" "CREATE TABLE runs (id INTEGER PRIMARY KEY); PRAGMA user_version = 99"
if "$B/merge-shards" --db "$OUT/main.sqlite" "$OUT/e.sqlite" 2>"$OUT/err"; then
    fail "a shard of another schema version was accepted"
else
    check "a shard of another schema version is refused" grep -q "schema version 99" "$OUT/err"
fi
echo "merge: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
