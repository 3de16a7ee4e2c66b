#!/usr/bin/env bash
# fetch-data.sh - put a dataset into the data directory and verify every file by SHA-256.
#
# Usage: scripts/fetch-data.sh [--data-dir DIR] [--shared SHARED] DATASET...
#   DATASET   mnist, cifar-10 or fer2013
#   DIR       where the datasets go (default: data); each lands in DIR/DATASET/
#   SHARED    a local copy to take files from before trying the network
#             (default: ../shared/data; see its MANIFEST.md)
#
# Layout produced:
#   DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz   the original gzip files
#   DIR/cifar-10/{data_batch_1..5,test_batch}.bin, batches.meta.txt   uncompressed
#   DIR/fer2013/fer2013.csv                                     uncompressed (301 MB)
# Sources, in order: a file already in DIR that verifies is kept; SHARED/mnist/*.gz are copied
# and SHARED/cifar-10/*.bin.xz decompressed; otherwise the official sites are used (MNIST:
# yann.lecun.com, then the ossci-datasets mirror; CIFAR-10: the binary tarball from
# cs.toronto.edu). FER2013 has no open download (Kaggle needs a login): it comes from
# SHARED/fer2013/fer2013.csv.xz (checked, then decompressed) or from a fer2013.csv put into
# DIR/fer2013/ by hand. Every file is checked against scripts/datasets.sha256 (paths relative
# to DIR; for CIFAR-10 and FER2013 the hash of the uncompressed file; entries starting with
# SHARED/ are the compressed shared copies). A file that fails is deleted. Only when all of a
# dataset's files pass is DIR/DATASET/.verified touched: Make depends on that stamp.
set -euo pipefail

prog=fetch-data.sh
here=$(cd "$(dirname "$0")" && pwd)
sums="$here/datasets.sha256"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

