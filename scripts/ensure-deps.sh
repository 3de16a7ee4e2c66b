#!/usr/bin/env bash
# ensure-deps.sh - install the Debian packages nnlab needs, or say how to.
#
# Usage: scripts/ensure-deps.sh [build|report|check|bench]...
# Each group names what that job needs. When a package is missing and we are root, it is
# installed with apt-get; otherwise we stop with the exact command to run. Checking takes
# a fraction of a second, so Make calls this on every `make report` / `make check`.
set -euo pipefail

build=(gcc make pkg-config libopenblas-dev libsqlite3-dev libpng-dev zlib1g-dev sqlite3 xz-utils
       libhdf5-dev
       # chapter 06's live program: OpenCV's capture and face detector, through one C++ file
       g++ libopencv-objdetect-dev libopencv-videoio-dev libopencv-imgproc-dev opencv-data)
report=(gnuplot-nox pandoc texlive-latex-recommended texlive-fonts-recommended lmodern
        texlive-latex-extra)
check=(libcriterion-dev poppler-utils chromium clang libclang-rt-14-dev libomp-dev python3-h5py)
data=(curl ca-certificates)
bench=(python3-torch python3-numpy)
slurm=(slurm-wlm munge)

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    echo "Groups: build (compile), report (+ gnuplot, pandoc, LaTeX), check (+ Criterion,"
    echo "poppler), bench (+ Debian's PyTorch and NumPy), slurm (+ slurm-wlm and munge, for"
    echo "make check-slurm)."
    exit 0
fi

want=()
for group in "${@:-build}"; do
    case "$group" in
        build)  want+=("${build[@]}" "${data[@]}") ;;
        report) want+=("${build[@]}" "${data[@]}" "${report[@]}") ;;
        check)  want+=("${build[@]}" "${data[@]}" "${report[@]}" "${check[@]}") ;;
        bench)  want+=("${build[@]}" "${bench[@]}") ;;
        slurm)  want+=("${build[@]}" "${data[@]}" "${report[@]}" "${slurm[@]}") ;;
        *) echo "ensure-deps.sh: unknown group '$group' (build, report, check, bench, slurm)" >&2; exit 2 ;;
    esac
done

missing=()
for pkg in "${want[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
# The browser test (make check) runs puppeteer-core with node and npm: any node >= 18 will
# do, Debian's or one already on the machine, so ask for Debian's only when there is none.
for group in "${@:-build}"; do
    if [[ "$group" == check ]] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
        missing+=(nodejs npm)
    fi
done
# Deduplicate while keeping order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk 'NF && !seen[$0]++')
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "nnlab needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "Installing missing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}" >&2
