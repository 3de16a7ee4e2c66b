#!/usr/bin/env bash
# slurm.sh - the smoke pipeline as Slurm jobs on a one-node cluster started here
# (`make check-slurm`; root, Debian's slurm-wlm and munge).
#
# Checks: every chapter ran as a job and its shard was merged; every run is done; the report
# was built from the merged database; the numbers equal those of the same experiment run
# locally with the same seed and threads; merging the shards again adds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=build/slurm
OUT=build/slurm-smoke
DB=$OUT/results.sqlite
failures=0 passes=0
pass() { passes=$((passes + 1)); echo "  ok   $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL $*" >&2; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
q() { sqlite3 -batch -noheader "$1" "$2"; }

scripts/slurm-local.sh stop "$CLUSTER"
scripts/slurm-local.sh start "$CLUSTER"
trap 'scripts/slurm-local.sh stop "$CLUSTER"' EXIT
eval "$(scripts/slurm-local.sh env "$CLUSTER")"
export SLURM_CONF

rm -rf "$OUT"
echo "slurm: the smoke pipeline as Slurm jobs (make -j2 RUNNER=slurm)"
if ! make --no-print-directory -j2 PROFILE=smoke OUT="$OUT" RUNNER=slurm report-files >"$OUT.log" 2>&1; then
    tail -n 30 "$OUT.log" >&2
    echo "slurm: the pipeline failed (log $OUT.log)"
    echo "slurm: 0 passed, 1 failed"
    exit 1
fi
chapters=$(ls -d chapters/*/ | wc -l)
check "a shard per chapter ($chapters)" test "$(ls "$OUT"/work/shards/*.sqlite | wc -l)" = "$chapters"
check "every chapter ran as a Slurm job" \
    test "$(grep -c 'merge-shards: .*runs added' "$OUT.log")" = "$chapters"
check "every run is done" test "$(q "$DB" "SELECT count(*) FROM runs WHERE status != 'done'")" = 0
check "every chapter has runs" \
    test "$(q "$DB" "SELECT count(DISTINCT chapter) FROM runs")" = "$chapters"
check "run ids are unique and dense" \
    test "$(q "$DB" "SELECT count(*) = max(id) FROM runs")" = 1
check "the HTML report was built" test -s "$OUT/report/report.html"
check "the PDF report was built" test -s "$OUT/report/report.pdf"
missing=0
while IFS='|' read -r path sha; do
    [[ -f "$path" && "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || missing=$((missing + 1))
done < <(q "$DB" "SELECT path, sha256 FROM artifacts WHERE sha256 IS NOT NULL")
check "every recorded file is where the database says, with its SHA-256" test "$missing" = 0

# Same seed and threads as a local run: the same rows.
build/release/bin/00-intro --db "$OUT/local.sqlite" --profile smoke --threads 2 >/dev/null 2>&1
rows() { q "$1" "SELECT r.experiment, r.seed, e.epoch, e.split, quote(e.loss), quote(e.accuracy)
                 FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.chapter = '00-intro'
                 ORDER BY r.experiment, r.seed, e.epoch, e.split"; }
check "the job's numbers equal a local run's, bit for bit" test "$(rows "$DB")" = "$(rows "$OUT/local.sqlite")"

before=$(q "$DB" "SELECT count(*) FROM runs; SELECT count(*) FROM epochs; SELECT count(*) FROM metrics")
build/release/bin/merge-shards --db "$DB" "$OUT"/work/shards/*.sqlite >/dev/null
check "merging every shard again adds nothing" \
    test "$(q "$DB" "SELECT count(*) FROM runs; SELECT count(*) FROM epochs; SELECT count(*) FROM metrics")" = "$before"
echo "slurm: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
