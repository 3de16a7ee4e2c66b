#!/usr/bin/env bash
# slurm-job.sh - run one experiment as a Slurm job with its own SQLite shard, then merge it.
#
# Usage (what `make report RUNNER=slurm` runs for each chapter):
#   scripts/slurm-job.sh --name NN-name --db RESULTS.sqlite --shards DIR -- PROGRAM ARGS...
#
# SQLite must not be shared over a network file system, so the job never opens RESULTS:
#  1. on the submitting host, srun starts this script again on a compute node (--on-node);
#  2. on the node, the shard begins as a snapshot of RESULTS (so a chapter can read earlier
#     chapters' results, e.g. chapter 05 the model chapter 04 recorded) in node-local
#     storage ($TMPDIR, else /tmp); PROGRAM runs with --db pointing at it and writes its
#     files (models, arrays) beside it; then the shard goes to DIR/NN-name.sqlite and the
#     files to RESULTS's directory, both on the shared file system;
#  3. back on the submitting host, tools/merge-shards adds the shard's new runs to RESULTS
#     (ids remapped, idempotent) and rewrites the files' recorded paths.
# SLURM_CPUS (default 2) CPUs per job; SRUN_ARGS adds options (partition, account, time).
# Make's -j decides how many jobs are in flight. A failed job fails the make target, and a
# shard is merged whatever the run's status (a failed run is kept as 'failed').
set -euo pipefail
die() { echo "slurm-job.sh: $*" >&2; exit 1; }

on_node=0 name= db= shards=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --on-node) on_node=1; shift ;;
        --name) name=$2; shift 2 ;;
        --db) db=$2; shift 2 ;;
        --shards) shards=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ -n "$name" && -n "$db" && -n "$shards" && $# -gt 0 ]] || die "usage: see --help"
mkdir -p "$shards" "$(dirname "$db")"
db_dir=$(cd "$(dirname "$db")" && pwd)
shard=$(cd "$shards" && pwd)/$name.sqlite

if [[ $on_node -eq 0 ]]; then
    command -v srun >/dev/null || die "srun not found: RUNNER=slurm needs a Slurm client"
    rm -f "$shard" "$shard.origin"
    # shellcheck disable=SC2086
    srun --job-name="nnlab-$name" --ntasks=1 --cpus-per-task="${SLURM_CPUS:-2}" \
        --chdir="$PWD" ${SRUN_ARGS:-} "$0" --on-node --name "$name" --db "$db" --shards "$shards" \
        -- "$@" && rc=0 || rc=$?
    [[ -s "$shard" && -s "$shard.origin" ]] || die "job $name left no shard (exit $rc)"
    build/release/bin/merge-shards --db "$db" --rewrite "$(cat "$shard.origin")=$db_dir" "$shard"
    exit "$rc"
fi

# On the node.
local_dir=${TMPDIR:-/tmp}/nnlab-job-${SLURM_JOB_ID:-$$}
rm -rf "$local_dir" && mkdir -p "$local_dir"
trap 'rm -rf "$local_dir"' EXIT
if [[ -s "$db" ]]; then
    sqlite3 "$db" ".backup '$local_dir/results.sqlite'"
fi
"$@" --db "$local_dir/results.sqlite" && rc=0 || rc=$?
# Files the program wrote beside its database (its chapter directory) go beside RESULTS.
for d in "$local_dir"/*/; do
    [[ -d "$d" ]] || continue
    mkdir -p "$db_dir/$(basename "$d")"
    cp -r "$d". "$db_dir/$(basename "$d")/"
done
sqlite3 "$local_dir/results.sqlite" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$local_dir/results.sqlite" "$shard.tmp" && mv "$shard.tmp" "$shard"
echo "$local_dir" >"$shard.origin"
exit "$rc"
