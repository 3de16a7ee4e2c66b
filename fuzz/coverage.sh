#!/usr/bin/env bash
# coverage.sh - line and branch coverage of each parser by its corpus (make fuzz-coverage).
#
# Usage: fuzz/coverage.sh --bin-dir build/fuzz-cov --corpus-dir build/fuzz/corpus TARGET...
# Runs every input of CORPUS_DIR/TARGET (grown by make fuzz), fuzz/corpus/TARGET and
# fuzz/regressions/TARGET once through the coverage build of the target, and prints
# llvm-cov's summary for the source files that target is about.
set -euo pipefail

bin_dir=build/fuzz-cov corpus_dir=build/fuzz/corpus
while [[ $# -gt 0 ]]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --corpus-dir) corpus_dir=$2; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "coverage.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata || true)
cov=$(command -v llvm-cov-14 || command -v llvm-cov || true)
[[ -n $profdata && -n $cov ]] || {
    echo "coverage.sh: needs llvm-profdata and llvm-cov (Debian: apt-get install llvm-14)" >&2
    exit 1
}

# The files each target is there to exercise.
sources() {
    case "$1" in
        mnist) echo src/data/mnist.c src/base/io.c ;;
        cifar10) echo src/data/cifar10.c src/base/io.c ;;
        npy) echo src/data/npy.c ;;
        model) echo src/nn/model_io.c ;;
        template) echo src/render/template.c ;;
        bench_records) echo bench/records.c ;;
        *) echo "src/" ;;
    esac
}

for t in "$@"; do
    dirs=()
    for d in "$corpus_dir/$t" "fuzz/corpus/$t" "fuzz/regressions/$t"; do
        [[ -d $d ]] && dirs+=("$d")
    done
    rm -f "$bin_dir/$t".profraw "$bin_dir/$t".profdata
    # -runs=0: run the corpus once, mutate nothing.
    LLVM_PROFILE_FILE="$bin_dir/$t.profraw" "$bin_dir/fuzz_$t" -runs=0 "${dirs[@]}" \
        >"$bin_dir/$t.log" 2>&1
    "$profdata" merge -sparse -o "$bin_dir/$t.profdata" "$bin_dir/$t.profraw"
    inputs=$(sed -n 's/^INFO: seed corpus: files: \([0-9]*\).*/\1/p' "$bin_dir/$t.log")
    # Columns of llvm-cov report: file, regions (3), functions (3), lines (3), branches (3).
    # shellcheck disable=SC2046
    "$cov" report "$bin_dir/fuzz_$t" -instr-profile="$bin_dir/$t.profdata" $(sources "$t") |
        awk -v t="$t" -v n="${inputs:-?}" -v root="$PWD/" '
            NR > 2 && !/^-/ && $1 != "TOTAL" {
                f = index($1, root) == 1 ? substr($1, length(root) + 1) : $1
                printf "  COV  %-13s %-22s lines %7s (%3d of %3d), branches %7s, %s inputs\n",
                       t, f, $10, $8 - $9, $8, $13, n }'
done
