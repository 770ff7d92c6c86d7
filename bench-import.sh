#!/usr/bin/env bash
# Figures for 'overlaybd layer import' (whole processes, JVM start included), each beside its peer in the same run:
#   A. a 1 GiB disk (64 MiB random, 64 MiB text, the rest zeros) made a ZFile layer by 'layer import -z'
#      vs 'zfile compress' of the same disk (which stores the zeros too);
#   B. a second disk with 1,000 scattered 4 KiB blocks changed, made a layer by 'layer import -z --base'
#      (reads and compares both disks) vs 'zfile compress' of the whole second disk.
# Each pair runs RUNS times (default 5), interleaved; prints mean ± standard deviation of the wall time, MB/s of disk
# read, bytes stored, and the ratios. Needs the CLI jar (./mvnw -DskipTests package). THREADS (default 1).
set -euo pipefail
cd "$(dirname "$0")"
runs=${RUNS:-5}
threads=${THREADS:-1}
obd=./overlaybd
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
size=$((1 << 30))
truncate -s $size "$work/disk1.img"
head -c $((64 << 20)) /dev/urandom | dd of="$work/disk1.img" bs=1M seek=16 conv=notrunc status=none
awk 'BEGIN { for (i = 0; i < 1048576; i++) printf "line %08d of text for a compressible part of the disk\n", i }' \
  | dd of="$work/disk1.img" bs=1M seek=512 conv=notrunc status=none iflag=fullblock
cp --sparse=always "$work/disk1.img" "$work/disk2.img"
for i in $(seq 0 999); do
  off=$(( (i * 7919 % 65536) * 4096 % (size - 4096) ))
  printf 'changed block %04d' "$i" | dd of="$work/disk2.img" bs=1 seek=$off conv=notrunc status=none
done
cat "$work/disk1.img" "$work/disk2.img" > /dev/null # both in the page cache

time_of() { # prints seconds of wall time of the command
  local s e
  s=$(date +%s%N); "$@" > /dev/null; e=$(date +%s%N)
  awk -v d=$((e - s)) 'BEGIN { printf "%.4f", d / 1e9 }'
}
declare -A t
for r in $(seq 1 "$runs"); do
  t[ia]+="$(time_of $obd layer import -z --force --threads "$threads" "$work/disk1.img" "$work/l1.zfile") "
  t[ca]+="$(time_of $obd zfile compress --force --threads "$threads" "$work/disk1.img" "$work/c1.zfile") "
  t[ib]+="$(time_of $obd layer import -z --force --threads "$threads" --base "$work/disk1.img" "$work/disk2.img" \
      "$work/l2.zfile") "
  t[cb]+="$(time_of $obd zfile compress --force --threads "$threads" "$work/disk2.img" "$work/c2.zfile") "
done
stats() { # mean and sd of a list of numbers
  echo "$1" | tr ' ' '\n' | awk 'NF { n++; s += $1; q += $1 * $1 } END { m = s / n; v = q / n - m * m;
    if (v < 0) v = 0; printf "%.3f %.3f", m, sqrt(v) }'
}
report() { # name key bytes_read file
  read -r m sd <<< "$(stats "${t[$2]}")"
  printf '%-44s %7.3f ± %.3f s  %7.0f MB/s  stored %12d bytes\n' "$1" "$m" "$sd" "$(awk -v b="$3" -v m="$m" 'BEGIN { print b / m / 1e6 }')" \
    "$(stat -c %s "$4")"
}
echo "1 GiB disks, $runs runs each, threads $threads, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
report "A import -z disk1 (zeros -> holes)" ia $size "$work/l1.zfile"
report "A peer: zfile compress disk1" ca $size "$work/c1.zfile"
report "B import -z --base disk1 disk2 (1,000 blocks)" ib $((2 * size)) "$work/l2.zfile"
report "B peer: zfile compress disk2" cb $size "$work/c2.zfile"
ra=$(awk -v a="$(stats "${t[ca]}" | cut -d' ' -f1)" -v b="$(stats "${t[ia]}" | cut -d' ' -f1)" 'BEGIN { print a / b }')
rb=$(awk -v a="$(stats "${t[cb]}" | cut -d' ' -f1)" -v b="$(stats "${t[ib]}" | cut -d' ' -f1)" 'BEGIN { print a / b }')
printf 'ratio (peer time / import time): A %.2fx, B %.2fx\n' "$ra" "$rb"
$obd layer import --force --base "$work/disk1.img" "$work/disk2.img" "$work/l2.lsmt" | sed -n 2p
echo "raw layer of B: $(stat -c %s "$work/l2.lsmt") bytes"