data_dir=data
shared=../shared/data
datasets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --data-dir) [[ $# -ge 2 ]] || die "--data-dir needs a directory"; data_dir=$2; shift 2 ;;
        --shared) [[ $# -ge 2 ]] || die "--shared needs a directory"; shared=$2; shift 2 ;;
        mnist|cifar-10|fer2013) datasets+=("$1"); shift ;;
        cifar10) datasets+=(cifar-10); shift ;;   # the Makefile's stamp variable spells it so
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
[[ ${#datasets[@]} -gt 0 ]] || { usage >&2; exit 2; }
[[ -r "$sums" ]] || die "$sums: missing checksum list"
command -v sha256sum >/dev/null || die "sha256sum not found (install coreutils)"

# The expected SHA-256 of a path relative to DIR, from the checksum list.
expected_hash() {
    local h
    h=$(awk -v p="$1" '$2 == p || $2 == "*" p { print $1; exit }' "$sums")
    [[ -n "$h" ]] || die "$sums: no checksum for $1"
    echo "$h"
}

# True if DIR/rel exists and has the expected hash.
is_valid() {
    local file="$data_dir/$1"
    [[ -f "$file" ]] && [[ "$(sha256sum "$file" | cut -d' ' -f1)" == "$(expected_hash "$1")" ]]
}

# Dies (after deleting the file) unless DIR/rel has the expected hash.
verify() {
    local rel=$1 file="$data_dir/$1" want got
    want=$(expected_hash "$rel")
    [[ -f "$file" ]] || die "$file: missing after fetching"
    got=$(sha256sum "$file" | cut -d' ' -f1)
    if [[ "$got" != "$want" ]]; then
        rm -f "$file"
        die "$file: checksum mismatch: expected $want, got $got (file deleted)"
    fi
}

# curl one URL to a file, with a progress bar only when someone is watching.
download() {
    local url=$1 out=$2 show
    if [[ -t 2 ]]; then show=(--progress-bar); else show=(--silent --show-error); fi
    say "downloading $url"
    curl --fail --location --retry 2 --connect-timeout 20 "${show[@]}" -o "$out" "$url"
}

fetch_mnist() {
    local dir="$data_dir/mnist" f rel tmp missing=()
    local files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz
                 t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
    local mirrors=(http://yann.lecun.com/exdb/mnist https://ossci-datasets.s3.amazonaws.com/mnist)
    mkdir -p "$dir"
    for f in "${files[@]}"; do
        rel=mnist/$f
        if is_valid "$rel"; then continue; fi
        rm -f "$dir/$f"
        tmp="$dir/$f.part"
        if [[ -f "$shared/mnist/$f" ]]; then
            say "copying $shared/mnist/$f"
            cat "$shared/mnist/$f" > "$tmp"
        else
            local m ok=0
            for m in "${mirrors[@]}"; do
                if download "$m/$f" "$tmp"; then ok=1; break; fi
                rm -f "$tmp"
            done
            if [[ $ok -eq 0 ]]; then missing+=("$f"); continue; fi
        fi
        mv "$tmp" "$dir/$f"
        verify "$rel"
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        die "cannot get MNIST: no copy in $shared/mnist/ and the download failed (offline?).
  Put these files (the original gzip files, SHA-256 in $sums) into $shared/mnist/ or $dir/:
    ${missing[*]}
  then run this again."
    fi
}

fetch_cifar10() {
    local dir="$data_dir/cifar-10" f tmp need=()
    local files=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin
                 data_batch_5.bin test_batch.bin batches.meta.txt)
    mkdir -p "$dir"
    for f in "${files[@]}"; do
        if is_valid "cifar-10/$f"; then continue; fi
        rm -f "$dir/$f"
        tmp="$dir/$f.part"
        if [[ "$f" == *.bin && -f "$shared/cifar-10/$f.xz" ]]; then
            command -v xz >/dev/null || die "xz not found (install xz-utils)"
            say "decompressing $shared/cifar-10/$f.xz"
            if ! xz -dc "$shared/cifar-10/$f.xz" > "$tmp"; then
                rm -f "$tmp"
                die "$shared/cifar-10/$f.xz: cannot decompress (damaged copy?)"
            fi
        elif [[ "$f" == *.txt && -f "$shared/cifar-10/$f" ]]; then
            cat "$shared/cifar-10/$f" > "$tmp"
        else
            need+=("$f")
            continue
        fi
        mv "$tmp" "$dir/$f"
        verify "cifar-10/$f"
    done
    [[ ${#need[@]} -eq 0 ]] && return 0

    # Whatever the shared copy lacked comes from the official tarball (163 MB), which may
    # also have been put in place by hand.
    local dl="$dir/.download" tarball="$dir/.download/cifar-10-binary.tar.gz"
    local url=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
    mkdir -p "$dl"
    if [[ ! -f "$tarball" ]]; then
        if ! download "$url" "$tarball.part"; then
            rm -f "$tarball.part"; rmdir "$dl" 2>/dev/null || true
            die "cannot get CIFAR-10: no copy in $shared/cifar-10/ and the download failed (offline?).
  Missing: ${need[*]}. Any one of these fixes it:
    - put data_batch_1.bin.xz .. data_batch_5.bin.xz, test_batch.bin.xz and batches.meta.txt
      into $shared/cifar-10/ (see its MANIFEST.md);
    - put the uncompressed .bin files and batches.meta.txt into $dir/;
    - put $url into $tarball.
  SHA-256 of each file: $sums. Then run this again."
        fi
        mv "$tarball.part" "$tarball"
    fi
    say "extracting ${need[*]} from $tarball"
    local members=()
    for f in "${need[@]}"; do members+=("cifar-10-batches-bin/$f"); done
    if ! tar -xzf "$tarball" -C "$dl" "${members[@]}"; then
        rm -f "$tarball"
        die "$tarball: cannot extract ${members[*]} (corrupt download? deleted, run again)"
    fi
    for f in "${need[@]}"; do
        if [[ "$f" == batches.meta.txt ]]; then
            # The class list is checked in its normalised form (one name per line, no blank
            # lines, no trailing spaces), which is how the shared copy stores it.
            sed -e 's/[[:space:]]*$//' -e '/^$/d' "$dl/cifar-10-batches-bin/$f" > "$dir/$f"
            rm -f "$dl/cifar-10-batches-bin/$f"
        else
            mv "$dl/cifar-10-batches-bin/$f" "$dir/$f"
        fi
        verify "cifar-10/$f"
    done
    rm -rf "$dl"
}

# FER2013 (Goodfellow et al. 2013) was released through a Kaggle competition whose download
# needs an account, so there is no URL to fetch without one: the shared copy (xz) or a file
# put in place by hand. The shared copy is not byte-identical to Kaggle's (see the manifest
# in SHARED/: 122 rows are approximate), so a Kaggle download fails the checksum; it says so.
fetch_fer2013() {
    local dir="$data_dir/fer2013" f=fer2013.csv tmp
    mkdir -p "$dir"
    is_valid "fer2013/$f" && return 0
    tmp="$dir/$f.part"
    if [[ -f "$shared/fer2013/$f.xz" ]]; then
        command -v xz >/dev/null || die "xz not found (install xz-utils)"
        local want got
        want=$(expected_hash "SHARED/fer2013/$f.xz")
        got=$(sha256sum "$shared/fer2013/$f.xz" | cut -d' ' -f1)
        [[ "$got" == "$want" ]] ||
            die "$shared/fer2013/$f.xz: checksum mismatch: expected $want, got $got (damaged copy?)"
        say "decompressing $shared/fer2013/$f.xz (74 MB -> 301 MB)"
        if ! xz -dc "$shared/fer2013/$f.xz" > "$tmp"; then
            rm -f "$tmp"
            die "$shared/fer2013/$f.xz: cannot decompress (damaged copy?)"
        fi
        mv "$tmp" "$dir/$f"
    elif [[ -f "$dir/$f" ]]; then
        # Kept, not deleted: a file someone put here by hand may be their only copy.
        mv "$dir/$f" "$dir/$f.rejected"
        die "$dir/$f: checksum mismatch, moved to $f.rejected. nnlab uses the copy described
  in $shared/MANIFEST.md (SHA-256 $(expected_hash "fer2013/$f")), which differs from
  Kaggle's fer2013.csv in 122 approximate rows; put fer2013.csv.xz into $shared/fer2013/."
    else
        die "cannot get FER2013: it has no public download (Kaggle requires a login).
  Put fer2013.csv.xz (see $shared/MANIFEST.md) into $shared/fer2013/, or the
  uncompressed fer2013.csv (SHA-256 $(expected_hash "fer2013/$f")) into $dir/,
  then run this again."
    fi
}

for ds in "${datasets[@]}"; do
    stamp="$data_dir/$ds/.verified"
    rm -f "$stamp"
    case "$ds" in
        mnist) fetch_mnist ;;
        cifar-10) fetch_cifar10 ;;
        fer2013) fetch_fer2013 ;;
    esac
    # Every file again, whichever way it came: the stamp promises all of them are right.
    while read -r _ rel; do
        [[ "$rel" == "$ds"/* ]] && verify "$rel"
    done < "$sums"
    touch "$stamp"
    say "$ds: all files verified in $data_dir/$ds"
done
