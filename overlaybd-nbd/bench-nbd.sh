#!/usr/bin/env bash
# Benchmark of `overlaybd serve` against qemu-nbd and nbdkit (file plugin) serving the same image flattened to a
# raw file, all in the same run on the same machine:
#   - sequential copy: `nbdcopy URI null:` (4 connections x 64 requests, block status used: holes are skipped) and
#     `nbdcopy --no-extents URI null:` (every byte of the 1 GiB device is read and sent);
#   - random 4 KiB reads: fio's nbd engine (libnbd), one connection, iodepth 32, over the whole device and over its
#     first 8 MiB (where the data is).
# Images: the 3-layer raw LSMT stack (lsmt/config-raw.json) and the same stack as ZFile layers (lsmt/config.json)
# of the interop fixtures; the flat raw file is `overlaybd export` of the stack.
# Needs: java 17+, the CLI jar (mvn -DskipTests package), Debian libnbd-bin, qemu-utils, nbdkit, fio.
# Usage: overlaybd-nbd/bench-nbd.sh [RUNTIME_SECONDS (default 10)] [ROUNDS (default 3)]
# Prints one line per measurement and a markdown table (median of the rounds; ratio to qemu-nbd in the same run).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIME=${1:-10}
ROUNDS=${2:-3}
JAR=${JAR:-overlaybd-cli/target/overlaybd.jar}
FIX=${FIX:-../shared/fixtures/interop}
for t in java nbdcopy qemu-nbd nbdkit fio; do
  command -v "$t" >/dev/null || { echo "bench-nbd.sh: $t not found" >&2; exit 2; }
done
[ -f "$JAR" ] || { echo "bench-nbd.sh: $JAR missing: run mvn -DskipTests package first" >&2; exit 2; }
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

java -jar "$JAR" export --sparse -o "$W/flat.raw" "$FIX/lsmt/config-raw.json"
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; echo "no socket $1" >&2; exit 2; }
java -jar "$JAR" serve --socket "$W/raw.sock" "$FIX/lsmt/config-raw.json" >/dev/null & PIDS+=($!)
java -jar "$JAR" serve --socket "$W/zfile.sock" "$FIX/lsmt/config.json" >/dev/null & PIDS+=($!)
qemu-nbd -r -t -e 16 -f raw -k "$W/qemu.sock" "$W/flat.raw" & PIDS+=($!)
nbdkit -f -r -U "$W/nbdkit.sock" file "$W/flat.raw" & PIDS+=($!)
for s in raw zfile qemu nbdkit; do wait_sock "$W/$s.sock"; done
uri() { echo "nbd+unix:///?socket=$W/$1.sock"; }
names=(raw zfile qemu nbdkit)
label() { case $1 in raw) echo "overlaybd serve, raw-layer stack";; zfile) echo "overlaybd serve, ZFile stack";;
  qemu) echo "qemu-nbd, flat raw file";; nbdkit) echo "nbdkit file, flat raw file";; esac; }

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
# nbdcopy of the stack with block status moves ~10 MB: time 10 copies and report one
seconds10() { local t0 t1; t0=$(date +%s.%N); for _ in $(seq 10); do "$@" >/dev/null; done; t1=$(date +%s.%N)
  echo "($t1 - $t0) / 10" | bc -l; }
fio_iops() { # uri size
  fio --name=r --ioengine=nbd --uri="$1" --rw=randread --bs=4k --iodepth=32 --size="$2" --runtime="$RUNTIME" \
      --ramp_time=1 --time_based --output-format=json 2>/dev/null | sed -n '/^{/,$p' | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# warm up the JVMs (JIT) before measuring
for s in raw zfile; do
  for _ in $(seq 20); do nbdcopy "$(uri $s)" null:; done
  nbdcopy --no-extents "$(uri $s)" null:
  fio_iops "$(uri $s)" 8m >/dev/null
done

declare -A R
for round in $(seq "$ROUNDS"); do
  for s in "${names[@]}"; do
    R[copy,$s,$round]=$(seconds10 nbdcopy "$(uri $s)" null:)
    R[full,$s,$round]=$(seconds nbdcopy --no-extents "$(uri $s)" null:)
    R[rand,$s,$round]=$(fio_iops "$(uri $s)" 1g)
    R[rand8,$s,$round]=$(fio_iops "$(uri $s)" 8m)
    echo "round $round $s: copy ${R[copy,$s,$round]} s, copy --no-extents ${R[full,$s,$round]} s," \
         "random 4k ${R[rand,$s,$round]} IOPS, random 4k first 8 MiB ${R[rand8,$s,$round]} IOPS"
  done
done
med() { for r in $(seq "$ROUNDS"); do echo "${R[$1,$2,$r]}"; done | median; }
spread() { for r in $(seq "$ROUNDS"); do echo "${R[$1,$2,$r]}"; done | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.3g–%.3g", lo, hi}'; }
echo
echo "median of $ROUNDS rounds (range), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| server | nbdcopy to null:, per copy (s) | nbdcopy --no-extents (s) | random 4 KiB reads, 1 GiB (IOPS) | random 4 KiB reads, first 8 MiB (IOPS) |"
echo "|---|---:|---:|---:|---:|"
for s in "${names[@]}"; do
  row="| $(label $s)"
  for k in copy full rand rand8; do
    m=$(med $k $s); q=$(med $k qemu)
    if [ "$k" = copy ] || [ "$k" = full ]; then ratio=$(echo "$q / $m" | bc -l); else ratio=$(echo "$m / $q" | bc -l); fi
    row="$row | $(printf '%.3g' "$m") ($(spread $k $s)) $(printf '%.2f' "$ratio")×"
  done
  echo "$row |"
done
echo
echo "× = speed relative to qemu-nbd on the flat file in the same run (higher is faster)."
