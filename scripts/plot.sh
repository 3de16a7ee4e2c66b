#!/usr/bin/env bash
# plot.sh - run gnuplot for one figure and fail loudly when the figure would be wrong.
#
#   scripts/plot.sh OUTPUT gnuplot -e "...; set output 'OUTPUT'; db='...'" SCRIPT.gp
#
# gnuplot exits 0 when one curve of several (or every curve, with fixed axis ranges) got
# no data: a misspelt experiment name, an SQL error inside '< sqlite3 ...' (sqlite3's exit
# status is lost in the pipe) or a missing database only print a warning. This wrapper
# treats those messages as errors and deletes OUTPUT on failure, so that make never keeps
# an empty or partial figure as up to date.
set -u
out=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$@" 2> >(tee "$log" >&2)
rc=$?
wait # for tee to finish writing the log
if [[ $rc -eq 0 ]] && grep -Eqi 'no valid (data )?points|error' "$log"; then
    echo "plot.sh: $out: gnuplot warned about missing data or an SQL error (see above)" >&2
    rc=1
fi
if [[ $rc -ne 0 ]]; then
    rm -f "$out"
    exit 1
fi
