#!/usr/bin/env bash
# run.sh - `make bench`: nnlab against PyTorch (CPU) on this machine, in one run.
#
# Usage: bench/run.sh [--db PATH] [--bin PATH] [--seconds S] [--repeats R] [--rounds N]
#                     [--quick] [--out DIR]
#
# For every row - training throughput of mlp8 and cnn at batch 64 and 128 and of chapter 04's
# CIFAR-10 network (cifar) at batch 256, with 1 and 2 threads, and single-thread batch-1
# inference latency of all three - it runs nnlab's side
# (build/release/bin/bench) and then PyTorch's side (bench/peer_torch.py under Debian's
# /usr/bin/python3) right after it, so both see the same machine load. PyTorch is run in
# each honest thread configuration (its own pool with the threads and OpenBLAS with 1, and
# the reverse; for inference also no_grad and inference_mode); with 2 threads both sides
# also run with idle threads that sleep instead of spin (OMP_WAIT_POLICY=passive,
# OPENBLAS_THREAD_TIMEOUT=4). The report keeps each side's best configuration and names it.
# Every record also holds the peak resident set size of the process that measured it.
# The whole sweep is repeated --rounds times (the machine is shared: rows are interleaved
# and medians taken), and the large-sgemm peak is measured at the start and at the end.
#
# Every record goes to DIR/results-TIMESTAMP.jsonl (JSON lines, see bench/bench.h); then
# `bench --report` prints the table (also saved as DIR/table.md) and stores it in the
# results database, chapter 'bench'.
#
# PyTorch: Debian's python3-torch. When it is missing it is installed with apt-get if we
# are root (and we say so); otherwise the install command is printed and we stop. The
# unit tests never need it.
set -euo pipefail

DB=db/results.sqlite
BIN=build/release/bin/bench
OUT=build/bench
SECONDS_PER_REPEAT=1.0
REPEATS=5
ROUNDS=2
PY=/usr/bin/python3   # Debian's interpreter: the python3 on PATH may lack torch

while [[ $# -gt 0 ]]; do
    case "$1" in
        --db) DB=$2; shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --seconds) SECONDS_PER_REPEAT=$2; shift 2 ;;
        --repeats) REPEATS=$2; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --quick) SECONDS_PER_REPEAT=0.3; REPEATS=3; ROUNDS=1; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.."
[[ -x "$BIN" ]] || { echo "run.sh: $BIN is missing; build it with 'make bench'" >&2; exit 1; }

# ---- PyTorch -----------------------------------------------------------------------------
if ! "$PY" -c 'import torch' 2>/dev/null; then
    pkgs="python3-torch python3-numpy"
    if [[ $(id -u) -eq 0 ]]; then
        echo "run.sh: PyTorch is missing for $PY; installing Debian's $pkgs with apt-get" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
        "$PY" -c 'import torch' || { echo "run.sh: torch still not importable" >&2; exit 1; }
        echo "run.sh: installed $pkgs" >&2
    else
        echo "run.sh: PyTorch is missing for $PY. Install it with:" >&2
        echo "    sudo apt-get install --no-install-recommends $pkgs" >&2
        exit 1
    fi
fi

export NNLAB_GIT_COMMIT=${NNLAB_GIT_COMMIT:-$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)}
mkdir -p "$OUT"
RESULTS="$OUT/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
: > "$RESULTS"
TIMING=(--seconds "$SECONDS_PER_REPEAT" --repeats "$REPEATS")

load() { cut -d' ' -f1 /proc/loadavg; }
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | tr -d '"\\' | head -1)
cores=$(nproc)
load_start=$(load)

# Appends one record; a side that fails leaves a 'skip' record saying so instead of a row.
# With 2 threads each side also runs with idle threads that sleep instead of spinning
# (PASSIVE): on a loaded machine, a spinning idle worker takes the core from the thread that
# has work, and OpenMP's and OpenBLAS's pools spin against each other.
PASSIVE=(OMP_WAIT_POLICY=passive OPENBLAS_THREAD_TIMEOUT=4)
nnlab_row() { # model mode batch threads [env assignments...]
    env "${@:5}" "$BIN" --model "$1" --mode "$2" --batch "$3" --threads "$4" "${TIMING[@]}" >> "$RESULTS" ||
        printf '{"impl":"nnlab","kind":"row","model":"%s","mode":"%s","batch":%d,"threads":%d,"skip":"nnlab: bench failed"}\n' \
            "$1" "$2" "$3" "$4" >> "$RESULTS"
}
torch_row() { # model mode batch threads openblas_threads torch_threads grad_mode [env...]
    env "${@:8}" OPENBLAS_NUM_THREADS="$5" OMP_NUM_THREADS="$6" "$PY" bench/peer_torch.py \
        --model "$1" --mode "$2" --batch "$3" --threads "$4" --torch-threads "$6" \
        --grad-mode "$7" "${TIMING[@]}" \
        >> "$RESULTS" ||
        printf '{"impl":"torch","kind":"row","model":"%s","mode":"%s","batch":%d,"threads":%d,"skip":"torch: peer failed"}\n' \
            "$1" "$2" "$3" "$4" >> "$RESULTS"
}
peak() {
    for t in 1 2; do "$BIN" --peak --threads "$t" --repeats 5 >> "$RESULTS"; done
}

echo "bench: nnlab vs PyTorch on $cpu ($cores cores), load average $load_start;" \
     "$ROUNDS round(s) of $REPEATS x ${SECONDS_PER_REPEAT}s repeats per row -> $RESULTS" >&2
peak
for round in $(seq 1 "$ROUNDS"); do
    # Chapter 04's CIFAR-10 network trains at its own batch, 256.
    for spec in mlp8:64 mlp8:128 cnn:64 cnn:128 cifar:256; do
        model=${spec%%:*}
        for batch in ${spec#*:}; do
            for threads in 1 2; do
                echo "  round $round: $model train batch $batch threads $threads" >&2
                nnlab_row "$model" train "$batch" "$threads"
                if [[ $threads -eq 1 ]]; then
                    torch_row "$model" train "$batch" 1 1 1 no_grad
                else
                    torch_row "$model" train "$batch" "$threads" 1 "$threads" no_grad
                    torch_row "$model" train "$batch" "$threads" "$threads" 1 no_grad
                    nnlab_row "$model" train "$batch" "$threads" "${PASSIVE[@]}"
                    torch_row "$model" train "$batch" "$threads" 1 "$threads" no_grad "${PASSIVE[@]}"
                    torch_row "$model" train "$batch" "$threads" "$threads" 1 no_grad "${PASSIVE[@]}"
                fi
            done
        done
    done
    for model in mlp8 cnn cifar; do
        echo "  round $round: $model infer batch 1 threads 1" >&2
        nnlab_row "$model" infer 1 1
        torch_row "$model" infer 1 1 1 1 no_grad
        torch_row "$model" infer 1 1 1 1 inference_mode
    done
done
peak
printf '{"impl":"env","kind":"env","cpu":"%s, %s cores","load_start":%s,"load_end":%s}\n' \
    "$cpu" "$cores" "$load_start" "$(load)" >> "$RESULTS"

"$BIN" --report "$RESULTS" --db "$DB" | tee "$OUT/table.md"
